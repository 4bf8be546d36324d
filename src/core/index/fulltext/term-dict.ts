/**
 * The term dictionary of one field of one segment: sorted terms cut into small blocks, each with its terms'
 * document frequency and postings location, plus a sparse index (first term of every block) that the reader
 * keeps in memory so a lookup reads exactly one dictionary block. It does not decode postings.
 *
 * Terms are ordered by JavaScript string comparison (UTF-16 code units); writer and reader use the same order.
 *
 * Dictionary block (at most DICT_BLOCK_TERMS terms, cut early past DICT_BLOCK_TARGET_BYTES):
 *
 *   ┌──────────────┬──────────────────────┬──────────────────────────────────────────────┬───────┐
 *   │ varint nTerms│ varint firstPostings │ term entry × nTerms                          │ u32   │
 *   │              │ (offset of the first │  varint sharedPrefix (UTF-16 units with prev) │ crc32 │
 *   │              │  term's region, from │  string suffix (varint len + UTF-8)           │       │
 *   │              │  the field's postings│  varint df                                    │       │
 *   │              │  base)               │  varint postingsBytes                         │       │
 *   └──────────────┴──────────────────────┴──────────────────────────────────────────────┴───────┘
 *   A term's postings offset = firstPostings + the postingsBytes of the terms before it in the block.
 *
 * Sparse index entry (in the object's directory): string firstTerm, varint blockBytes.
 */

import { DataCorruptionError } from "../../errors.ts";
import { ByteReader, ByteWriter } from "./byte-io.ts";
import { crc32 } from "../../codec/crc32.ts";

export const DICT_BLOCK_TERMS = 64;
export const DICT_BLOCK_TARGET_BYTES = 2048;

export interface TermInfo {
  df: number;
  /** Offset of the term's postings region from the field's postings base. */
  postingsOffset: number;
  postingsBytes: number;
}

export interface SparseEntry {
  firstTerm: string;
  /** Offset of the block from the field's dictionary base. */
  offset: number;
  bytes: number;
}

/** Builds dictionary blocks from terms added in sorted order. */
export class TermDictWriter {
  readonly out: ByteWriter;
  readonly sparse: SparseEntry[] = [];
  private readonly base: number;
  private block = new ByteWriter(4096);
  private prev = "";
  private pending: Array<{ term: string; info: TermInfo }> = [];

  /** Blocks are appended to `out`, offsets counted from its length at construction. */
  constructor(out: ByteWriter) {
    this.out = out;
    this.base = out.length;
  }

  add(term: string, info: TermInfo): void {
    if (this.pending.length > 0 && !(term > this.prev)) {
      throw new Error(`term-dict: terms out of order ('${this.prev}' then '${term}')`);
    }
    this.pending.push({ term, info });
    this.prev = term;
    if (this.pending.length >= DICT_BLOCK_TERMS || this.estimate() >= DICT_BLOCK_TARGET_BYTES) this.flushBlock();
  }

  private estimate(): number {
    let n = 0;
    for (const p of this.pending) n += p.term.length + 6;
    return n;
  }

  private flushBlock(): void {
    const terms = this.pending;
    if (terms.length === 0) return;
    const b = this.block;
    b.length = 0;
    b.varint(terms.length);
    b.varint(terms[0].info.postingsOffset);
    let prev = "";
    let expected = terms[0].info.postingsOffset;
    for (const { term, info } of terms) {
      if (info.postingsOffset !== expected) throw new Error("term-dict: postings regions must be contiguous in term order");
      let shared = 0;
      const max = Math.min(prev.length, term.length);
      while (shared < max && prev.charCodeAt(shared) === term.charCodeAt(shared)) shared++;
      // Never split a surrogate pair between prefix and suffix: the suffix must be valid UTF-16.
      if (shared > 0 && shared < term.length && isLowSurrogate(term.charCodeAt(shared))) shared--;
      b.varint(shared);
      b.string(term.slice(shared));
      b.varint(info.df);
      b.varint(info.postingsBytes);
      expected += info.postingsBytes;
      prev = term;
    }
    b.u32(crc32(b.written()));
    this.sparse.push({ firstTerm: terms[0].term, offset: this.out.length - this.base, bytes: b.length });
    this.out.bytes(b.written());
    this.pending = [];
  }

  /** Writes the last partial block; returns the sparse index. */
  finish(): SparseEntry[] {
    this.flushBlock();
    return this.sparse;
  }
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

export interface DictBlock {
  terms: string[];
  infos: TermInfo[];
}

/** Verifies and decodes one dictionary block. */
export function decodeDictBlock(bytes: Uint8Array, what: string): DictBlock {
  if (bytes.length < 5) throw new DataCorruptionError(`${what}: dictionary block too short (${bytes.length} bytes)`);
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
  const actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual) throw new DataCorruptionError(`${what}: dictionary block crc mismatch (expected ${stored}, got ${actual})`);
  const r = new ByteReader(bytes, what, 0, bytes.length - 4);
  const n = r.varint();
  let offset = r.varint();
  const terms: string[] = [];
  const infos: TermInfo[] = [];
  let prev = "";
  for (let i = 0; i < n; i++) {
    const shared = r.varint();
    if (shared > prev.length) throw new DataCorruptionError(`${what}: shared prefix ${shared} > ${prev.length}`);
    const term = prev.slice(0, shared) + r.string();
    const df = r.varint();
    const postingsBytes = r.varint();
    terms.push(term);
    infos.push({ df, postingsOffset: offset, postingsBytes });
    offset += postingsBytes;
    prev = term;
  }
  if (r.pos !== r.end) throw new DataCorruptionError(`${what}: ${r.end - r.pos} trailing bytes in dictionary block`);
  return { terms, infos };
}

/** Index of the block that may hold `term` (last block whose first term ≤ term), or −1. */
export function findDictBlock(sparse: readonly SparseEntry[], term: string): number {
  let lo = 0;
  let hi = sparse.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sparse[mid].firstTerm <= term) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The term's info inside a decoded block, or undefined. */
export function lookupInBlock(block: DictBlock, term: string): TermInfo | undefined {
  let lo = 0;
  let hi = block.terms.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const t = block.terms[mid];
    if (t === term) return block.infos[mid];
    if (t < term) lo = mid + 1;
    else hi = mid;
  }
  return undefined;
}
