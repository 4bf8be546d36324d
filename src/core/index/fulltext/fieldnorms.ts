/**
 * Exact per-document field lengths (fieldnorms) of one field of one segment, indexed by ordinal; 0 means the
 * document has no token in the field. Exact, not Lucene's lossy one-byte norm, so BM25 here equals the formula.
 * It owns only this section's bytes.
 *
 *   ┌──────────────────────────┬──────────────────────────────┬───────┐
 *   │ u8 width (0, 1, 2 or 4)  │ length × width bytes, LE     │ u32   │
 *   │ (0: every length is 0)   │ (one per ordinal)            │ crc32 │
 *   └──────────────────────────┴──────────────────────────────┴───────┘
 */

import { DataCorruptionError } from "../../errors.ts";
import { ByteWriter } from "./byte-io.ts";
import { crc32 } from "../../codec/crc32.ts";

export function encodeFieldnorms(w: ByteWriter, lengths: ArrayLike<number>, count: number): void {
  const start = w.length;
  let max = 0;
  for (let i = 0; i < count; i++) if (lengths[i] > max) max = lengths[i];
  const width = max === 0 ? 0 : max < 0x100 ? 1 : max < 0x10000 ? 2 : 4;
  w.u8(width);
  for (let i = 0; i < count; i++) {
    if (width === 1) w.u8(lengths[i]);
    else if (width === 2) w.u16(lengths[i]);
    else if (width === 4) w.u32(lengths[i]);
  }
  w.u32(crc32(w.written().subarray(start, w.length)));
}

/** Verifies and decodes a fieldnorms section holding `count` lengths. */
export function decodeFieldnorms(bytes: Uint8Array, count: number, what: string): Uint8Array | Uint16Array | Uint32Array {
  if (bytes.length < 5) throw new DataCorruptionError(`${what}: fieldnorms too short (${bytes.length} bytes)`);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
  const actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual) throw new DataCorruptionError(`${what}: fieldnorms crc mismatch (expected ${stored}, got ${actual})`);
  const width = bytes[0];
  if (![0, 1, 2, 4].includes(width) || bytes.length !== 5 + width * count) {
    throw new DataCorruptionError(`${what}: fieldnorms width ${width} does not fit ${bytes.length} bytes for ${count} docs`);
  }
  if (width === 0) return new Uint8Array(count);
  // Copy: the section's offset inside the object is not aligned for 16/32-bit views.
  const body = bytes.slice(1, 1 + width * count);
  if (width === 1) return body;
  const dv = new DataView(body.buffer);
  if (width === 2) {
    const out = new Uint16Array(count);
    for (let i = 0; i < count; i++) out[i] = dv.getUint16(i * 2, true);
    return out;
  }
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = dv.getUint32(i * 4, true);
  return out;
}
