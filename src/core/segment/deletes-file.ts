/**
 * The deletion file: the sequence numbers of row versions (in older segments) that a flush made
 * dead, superseded by a newer version or deleted. Queries skip these rows.
 *
 *   ┌────────┬─────────┬──────────┬────────────────────────────────────┬────────┐
 *   │ "ELDL" │ ver u8  │ count u32│ count × uvarint (delta of sorted   │ crc32  │
 *   │ 4 B    │ 1 B = 1 │ LE       │ seqs; first delta from 0)          │ u32 LE │
 *   └────────┴─────────┴──────────┴────────────────────────────────────┴────────┘
 *   crc32 covers every byte before it.
 */
import { crc32 } from "../codec/crc32.ts";
import { DataCorruptionError } from "../errors.ts";

const MAGIC = [0x45, 0x4c, 0x44, 0x4c]; // "ELDL"
const VERSION = 1;

export function encodeDeletes(seqs: ArrayLike<number>): Uint8Array {
  const sorted = Float64Array.from(seqs).sort();
  const out = new Uint8Array(9 + sorted.length * 8 + 4);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  new DataView(out.buffer).setUint32(5, sorted.length, true);
  let pos = 9;
  let prev = 0;
  for (const s of sorted) {
    let delta = s - prev;
    prev = s;
    // uvarint over numbers up to 2^53: 7 bits at a time without 32-bit bitwise ops.
    while (delta >= 0x80) {
      out[pos++] = (delta % 0x80) | 0x80;
      delta = Math.floor(delta / 0x80);
    }
    out[pos++] = delta;
  }
  new DataView(out.buffer).setUint32(pos, crc32(out.subarray(0, pos)), true);
  return out.slice(0, pos + 4);
}

export function decodeDeletes(bytes: Uint8Array, name = "deletes"): Float64Array {
  if (bytes.byteLength < 13 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new DataCorruptionError(`${name}: not a deletion file`);
  }
  if (bytes[4] !== VERSION) throw new DataCorruptionError(`${name}: unsupported version ${bytes[4]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength - 4;
  const stored = view.getUint32(end, true);
  const actual = crc32(bytes.subarray(0, end));
  if (stored !== actual) throw new DataCorruptionError(`${name}: crc mismatch (stored ${stored}, computed ${actual})`);
  const count = view.getUint32(5, true);
  const seqs = new Float64Array(count);
  let pos = 9;
  let prev = 0;
  for (let i = 0; i < count; i++) {
    let delta = 0;
    let mul = 1;
    for (;;) {
      if (pos >= end) throw new DataCorruptionError(`${name}: truncated`);
      const b = bytes[pos++];
      delta += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 0x80;
    }
    prev += delta;
    seqs[i] = prev;
  }
  return seqs;
}
