/**
 * The cluster block: one cluster's quantized entries laid out for a fast scan, plus an optional
 * trailing part with the full-precision vectors that only a rerank (or a split) reads. Owns the
 * bytes and the in-memory view (ClusterBlock); not how blocks are grouped into objects
 * (cluster-object.ts) nor how entries are encoded (rabitq-encoder.ts).
 *
 * A query reads a block in two steps: the head (seqs, 1-bit codes and factors: ~128 B per entry
 * at 768-d) of every probed block, then only the extra-bit rows of the few entries whose 1-bit
 * bound survives (the ex rows are ~4× the head). So the head comes first and has its own checksum.
 *
 * Scan part (little-endian; every section starts 16-byte aligned from the block start, so typed
 * arrays and v128 loads can view it in place):
 *
 *   0      4   magic "EVCB"
 *   4      2   format version (2)
 *   6      2   flags: bit 0 = vectors part present
 *   8      4   clusterId
 *   12     4   n (entries)
 *   16     2   dim D          18  2  paddedDim P (multiple of 128)
 *   20     1   exBits b       21  1  metric code      22  2  reserved (0)
 *   24     4   scanBytes      28  4  vectorBytes (0 when absent)
 *   32     8n  seq: float64[n] (unsigned integers < 2^53, the join key to documents)
 *   a16   Pn/8 code1: n sign-bit codes of P/8 bytes
 *   a16   24n  factors: float32 columns add | rescale1 | error1 | rescaleEx | popcount | sumU
 *   a16   16   head footer: crc32 of bytes [0, here) | u32 headBytes | u32 0 | magic "EVCH"
 *   --- ex part (at headBytes, which depends on n and P only) ---
 *   0    bPn/8 ex rows: per entry b bit planes of P/8 bytes (plane j = bit j of the ex codes)
 *   a16   16   footer: crc32 of the ex rows | u32 n | u32 row bytes (bP/8) | magic "EVCB"
 *
 * Vectors part (at scanBytes, present when flag bit 0 is set):
 *
 *   0     4nD  vectors: float32[n][D], as stored (unit length under cosine), in entry order
 *   a16   16   footer: crc32 of the vectors bytes | u32 n | u32 D | magic "EVCV"
 *
 * Single ex rows or vector rows read on their own cannot be verified (they are slices of a
 * checked object in the common case); whole parts always are.
 */

import { crc32 } from "../../codec/crc32.ts";
import { DataCorruptionError, InvalidArgumentError } from "../../errors.ts";
import { type VectorMetric, metricCode, metricFromCode } from "./distance.ts";
import { FACTOR_COUNT, type EntryCode } from "./rabitq-encoder.ts";
import type { FactorColumns } from "./rabitq-query.ts";

export const CLUSTER_BLOCK_MAGIC = 0x42435645; // "EVCB"
export const CLUSTER_VECTORS_MAGIC = 0x56435645; // "EVCV"
export const CLUSTER_HEAD_MAGIC = 0x48435645; // "EVCH"
export const CLUSTER_BLOCK_VERSION = 2;
const HEADER_BYTES = 32;
const FOOTER_BYTES = 16;
const MAX_SEQ = 2 ** 53;

export interface ClusterBlock {
  readonly clusterId: number;
  readonly count: number;
  readonly dim: number;
  readonly paddedDim: number;
  readonly exBits: number;
  readonly metric: VectorMetric;
  readonly seqs: Float64Array;
  readonly code1: Uint8Array;
  readonly factors: FactorColumns;
  /** Extra-bit rows (count × exBits·P/8), or null when only the head was decoded. */
  readonly ex: Uint8Array | null;
  /** Whether the block was written with a vectors part. */
  readonly hasVectors: boolean;
  /** Full-precision vectors (count × dim) when the decoded bytes included the vectors part. */
  readonly vectors: Float32Array | null;
  /** Bytes of the head (header, seqs, 1-bit codes, factors, head footer); the ex part starts here. */
  readonly headBytes: number;
  readonly scanBytes: number;
  readonly vectorBytes: number;
}

interface Layout {
  seq: number;
  code1: number;
  factors: number;
  headFooter: number;
  ex: number;
  footer: number;
  scanBytes: number;
  vectorBytes: number;
}

const a16 = (n: number): number => (n + 15) & ~15;

function layout(n: number, dim: number, paddedDim: number, exBits: number, withVectors: boolean): Layout {
  const codeBytes = paddedDim >> 3;
  const seq = HEADER_BYTES;
  const code1 = a16(seq + 8 * n);
  const factors = a16(code1 + codeBytes * n);
  const headFooter = a16(factors + 4 * FACTOR_COUNT * n);
  const ex = headFooter + FOOTER_BYTES;
  const footer = a16(ex + exBits * codeBytes * n);
  const scanBytes = footer + FOOTER_BYTES;
  const vectorBytes = withVectors ? a16(4 * n * dim) + FOOTER_BYTES : 0;
  return { seq, code1, factors, headFooter, ex, footer, scanBytes, vectorBytes };
}

/** Bytes of a block's head: a query reads [offset, offset + headBytes) of each probed block. */
export function blockHeadBytes(count: number, paddedDim: number): number {
  return layout(count, 0, paddedDim, 0, false).ex;
}

/** Byte range of entry `e`'s ex row, relative to the block start. */
export function exRowRange(count: number, paddedDim: number, exBits: number, e: number): [number, number] {
  const row = exBits * (paddedDim >> 3);
  const start = blockHeadBytes(count, paddedDim) + e * row;
  return [start, start + row];
}

/** The parameters every block of an index shares. */
export interface BlockShape {
  readonly dim: number;
  readonly paddedDim: number;
  readonly exBits: number;
  readonly metric: VectorMetric;
  readonly withVectors: boolean;
}

/** Entries a block is written from: entry e's fields at e × their size in each column. */
export interface EntryColumns {
  readonly seqs: Float64Array;
  readonly code1: Uint8Array;
  /** FACTOR_COUNT per entry, in encoder slot order. */
  readonly factors: Float32Array;
  readonly ex: Uint8Array;
  /** dim per entry (read only for a vectors part). */
  readonly vectors: Float32Array;
}

/** Sizes of the two parts of a block of n entries (vectorBytes 0 without a vectors part). */
export function clusterBlockSizes(shape: BlockShape, n: number): { scanBytes: number; vectorBytes: number } {
  const L = layout(n, shape.dim, shape.paddedDim, shape.exBits, shape.withVectors);
  return { scanBytes: L.scanBytes, vectorBytes: L.vectorBytes };
}

/**
 * Writes the block of `clusterId` holding entries rows[0..n) of `cols` in that order (entries
 * 0..n−1 when rows is null) at out[at, at + its sizes) — `at` 16-aligned, the bytes zero.
 */
export function writeClusterBlock(
  out: Uint8Array,
  at: number,
  shape: BlockShape,
  clusterId: number,
  cols: EntryColumns,
  n: number,
  rows: Int32Array | null = null,
): void {
  const { dim, exBits, withVectors } = shape;
  const cb = shape.paddedDim >> 3;
  const xb = cb * exBits;
  const L = layout(n, dim, shape.paddedDim, exBits, withVectors);
  const base = out.byteOffset + at;
  const dv = new DataView(out.buffer, base, L.scanBytes + L.vectorBytes);
  dv.setUint32(0, CLUSTER_BLOCK_MAGIC, true);
  dv.setUint16(4, CLUSTER_BLOCK_VERSION, true);
  dv.setUint16(6, withVectors ? 1 : 0, true);
  dv.setUint32(8, clusterId, true);
  dv.setUint32(12, n, true);
  dv.setUint16(16, dim, true);
  dv.setUint16(18, shape.paddedDim, true);
  dv.setUint8(20, exBits);
  dv.setUint8(21, metricCode(shape.metric));
  dv.setUint32(24, L.scanBytes, true);
  dv.setUint32(28, L.vectorBytes, true);
  const seqs = new Float64Array(out.buffer, base + L.seq, n);
  const factors = new Float32Array(out.buffer, base + L.factors, n * FACTOR_COUNT);
  const vectors = withVectors ? new Float32Array(out.buffer, base + L.scanBytes, n * dim) : null;
  if (rows === null) {
    seqs.set(cols.seqs.subarray(0, n));
    out.set(cols.code1.subarray(0, n * cb), at + L.code1);
    out.set(cols.ex.subarray(0, n * xb), at + L.ex);
    vectors?.set(cols.vectors.subarray(0, n * dim));
  } else {
    for (let j = 0; j < n; j++) {
      const e = rows[j];
      seqs[j] = cols.seqs[e];
      out.set(cols.code1.subarray(e * cb, (e + 1) * cb), at + L.code1 + j * cb);
      out.set(cols.ex.subarray(e * xb, (e + 1) * xb), at + L.ex + j * xb);
      vectors?.set(cols.vectors.subarray(e * dim, (e + 1) * dim), j * dim);
    }
  }
  for (let j = 0; j < n; j++) {
    const o = (rows === null ? j : rows[j]) * FACTOR_COUNT;
    for (let f = 0; f < FACTOR_COUNT; f++) factors[f * n + j] = cols.factors[o + f];
  }
  dv.setUint32(L.headFooter, crc32(out.subarray(at, at + L.headFooter)), true);
  dv.setUint32(L.headFooter + 4, L.ex, true);
  dv.setUint32(L.headFooter + 12, CLUSTER_HEAD_MAGIC, true);
  dv.setUint32(L.footer, crc32(out.subarray(at + L.ex, at + L.ex + n * xb)), true);
  dv.setUint32(L.footer + 4, n, true);
  dv.setUint32(L.footer + 8, xb, true);
  dv.setUint32(L.footer + 12, CLUSTER_BLOCK_MAGIC, true);
  if (withVectors) {
    const v0 = at + L.scanBytes;
    const vf = L.scanBytes + L.vectorBytes - FOOTER_BYTES;
    dv.setUint32(vf, crc32(out.subarray(v0, v0 + 4 * n * dim)), true);
    dv.setUint32(vf + 4, n, true);
    dv.setUint32(vf + 8, dim, true);
    dv.setUint32(vf + 12, CLUSTER_VECTORS_MAGIC, true);
  }
}

/** Encoded entries in arrival order, held in the columns a block is written from. */
export class EntryStore implements BlockShape, EntryColumns {
  readonly dim: number;
  readonly paddedDim: number;
  readonly exBits: number;
  readonly metric: VectorMetric;
  readonly withVectors: boolean;
  seqs = new Float64Array(0);
  code1 = new Uint8Array(0);
  factors = new Float32Array(0);
  ex = new Uint8Array(0);
  vectors = new Float32Array(0);
  private readonly codeBytes: number;
  private n = 0;
  private cap = 0;

  constructor(shape: BlockShape) {
    this.dim = shape.dim;
    this.paddedDim = shape.paddedDim;
    this.exBits = shape.exBits;
    this.metric = shape.metric;
    this.withVectors = shape.withVectors;
    this.codeBytes = shape.paddedDim >> 3;
  }

  get count(): number {
    return this.n;
  }

  /** Pre-sizes the store for `entries` entries (no doubling slack when the count is known). */
  reserve(entries: number): void {
    if (entries > this.cap) this.grow(entries);
  }

  /**
   * Doubles from one entry: a flush fragment spreads ~1,000 vectors over as many clusters, and a
   * first capacity of 16 allocated (and zeroed) ~50 KB per 768-d block for one or two entries.
   */
  private grow(to = 0): void {
    const cap = Math.max(1, this.cap * 2, to);
    const grow = <T extends Float64Array | Float32Array | Uint8Array>(old: T, make: (len: number) => T, per: number): T => {
      const next = make(cap * per);
      next.set(old);
      return next;
    };
    this.seqs = grow(this.seqs, (l) => new Float64Array(l), 1);
    this.code1 = grow(this.code1, (l) => new Uint8Array(l), this.codeBytes);
    this.factors = grow(this.factors, (l) => new Float32Array(l), FACTOR_COUNT);
    this.ex = grow(this.ex, (l) => new Uint8Array(l), this.codeBytes * this.exBits);
    if (this.withVectors) this.vectors = grow(this.vectors, (l) => new Float32Array(l), this.dim);
    this.cap = cap;
  }

  /** Adds a freshly encoded entry (factors in encoder slot order); `vector` is kept for a vectors part. */
  add(seq: number, code: EntryCode, vector: Float32Array | null): void {
    checkSeq(seq);
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.seqs[i] = seq;
    this.code1.set(code.code1, i * this.codeBytes);
    this.ex.set(code.ex, i * this.codeBytes * this.exBits);
    for (let f = 0; f < FACTOR_COUNT; f++) this.factors[i * FACTOR_COUNT + f] = code.factors[f];
    this.setVector(i, vector);
  }

  /** Copies entry `e` of an existing block of the same cluster layout (merges re-use codes as is). */
  addFrom(block: ClusterBlock, e: number, vector: Float32Array | null): void {
    if (block.paddedDim !== this.paddedDim || block.exBits !== this.exBits || block.dim !== this.dim) {
      throw new InvalidArgumentError(
        `cluster-block: cannot merge a block of P=${block.paddedDim} b=${block.exBits} into P=${this.paddedDim} b=${this.exBits}`,
      );
    }
    if (block.ex === null && this.exBits > 0) {
      throw new InvalidArgumentError(`cluster-block: entries of cluster ${block.clusterId} were decoded without their ex rows`);
    }
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    const cb = this.codeBytes;
    const xb = cb * this.exBits;
    this.seqs[i] = block.seqs[e];
    this.code1.set(block.code1.subarray(e * cb, (e + 1) * cb), i * cb);
    if (block.ex) this.ex.set(block.ex.subarray(e * xb, (e + 1) * xb), i * xb);
    const f = block.factors;
    const o = i * FACTOR_COUNT;
    this.factors[o] = f.add[e];
    this.factors[o + 1] = f.rescale1[e];
    this.factors[o + 2] = f.error1[e];
    this.factors[o + 3] = f.rescaleEx[e];
    this.factors[o + 4] = f.popcount[e];
    this.factors[o + 5] = f.sumU[e];
    this.setVector(i, vector ?? (block.vectors ? block.vectors.subarray(e * this.dim, (e + 1) * this.dim) : null));
  }

  private setVector(i: number, vector: Float32Array | null): void {
    if (!this.withVectors) return;
    if (vector === null || vector.length !== this.dim) {
      throw new InvalidArgumentError(`cluster-block: entry ${i} needs a ${this.dim}-d vector for the vectors part`);
    }
    this.vectors.set(vector, i * this.dim);
  }
}

/** Accumulates entries of one cluster and serializes them as a block. */
export class ClusterBlockBuilder extends EntryStore {
  readonly clusterId: number;

  constructor(opts: BlockShape & { clusterId: number }) {
    super(opts);
    this.clusterId = opts.clusterId;
  }

  /** Serializes scan part and (when enabled) vectors part into one buffer. */
  finish(): Uint8Array {
    const { scanBytes, vectorBytes } = clusterBlockSizes(this, this.count);
    const out = new Uint8Array(scanBytes + vectorBytes);
    writeClusterBlock(out, 0, this, this.clusterId, this, this.count);
    return out;
  }
}

function checkSeq(seq: number): void {
  if (!Number.isInteger(seq) || seq < 0 || seq >= MAX_SEQ) {
    throw new InvalidArgumentError(`cluster-block: seq ${seq} is not an unsigned integer below 2^53`);
  }
}

export interface DecodeBlockOptions {
  /** Verify the crc32 footers (default true; callers cache decoded blocks, so this runs once). */
  verify?: boolean;
}

/**
 * Decodes a block from its head alone (ex = null), its scan part (head + ex rows), or scan part +
 * vectors part, verifying every part it is given. Views the bytes in place when they are 16-byte
 * aligned (copies otherwise).
 */
export function decodeClusterBlock(input: Uint8Array | ArrayBuffer, opts: DecodeBlockOptions = {}): ClusterBlock {
  let bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteOffset % 16 !== 0) bytes = bytes.slice();
  if (bytes.byteLength < HEADER_BYTES + FOOTER_BYTES) {
    throw new DataCorruptionError(`cluster-block: ${bytes.byteLength} bytes is too short for a block`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0, true);
  if (magic !== CLUSTER_BLOCK_MAGIC) {
    throw new DataCorruptionError(`cluster-block: bad magic 0x${magic.toString(16)}`);
  }
  const version = dv.getUint16(4, true);
  if (version !== CLUSTER_BLOCK_VERSION) {
    throw new DataCorruptionError(`cluster-block: unsupported format version ${version}`);
  }
  const flags = dv.getUint16(6, true);
  const clusterId = dv.getUint32(8, true);
  const n = dv.getUint32(12, true);
  const dim = dv.getUint16(16, true);
  const paddedDim = dv.getUint16(18, true);
  const exBits = dv.getUint8(20);
  const metric = metricFromCode(dv.getUint8(21));
  const scanBytes = dv.getUint32(24, true);
  const vectorBytes = dv.getUint32(28, true);
  const hasVectors = (flags & 1) === 1;
  const L = layout(n, dim, paddedDim, exBits, hasVectors);
  if (L.scanBytes !== scanBytes || L.vectorBytes !== vectorBytes || bytes.byteLength < L.ex) {
    throw new DataCorruptionError(
      `cluster-block: cluster ${clusterId} header sizes (scan ${scanBytes}, vectors ${vectorBytes}) do not match n=${n} (got ${bytes.byteLength} bytes)`,
    );
  }
  const verify = opts.verify ?? true;
  const check = (from: number, to: number, footer: number, want: number, part: string): void => {
    if (!verify) return;
    const stored = dv.getUint32(footer, true);
    const got = crc32(bytes.subarray(from, to));
    if (stored !== got || dv.getUint32(footer + 12, true) !== want) {
      throw new DataCorruptionError(`cluster-block: ${part} crc mismatch in cluster ${clusterId} (expected ${stored}, got ${got})`);
    }
  };
  check(0, L.headFooter, L.headFooter, CLUSTER_HEAD_MAGIC, "head");
  const buf = bytes.buffer;
  const o = bytes.byteOffset;
  const codeBytes = paddedDim >> 3;
  const col = (f: number): Float32Array => new Float32Array(buf, o + L.factors + 4 * f * n, n);
  const exLen = n * codeBytes * exBits;
  let ex: Uint8Array | null = null;
  if (bytes.byteLength >= scanBytes) {
    check(L.ex, L.ex + exLen, L.footer, CLUSTER_BLOCK_MAGIC, "ex rows");
    ex = new Uint8Array(buf, o + L.ex, exLen);
  }
  let vectors: Float32Array | null = null;
  if (hasVectors && bytes.byteLength >= scanBytes + vectorBytes) {
    const v0 = scanBytes;
    check(v0, v0 + 4 * n * dim, v0 + vectorBytes - FOOTER_BYTES, CLUSTER_VECTORS_MAGIC, "vectors");
    vectors = new Float32Array(buf, o + v0, n * dim);
  }
  return {
    clusterId,
    count: n,
    dim,
    paddedDim,
    exBits,
    metric,
    seqs: new Float64Array(buf, o + L.seq, n),
    code1: new Uint8Array(buf, o + L.code1, n * codeBytes),
    factors: {
      add: col(0),
      rescale1: col(1),
      error1: col(2),
      rescaleEx: col(3),
      popcount: col(4),
      sumU: col(5),
    },
    ex,
    hasVectors,
    vectors,
    headBytes: L.ex,
    scanBytes,
    vectorBytes,
  };
}

/** Byte range of row `e`'s vector inside the vectors part, relative to the block start. */
export function vectorRowRange(block: Pick<ClusterBlock, "scanBytes" | "dim">, e: number): [number, number] {
  const start = block.scanBytes + 4 * e * block.dim;
  return [start, start + 4 * block.dim];
}
