/**
 * The ordinal → seq table of one segment's full-text index: ordinals are row numbers in seq order, so the
 * table is strictly increasing; it maps results back to seqs and dead seqs to ordinals (binary search).
 * It owns this section only.
 *
 *   ┌────────────────┬──────────────────────────────────────┬──────────────────────────────┬───────┐
 *   │ varint count   │ block header × ceil(count / 128)     │ block data × numBlocks       │ u32   │
 *   │                │  u64 firstSeq, varint dataBytes      │  varint (seq − prev − 1)     │ crc32 │
 *   │                │                                      │  × (n − 1)                   │       │
 *   └────────────────┴──────────────────────────────────────┴──────────────────────────────┴───────┘
 */

import { DataCorruptionError } from "../../errors.ts";
import { ByteReader, ByteWriter } from "./byte-io.ts";
import { crc32 } from "../../codec/crc32.ts";

const SEQ_BLOCK = 128;

export function encodeSeqTable(w: ByteWriter, seqs: ArrayLike<number>, count: number): void {
  const start = w.length;
  w.varint(count);
  const numBlocks = Math.ceil(count / SEQ_BLOCK);
  const data = new ByteWriter(count * 2 + 16);
  for (let b = 0; b < numBlocks; b++) {
    const s = b * SEQ_BLOCK;
    const e = Math.min(count, s + SEQ_BLOCK);
    const before = data.length;
    for (let i = s + 1; i < e; i++) data.varint(seqs[i] - seqs[i - 1] - 1);
    w.u64(seqs[s]);
    w.varint(data.length - before);
  }
  w.bytes(data.written());
  w.u32(crc32(w.written().subarray(start, w.length)));
}

export class SeqTable {
  readonly count: number;
  private readonly firstSeqs: Float64Array;
  private readonly offsets: Uint32Array;
  private readonly bytes: Uint8Array;
  private cachedBlock = -1;
  private readonly cache = new Float64Array(SEQ_BLOCK);

  private constructor(bytes: Uint8Array, count: number, firstSeqs: Float64Array, offsets: Uint32Array) {
    this.bytes = bytes;
    this.count = count;
    this.firstSeqs = firstSeqs;
    this.offsets = offsets;
  }

  static decode(bytes: Uint8Array, expectedCount: number, what: string): SeqTable {
    if (bytes.length < 5) throw new DataCorruptionError(`${what}: seq table too short`);
    const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
    const actual = crc32(bytes.subarray(0, bytes.length - 4));
    if (stored !== actual) throw new DataCorruptionError(`${what}: seq table crc mismatch (expected ${stored}, got ${actual})`);
    const r = new ByteReader(bytes, what, 0, bytes.length - 4);
    const count = r.varint();
    if (count !== expectedCount) throw new DataCorruptionError(`${what}: seq table holds ${count} docs, directory says ${expectedCount}`);
    const numBlocks = Math.ceil(count / SEQ_BLOCK);
    const firstSeqs = new Float64Array(numBlocks);
    const lens = new Uint32Array(numBlocks);
    for (let b = 0; b < numBlocks; b++) {
      firstSeqs[b] = r.u64();
      lens[b] = r.varint();
    }
    const offsets = new Uint32Array(numBlocks + 1);
    let at = r.pos;
    for (let b = 0; b < numBlocks; b++) {
      offsets[b] = at;
      at += lens[b];
    }
    offsets[numBlocks] = at;
    if (at !== r.end) throw new DataCorruptionError(`${what}: seq table data ends at ${at}, section at ${r.end}`);
    return new SeqTable(bytes, count, firstSeqs, offsets);
  }

  private loadBlock(b: number): Float64Array {
    if (this.cachedBlock === b) return this.cache;
    const r = new ByteReader(this.bytes, "seq table", this.offsets[b], this.offsets[b + 1]);
    const n = Math.min(SEQ_BLOCK, this.count - b * SEQ_BLOCK);
    let seq = this.firstSeqs[b];
    this.cache[0] = seq;
    for (let i = 1; i < n; i++) {
      seq += r.varint() + 1;
      this.cache[i] = seq;
    }
    this.cachedBlock = b;
    return this.cache;
  }

  seqAt(ord: number): number {
    if (ord < 0 || ord >= this.count) throw new RangeError(`seq table: ordinal ${ord} out of [0, ${this.count})`);
    return this.loadBlock(Math.floor(ord / SEQ_BLOCK))[ord % SEQ_BLOCK];
  }

  /** The ordinal holding `seq`, or −1 when the segment does not hold it. */
  ordOf(seq: number): number {
    const firsts = this.firstSeqs;
    let lo = 0;
    let hi = firsts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (firsts[mid] <= seq) lo = mid + 1;
      else hi = mid;
    }
    const b = lo - 1;
    if (b < 0) return -1;
    const block = this.loadBlock(b);
    const n = Math.min(SEQ_BLOCK, this.count - b * SEQ_BLOCK);
    let l = 0;
    let h = n;
    while (l < h) {
      const mid = (l + h) >>> 1;
      if (block[mid] < seq) l = mid + 1;
      else h = mid;
    }
    return l < n && block[l] === seq ? b * SEQ_BLOCK + l : -1;
  }
}
