/**
 * The postings of one term in one field of one segment: encoding, decoding and the cursor that walks them.
 * It does not know where the region sits in the object (term-dict.ts gives offset and df) nor how scores are
 * computed (bm25.ts); it stores what lets a scorer bound BM25 for any collection statistics: per block, the
 * Pareto frontier of (term frequency, document length) pairs — tf up means a higher score, dl up a lower one,
 * so the block's best score is reached at one of these pairs whatever k1, b and avgdl are.
 *
 * Term postings region (docs are segment ordinals, strictly increasing; BLOCK_SIZE = 128):
 *
 *   ┌────────────────────┬──────────────────────────────────────────────┬─────────┬───────┐
 *   │ varint numBlocks   │ skip entry × numBlocks                       │ block × │ u32   │
 *   │                    │  varint lastDocGap  (lastDoc − prevLast − 1)  │ numBlk  │ crc32 │
 *   │                    │  varint blockBytes                            │         │ of all│
 *   │                    │  u8 nImpacts (1..MAX_IMPACTS)                 │         │ before│
 *   │                    │  (varint tf, varint dl) × nImpacts            │         │       │
 *   └────────────────────┴──────────────────────────────────────────────┴─────────┴───────┘
 *   block = u8 gapBits │ u8 tfBits │ packed (doc − prevDoc − 1) × n │ packed (tf − 1) × n
 *   (prevDoc of a block's first doc is the previous block's lastDoc, −1 for the first block;
 *    n = 128 except in the last block, where it is df − 128·(numBlocks − 1))
 *
 * The skip entries come first so a reader can bound and skip blocks without decoding them; the whole region
 * is fetched with one range read (a term's posting blocks are what the query needs of it).
 */

import { DataCorruptionError } from "../../errors.ts";
import { bitsNeeded, pack, packedByteLength, unpack } from "./bit-packing.ts";
import { ByteReader, ByteWriter } from "./byte-io.ts";
import { crc32 } from "../../codec/crc32.ts";

export const BLOCK_SIZE = 128;
/** Frontier points kept per block; a longer frontier is coarsened into (max tf, min dl) groups (still a bound). */
export const MAX_IMPACTS = 8;
/** Cursor position after the last posting. */
export const NO_MORE_DOCS = 0x7fffffff;

const gaps = new Uint32Array(BLOCK_SIZE);
const tfm1 = new Uint32Array(BLOCK_SIZE);
const blockBuf = new Uint8Array(2 + 2 * packedByteLength(BLOCK_SIZE, 32) + 8);
const scratch = new ByteWriter(1 << 16);
const frontierTf: number[] = [];
const frontierDl: number[] = [];

/** Appends the region of postings (ords[start..end), tfs[start..end)) to `w`; docLength(ord) gives fieldnorms. */
export function encodeTermPostings(
  w: ByteWriter,
  ords: ArrayLike<number>,
  tfs: ArrayLike<number>,
  start: number,
  end: number,
  docLength: (ord: number) => number,
): void {
  const regionStart = w.length;
  const numBlocks = Math.ceil((end - start) / BLOCK_SIZE);
  w.varint(numBlocks);
  scratch.length = 0;
  let prevLast = -1;
  for (let b = 0; b < numBlocks; b++) {
    const s = start + b * BLOCK_SIZE;
    const e = Math.min(end, s + BLOCK_SIZE);
    let prev = prevLast;
    for (let i = s; i < e; i++) {
      gaps[i - s] = ords[i] - prev - 1;
      tfm1[i - s] = tfs[i] - 1;
      prev = ords[i];
    }
    const n = e - s;
    const gapBits = bitsNeeded(gaps, 0, n);
    const tfBits = bitsNeeded(tfm1, 0, n);
    blockBuf[0] = gapBits;
    blockBuf[1] = tfBits;
    let len = 2 + pack(gaps, 0, n, gapBits, blockBuf, 2);
    len += pack(tfm1, 0, n, tfBits, blockBuf, len);
    scratch.bytes(blockBuf.subarray(0, len));
    // Skip entry.
    w.varint(ords[e - 1] - prevLast - 1);
    w.varint(len);
    writeFrontier(w, tfs, ords, s, e, docLength);
    prevLast = ords[e - 1];
  }
  w.bytes(scratch.written());
  w.u32(crc32(w.written().subarray(regionStart, w.length)));
}

/** Writes the Pareto frontier of (tf, dl) over the block, coarsened to MAX_IMPACTS points. */
function writeFrontier(
  w: ByteWriter, tfs: ArrayLike<number>, ords: ArrayLike<number>, s: number, e: number, docLength: (ord: number) => number,
): void {
  // Sort candidates by tf descending, dl ascending; keep a point when its dl beats every higher-tf point.
  const idx: number[] = [];
  for (let i = s; i < e; i++) idx.push(i);
  idx.sort((a, b) => tfs[b] - tfs[a] || docLength(ords[a]) - docLength(ords[b]));
  frontierTf.length = 0;
  frontierDl.length = 0;
  let bestDl = Infinity;
  for (const i of idx) {
    const dl = docLength(ords[i]);
    if (dl < bestDl) {
      frontierTf.push(tfs[i]);
      frontierDl.push(dl);
      bestDl = dl;
    }
  }
  // frontier: tf strictly decreasing, dl strictly decreasing. Coarsen by merging neighbours into groups.
  const n = frontierTf.length;
  const groups = Math.min(n, MAX_IMPACTS);
  w.u8(groups);
  for (let g = 0; g < groups; g++) {
    const a = Math.floor((g * n) / groups);
    const b = Math.floor(((g + 1) * n) / groups);
    // Within a group the first point has the max tf and the last the min dl.
    w.varint(frontierTf[a]);
    w.varint(frontierDl[b - 1]);
  }
}

/** A decoded term postings region: skip data eagerly (small), blocks lazily via cursors. */
export class PostingList {
  readonly df: number;
  readonly numBlocks: number;
  readonly lastDocs: Int32Array;
  readonly blockOffsets: Uint32Array;
  /** Impacts of block i are impactTf/impactDl[impactStart[i] .. impactStart[i+1]). */
  readonly impactStart: Uint32Array;
  readonly impactTf: Uint32Array;
  readonly impactDl: Uint32Array;
  readonly bytes: Uint8Array;

  private constructor(
    bytes: Uint8Array, df: number, lastDocs: Int32Array, blockOffsets: Uint32Array,
    impactStart: Uint32Array, impactTf: Uint32Array, impactDl: Uint32Array,
  ) {
    this.bytes = bytes;
    this.df = df;
    this.numBlocks = lastDocs.length;
    this.lastDocs = lastDocs;
    this.blockOffsets = blockOffsets;
    this.impactStart = impactStart;
    this.impactTf = impactTf;
    this.impactDl = impactDl;
  }

  /** Verifies the region's crc32 and decodes its skip data. `what` names the term in error messages. */
  static decode(bytes: Uint8Array, df: number, what: string): PostingList {
    if (bytes.length < 5) throw new DataCorruptionError(`${what}: postings region too short (${bytes.length} bytes)`);
    const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
    const actual = crc32(bytes.subarray(0, bytes.length - 4));
    if (stored !== actual) {
      throw new DataCorruptionError(`${what}: postings crc mismatch (expected ${stored}, got ${actual})`);
    }
    const r = new ByteReader(bytes, what, 0, bytes.length - 4);
    const numBlocks = r.varint();
    if (numBlocks !== Math.ceil(df / BLOCK_SIZE)) {
      throw new DataCorruptionError(`${what}: ${numBlocks} posting blocks for df ${df}`);
    }
    const lastDocs = new Int32Array(numBlocks);
    const lens = new Uint32Array(numBlocks);
    const impactStart = new Uint32Array(numBlocks + 1);
    const tfs: number[] = [];
    const dls: number[] = [];
    let prev = -1;
    for (let b = 0; b < numBlocks; b++) {
      prev = prev + 1 + r.varint();
      lastDocs[b] = prev;
      lens[b] = r.varint();
      const n = r.u8();
      impactStart[b] = tfs.length;
      for (let i = 0; i < n; i++) {
        tfs.push(r.varint());
        dls.push(r.varint());
      }
    }
    impactStart[numBlocks] = tfs.length;
    const blockOffsets = new Uint32Array(numBlocks);
    let at = r.pos;
    for (let b = 0; b < numBlocks; b++) {
      blockOffsets[b] = at;
      at += lens[b];
    }
    if (at !== bytes.length - 4) throw new DataCorruptionError(`${what}: posting blocks end at ${at}, region at ${bytes.length - 4}`);
    return new PostingList(bytes, df, lastDocs, blockOffsets, impactStart, Uint32Array.from(tfs), Uint32Array.from(dls));
  }

  cursor(): PostingCursor {
    return new PostingCursor(this);
  }
}

/** Walks one PostingList in ord order. `doc` is NO_MORE_DOCS when exhausted. */
export class PostingCursor {
  readonly list: PostingList;
  doc = -1;
  tf = 0;
  /** Block currently decoded (−1 before the first). */
  block = -1;
  private pos = 0;
  private n = 0;
  private readonly docs = new Uint32Array(BLOCK_SIZE);
  private readonly tfs = new Uint32Array(BLOCK_SIZE);

  constructor(list: PostingList) {
    this.list = list;
  }

  private load(block: number): void {
    const list = this.list;
    this.block = block;
    this.pos = 0;
    if (block >= list.numBlocks) {
      this.doc = NO_MORE_DOCS;
      this.n = 0;
      return;
    }
    const n = block === list.numBlocks - 1 ? list.df - BLOCK_SIZE * (list.numBlocks - 1) : BLOCK_SIZE;
    const at = list.blockOffsets[block];
    const bytes = list.bytes;
    const gapBits = bytes[at];
    const tfBits = bytes[at + 1];
    if (gapBits > 32 || tfBits > 32) throw new DataCorruptionError(`postings: bad bit widths ${gapBits}/${tfBits}`);
    unpack(bytes, at + 2, n, gapBits, this.docs);
    unpack(bytes, at + 2 + packedByteLength(n, gapBits), n, tfBits, this.tfs);
    let prev = block === 0 ? -1 : list.lastDocs[block - 1];
    const docs = this.docs;
    const tfs = this.tfs;
    for (let i = 0; i < n; i++) {
      prev = prev + docs[i] + 1;
      docs[i] = prev;
      tfs[i] += 1;
    }
    if (prev !== list.lastDocs[block]) {
      throw new DataCorruptionError(`postings: block ${block} ends at doc ${prev}, skip entry says ${list.lastDocs[block]}`);
    }
    this.n = n;
  }

  /** Moves to the next posting. */
  next(): number {
    if (this.doc === NO_MORE_DOCS) return NO_MORE_DOCS;
    if (this.block < 0 || ++this.pos >= this.n) {
      this.load(this.block + 1);
      if (this.doc === NO_MORE_DOCS) return NO_MORE_DOCS;
    }
    this.doc = this.docs[this.pos];
    this.tf = this.tfs[this.pos];
    return this.doc;
  }

  /** Moves to the first posting with doc ≥ target (never backwards). */
  advance(target: number): number {
    if (this.doc >= target) return this.doc;
    const list = this.list;
    if (this.block < 0 || list.lastDocs[this.block] < target) {
      const b = this.blockFor(target);
      this.load(b);
      if (this.doc === NO_MORE_DOCS) return NO_MORE_DOCS;
    }
    const docs = this.docs;
    let p = this.pos;
    while (docs[p] < target) p++;
    this.pos = p;
    this.doc = docs[p];
    this.tf = this.tfs[p];
    return this.doc;
  }

  /** First block (at or after the current one) whose lastDoc ≥ target; numBlocks if none. No decoding. */
  blockFor(target: number): number {
    const lastDocs = this.list.lastDocs;
    let lo = Math.max(this.block, 0);
    let hi = this.list.numBlocks;
    // Galloping then binary search: targets are usually near.
    let step = 1;
    while (lo + step < hi && lastDocs[lo + step] < target) {
      lo += step;
      step *= 2;
    }
    hi = Math.min(hi, lo + step + 1);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lastDocs[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
