/**
 * One WAL entry: a write batch as MessagePack, and its split into CRC-checked parts that each fit a
 * Durable Object SQLite row (2 MB). Not the SQLite table itself (durable-objects/wal-table.ts).
 *
 *   payload = MessagePack map
 *   ┌──────┬──────────────────────────────────────────────────────────────────────┐
 *   │ v    │ 1 (format version)                                                   │
 *   │ seq  │ first sequence number; row i of the batch has version seq + i        │
 *   │ ts   │ acknowledgement time, epoch ms                                       │
 *   │ op   │ "upsert" | "patch" | "delete"                                        │
 *   │ ids  │ [id, …]  numbers, UUID strings or strings                            │
 *   │ dims │ vector dimensions (upsert with vectors)                              │
 *   │ vec  │ bin: ids.length × dims float32, little-endian (upsert with vectors)  │
 *   │ attrs│ {name: [value|null, …]} columnar, one array per attribute            │
 *   └──────┴──────────────────────────────────────────────────────────────────────┘
 *   stored as parts: part k = payload[k·PART_BYTES, (k+1)·PART_BYTES) with crc32(part k)
 */
import { Packr } from "msgpackr";
import { crc32 } from "../codec/crc32.ts";
import { DataCorruptionError } from "../errors.ts";
import type { AttributeValue, DocId } from "../types.ts";

export const WAL_FORMAT_VERSION = 1;
/** Below the 2 MB SQLite row limit with room for the other columns. */
export const WAL_PART_BYTES = 1_500_000;

export type WalOp = "upsert" | "patch" | "delete";

export interface WalEntry {
  seq: number;
  ts: number;
  op: WalOp;
  ids: DocId[];
  /** Present for upserts into a namespace with vectors: ids.length × dims values. */
  vectors?: Float32Array;
  dims?: number;
  /** Columnar attribute values, each array ids.length long. */
  attrs?: Record<string, AttributeValue[]>;
}

export interface WalPart {
  part: number;
  crc: number;
  bytes: Uint8Array;
}

const packr = new Packr({ useRecords: false, moreTypes: false, variableMapSize: true });

export function lastSeqOf(entry: Pick<WalEntry, "seq" | "ids">): number {
  return entry.seq + entry.ids.length - 1;
}

export function encodeWalEntry(entry: WalEntry): Uint8Array {
  const payload: Record<string, unknown> = {
    v: WAL_FORMAT_VERSION,
    seq: entry.seq,
    ts: entry.ts,
    op: entry.op,
    ids: entry.ids,
  };
  if (entry.vectors) {
    payload.dims = entry.dims;
    const v = entry.vectors;
    payload.vec = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  if (entry.attrs) payload.attrs = entry.attrs;
  return packr.pack(payload);
}

export function splitIntoParts(payload: Uint8Array): WalPart[] {
  const parts: WalPart[] = [];
  for (let off = 0, k = 0; off < payload.byteLength || k === 0; off += WAL_PART_BYTES, k++) {
    const bytes = payload.subarray(off, Math.min(payload.byteLength, off + WAL_PART_BYTES));
    parts.push({ part: k, crc: crc32(bytes), bytes });
  }
  return parts;
}

/**
 * Verifies every part's CRC and that no part is missing, then decodes. Any mismatch is a
 * DataCorruptionError naming the entry: corruption is reported, never skipped.
 */
export function decodeWalParts(seq: number, expectedParts: number, parts: WalPart[]): WalEntry {
  if (parts.length !== expectedParts) {
    throw new DataCorruptionError(`wal: entry ${seq} has ${parts.length} of ${expectedParts} parts`);
  }
  let total = 0;
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    if (p.part !== k) throw new DataCorruptionError(`wal: entry ${seq} is missing part ${k}`);
    const actual = crc32(p.bytes);
    if (actual !== p.crc) {
      throw new DataCorruptionError(
        `wal: crc mismatch in entry ${seq} part ${k} (stored ${p.crc}, computed ${actual})`,
      );
    }
    total += p.bytes.byteLength;
  }
  let payload: Uint8Array;
  if (parts.length === 1) payload = parts[0].bytes;
  else {
    payload = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      payload.set(p.bytes, off);
      off += p.bytes.byteLength;
    }
  }
  return decodeWalEntry(seq, payload);
}

function decodeWalEntry(seq: number, payload: Uint8Array): WalEntry {
  let raw: Record<string, unknown>;
  try {
    raw = packr.unpack(payload) as Record<string, unknown>;
  } catch (err) {
    throw new DataCorruptionError(`wal: entry ${seq} does not decode: ${(err as Error).message}`);
  }
  if (raw?.v !== WAL_FORMAT_VERSION || raw.seq !== seq || !Array.isArray(raw.ids)) {
    throw new DataCorruptionError(`wal: entry ${seq} has an unexpected header`);
  }
  const entry: WalEntry = {
    seq,
    ts: raw.ts as number,
    op: raw.op as WalOp,
    ids: raw.ids as DocId[],
  };
  if (raw.vec instanceof Uint8Array) {
    const bytes = raw.vec;
    // Copy into an aligned buffer: the view into the payload may start at any byte.
    const aligned = new Uint8Array(bytes.byteLength);
    aligned.set(bytes);
    entry.vectors = new Float32Array(aligned.buffer);
    entry.dims = raw.dims as number;
  }
  if (raw.attrs) entry.attrs = raw.attrs as Record<string, AttributeValue[]>;
  return entry;
}
