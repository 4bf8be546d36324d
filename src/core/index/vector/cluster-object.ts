/**
 * The cluster object: many cluster blocks concatenated, with an offset table at the end, so a query
 * reads the (small, cached) table once and then one byte range per probed cluster. Base objects and
 * delta fragments share this format. Owns the object bytes and range reads of blocks and vector
 * rows; not which objects exist (the manifest) nor the block internals (cluster-block.ts).
 *
 *   0      ...   block 0 (scan part [+ vectors part]), padded to 16 bytes
 *   ...    ...   block 1 ... block m−1
 *   T      8     table header: m (u32) | reserved u32 (0)
 *   T+8    24·m  per block: clusterId u32 | count u32 | offset f64 | scanBytes u32 | vectorBytes u32
 *   end−16 16    footer: table offset T (f64) | crc32 of table bytes [T, end−16) | magic "EVCO"
 *
 * Blocks appear in the order given (builders emit ascending cluster ids); a cluster appears at most
 * once per object. The locations are also returned by the encoder so a manifest can hold them and a
 * cold query can skip the table read.
 */

import { crc32 } from "../../codec/crc32.ts";
import { DataCorruptionError, InvalidArgumentError } from "../../errors.ts";
import type { RangeReader } from "../../../storage/range-reader.ts";
import {
  CLUSTER_VECTORS_MAGIC,
  type ClusterBlock,
  type DecodeBlockOptions,
  EntryStore,
  blockHeadBytes,
  clusterBlockSizes,
  decodeClusterBlock,
  exRowRange,
  writeClusterBlock,
} from "./cluster-block.ts";
import type { EntryCode } from "./rabitq-encoder.ts";

export const CLUSTER_OBJECT_MAGIC = 0x4f435645; // "EVCO"
const TABLE_ENTRY_BYTES = 24;
const FOOTER_BYTES = 16;
/** Tail fetched speculatively on a cold open: holds footer + table for ~2,700 blocks. */
export const CLUSTER_OBJECT_TAIL_FETCH_BYTES = 65536;

/** Where one cluster's block lives inside an object. */
export interface ClusterBlockLocation {
  clusterId: number;
  count: number;
  offset: number;
  scanBytes: number;
  vectorBytes: number;
}

/**
 * Entries of many clusters in arrival order, written as one object with a block per cluster
 * (ascending ids, each cluster's entries in arrival order): the same bytes as a builder per
 * cluster and encodeClusterObject, without a builder and a block buffer per cluster — a flush
 * fragment spreads ~1,000 vectors over about as many clusters.
 */
export class FragmentBuilder extends EntryStore {
  private clusters = new Int32Array(16);

  /** Adds an encoded entry of cluster `clusterId` (see EntryStore.add). */
  addTo(clusterId: number, seq: number, code: EntryCode, vector: Float32Array | null): void {
    if (this.count === this.clusters.length) {
      const next = new Int32Array(2 * this.clusters.length);
      next.set(this.clusters);
      this.clusters = next;
    }
    this.clusters[this.count] = clusterId;
    this.add(seq, code, vector);
  }

  /** The entries grouped by cluster: entry order, and [clusterId, start, count] runs in it. */
  private runs(): { order: Int32Array; runs: [number, number, number][] } {
    const c = this.clusters;
    const order = Int32Array.from({ length: this.count }, (_, i) => i).sort((a, b) => c[a] - c[b] || a - b);
    const runs: [number, number, number][] = [];
    for (let s = 0; s < order.length; ) {
      let e = s + 1;
      while (e < order.length && c[order[e]] === c[order[s]]) e++;
      runs.push([c[order[s]], s, e - s]);
      s = e;
    }
    return { order, runs };
  }

  /** One block per cluster, ascending ids. */
  finishBlocks(): Uint8Array[] {
    const { order, runs } = this.runs();
    return runs.map(([clusterId, start, count]) => {
      const { scanBytes, vectorBytes } = clusterBlockSizes(this, count);
      const out = new Uint8Array(scanBytes + vectorBytes);
      writeClusterBlock(out, 0, this, clusterId, this, count, order.subarray(start, start + count));
      return out;
    });
  }

  /** The object encodeClusterObject(finishBlocks()) would give, written in place. */
  finishObject(): { bytes: Uint8Array; locations: ClusterBlockLocation[] } {
    const { order, runs } = this.runs();
    const locations: ClusterBlockLocation[] = [];
    let offset = 0;
    for (const [clusterId, , count] of runs) {
      const { scanBytes, vectorBytes } = clusterBlockSizes(this, count);
      locations.push({ clusterId, count, offset, scanBytes, vectorBytes });
      offset += (scanBytes + vectorBytes + 15) & ~15;
    }
    const out = new Uint8Array(offset + 8 + TABLE_ENTRY_BYTES * locations.length + FOOTER_BYTES);
    runs.forEach(([clusterId, start, count], i) => {
      writeClusterBlock(out, locations[i].offset, this, clusterId, this, count, order.subarray(start, start + count));
    });
    writeTable(out, offset, locations);
    return { bytes: out, locations };
  }
}

/** Concatenates encoded blocks (output of ClusterBlockBuilder.finish) into one object. */
export function encodeClusterObject(blocks: Uint8Array[]): { bytes: Uint8Array; locations: ClusterBlockLocation[] } {
  const locations: ClusterBlockLocation[] = [];
  const seen = new Set<number>();
  let offset = 0;
  for (const b of blocks) {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const clusterId = dv.getUint32(8, true);
    if (seen.has(clusterId)) throw new InvalidArgumentError(`cluster-object: cluster ${clusterId} appears twice`);
    seen.add(clusterId);
    locations.push({
      clusterId,
      count: dv.getUint32(12, true),
      offset,
      scanBytes: dv.getUint32(24, true),
      vectorBytes: dv.getUint32(28, true),
    });
    offset += (b.byteLength + 15) & ~15;
  }
  const out = new Uint8Array(offset + 8 + TABLE_ENTRY_BYTES * locations.length + FOOTER_BYTES);
  for (let i = 0; i < blocks.length; i++) out.set(blocks[i], locations[i].offset);
  writeTable(out, offset, locations);
  return { bytes: out, locations };
}

/** Writes the offset table at tableOffset and the footer after it (they end the object). */
function writeTable(out: Uint8Array, tableOffset: number, locations: ClusterBlockLocation[]): void {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(tableOffset, locations.length, true);
  let p = tableOffset + 8;
  for (const l of locations) {
    dv.setUint32(p, l.clusterId, true);
    dv.setUint32(p + 4, l.count, true);
    dv.setFloat64(p + 8, l.offset, true);
    dv.setUint32(p + 16, l.scanBytes, true);
    dv.setUint32(p + 20, l.vectorBytes, true);
    p += TABLE_ENTRY_BYTES;
  }
  dv.setFloat64(p, tableOffset, true);
  dv.setUint32(p + 8, crc32(out.subarray(tableOffset, p)), true);
  dv.setUint32(p + 12, CLUSTER_OBJECT_MAGIC, true);
}

/** Parses the offset table from the object's tail bytes (must include footer and table). */
export function decodeClusterObjectTable(tail: Uint8Array, objectLength: number): ClusterBlockLocation[] {
  const tailStart = objectLength - tail.byteLength;
  const dv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const f = tail.byteLength - FOOTER_BYTES;
  if (f < 0 || dv.getUint32(f + 12, true) !== CLUSTER_OBJECT_MAGIC) {
    throw new DataCorruptionError("cluster-object: bad footer magic");
  }
  const tableOffset = dv.getFloat64(f, true);
  const t = tableOffset - tailStart;
  if (!Number.isInteger(tableOffset) || t < 0 || t + 8 > f) {
    throw new DataCorruptionError(`cluster-object: table offset ${tableOffset} outside the tail read`);
  }
  const want = dv.getUint32(f + 8, true);
  const got = crc32(tail.subarray(t, f));
  if (want !== got) throw new DataCorruptionError(`cluster-object: table crc mismatch (expected ${want}, got ${got})`);
  const m = dv.getUint32(t, true);
  if (8 + m * TABLE_ENTRY_BYTES !== f - t) throw new DataCorruptionError(`cluster-object: table of ${m} entries has the wrong size`);
  const out: ClusterBlockLocation[] = [];
  for (let i = 0, p = t + 8; i < m; i++, p += TABLE_ENTRY_BYTES) {
    out.push({
      clusterId: dv.getUint32(p, true),
      count: dv.getUint32(p + 4, true),
      offset: dv.getFloat64(p + 8, true),
      scanBytes: dv.getUint32(p + 16, true),
      vectorBytes: dv.getUint32(p + 20, true),
    });
  }
  return out;
}

/** Reads the offset table: one tail read, plus one more only when the table exceeds it. */
export async function readClusterObjectTable(reader: RangeReader): Promise<ClusterBlockLocation[]> {
  const len = reader.byteLength;
  const first = Math.max(0, len - CLUSTER_OBJECT_TAIL_FETCH_BYTES);
  let tail = new Uint8Array(await reader.slice(first, len));
  const dv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  if (tail.byteLength < FOOTER_BYTES) throw new DataCorruptionError(`cluster-object: ${len} bytes is too short`);
  const tableOffset = dv.getFloat64(tail.byteLength - FOOTER_BYTES, true);
  if (Number.isInteger(tableOffset) && tableOffset >= 0 && tableOffset < first) {
    tail = new Uint8Array(await reader.slice(tableOffset, len));
  }
  return decodeClusterObjectTable(tail, len);
}

/** Reads and decodes one block (scan part, plus the vectors part when asked). */
export async function readClusterBlock(
  reader: RangeReader,
  loc: ClusterBlockLocation,
  opts: DecodeBlockOptions & { withVectors?: boolean } = {},
): Promise<ClusterBlock> {
  return decodeAt(new Uint8Array(await reader.slice(loc.offset, blockEnd(loc, opts))), loc, opts);
}

/** Reads and decodes one block's head only (seqs, 1-bit codes, factors): the first step of a query. */
export async function readClusterBlockHead(reader: RangeReader, loc: ClusterBlockLocation, paddedDim: number, opts: DecodeBlockOptions = {}): Promise<ClusterBlock> {
  const end = loc.offset + blockHeadBytes(loc.count, paddedDim);
  return decodeAt(new Uint8Array(await reader.slice(loc.offset, end)), loc, opts);
}

/** Rows this close (in bytes) are read with one range: a small gap costs less than another read. */
const EX_ROW_GAP_BYTES = 2048;

/**
 * Reads the ex rows of some entries of a block (the survivors of a query's 1-bit pass), nearby
 * rows with one range read each. Returns the rows concatenated in the order of `entries`.
 */
export async function readBlockExRows(
  reader: RangeReader,
  loc: ClusterBlockLocation,
  block: Pick<ClusterBlock, "count" | "paddedDim" | "exBits">,
  entries: readonly number[],
): Promise<Uint8Array> {
  const rowBytes = block.exBits * (block.paddedDim >> 3);
  const out = new Uint8Array(entries.length * rowBytes);
  const order = entries.map((e, i) => [e, i] as const).sort((a, b) => a[0] - b[0]);
  const reads: Promise<void>[] = [];
  for (let s = 0; s < order.length; ) {
    let t = s;
    while (t + 1 < order.length && (order[t + 1][0] - order[t][0] - 1) * rowBytes <= EX_ROW_GAP_BYTES) t++;
    const first = order[s][0];
    const last = order[t][0];
    if (first < 0 || last >= block.count) throw new InvalidArgumentError(`cluster-object: entry ${last} out of range`);
    const start = loc.offset + exRowRange(block.count, block.paddedDim, block.exBits, first)[0];
    const group = order.slice(s, t + 1);
    reads.push(
      reader.slice(start, start + (last - first + 1) * rowBytes).then((buf) => {
        const run = new Uint8Array(buf);
        for (const [e, i] of group) out.set(run.subarray((e - first) * rowBytes, (e - first + 1) * rowBytes), i * rowBytes);
      }),
    );
    s = t + 1;
  }
  await Promise.all(reads);
  return out;
}

/** Blocks of one object whose gap is at most this are fetched by one range read. */
export const COALESCE_GAP_BYTES = 64 << 10;

/**
 * Reads and decodes several blocks of one object, fetching runs of nearby blocks with one range
 * read each (maintenance rewrites adjacent clusters, whose blocks sit side by side in every
 * object). Returns blocks in the order of `locs`.
 */
export async function readClusterBlocks(
  reader: RangeReader,
  locs: readonly ClusterBlockLocation[],
  opts: DecodeBlockOptions & { withVectors?: boolean } = {},
): Promise<ClusterBlock[]> {
  const order = locs.map((_, i) => i).sort((a, b) => locs[a].offset - locs[b].offset);
  const out: ClusterBlock[] = new Array(locs.length);
  const reads: Promise<void>[] = [];
  for (let s = 0; s < order.length; ) {
    let t = s;
    let end = blockEnd(locs[order[s]], opts);
    while (t + 1 < order.length && locs[order[t + 1]].offset - end <= COALESCE_GAP_BYTES) {
      t++;
      end = Math.max(end, blockEnd(locs[order[t]], opts));
    }
    const start = locs[order[s]].offset;
    const group = order.slice(s, t + 1);
    reads.push(
      reader.slice(start, end).then((buf) => {
        const bytes = new Uint8Array(buf);
        for (const i of group) out[i] = decodeAt(bytes.subarray(locs[i].offset - start, blockEnd(locs[i], opts) - start), locs[i], opts);
      }),
    );
    s = t + 1;
  }
  await Promise.all(reads);
  return out;
}

function blockEnd(loc: ClusterBlockLocation, opts: { withVectors?: boolean }): number {
  return loc.offset + loc.scanBytes + (opts.withVectors ? loc.vectorBytes : 0);
}

function decodeAt(bytes: Uint8Array, loc: ClusterBlockLocation, opts: DecodeBlockOptions): ClusterBlock {
  const block = decodeClusterBlock(bytes, opts);
  if (block.clusterId !== loc.clusterId || block.count !== loc.count) {
    throw new DataCorruptionError(
      `cluster-object: table says cluster ${loc.clusterId} (${loc.count}) but block holds ${block.clusterId} (${block.count})`,
    );
  }
  return block;
}

/**
 * Reads the full-precision vectors of some entries of a block, coalescing adjacent rows into one
 * range each. Returns vectors in the order of `entries`.
 */
export async function readBlockVectorRows(
  reader: RangeReader,
  loc: ClusterBlockLocation,
  block: Pick<ClusterBlock, "dim" | "scanBytes" | "hasVectors" | "count">,
  entries: readonly number[],
): Promise<Float32Array[]> {
  if (!block.hasVectors) throw new InvalidArgumentError(`cluster-object: cluster ${loc.clusterId} has no vectors part`);
  const rowBytes = 4 * block.dim;
  const order = entries.map((e, i) => [e, i] as const).sort((a, b) => a[0] - b[0]);
  const out: Float32Array[] = new Array(entries.length);
  const reads: Promise<void>[] = [];
  for (let s = 0; s < order.length; ) {
    let t = s;
    while (t + 1 < order.length && order[t + 1][0] <= order[t][0] + 1) t++;
    const first = order[s][0];
    const last = order[t][0];
    if (first < 0 || last >= block.count) throw new InvalidArgumentError(`cluster-object: entry ${last} out of range`);
    const start = loc.offset + block.scanBytes + first * rowBytes;
    const group = order.slice(s, t + 1);
    reads.push(
      reader.slice(start, start + (last - first + 1) * rowBytes).then((buf) => {
        const all = new Float32Array(buf);
        for (const [e, i] of group) out[i] = all.slice((e - first) * block.dim, (e - first + 1) * block.dim);
      }),
    );
    s = t + 1;
  }
  await Promise.all(reads);
  return out;
}

/** Reads and verifies a block's whole vectors part (splits and re-encodes use it). */
export async function readBlockVectors(reader: RangeReader, loc: ClusterBlockLocation, dim: number): Promise<Float32Array> {
  const start = loc.offset + loc.scanBytes;
  const bytes = new Uint8Array(await reader.slice(start, start + loc.vectorBytes));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f = bytes.byteLength - FOOTER_BYTES;
  const n = loc.count;
  if (f < 4 * n * dim || dv.getUint32(f + 12, true) !== CLUSTER_VECTORS_MAGIC || dv.getUint32(f + 4, true) !== n) {
    throw new DataCorruptionError(`cluster-object: bad vectors footer for cluster ${loc.clusterId}`);
  }
  const want = dv.getUint32(f, true);
  const got = crc32(bytes.subarray(0, 4 * n * dim));
  if (want !== got) {
    throw new DataCorruptionError(`cluster-object: vectors crc mismatch in cluster ${loc.clusterId} (expected ${want}, got ${got})`);
  }
  return new Float32Array(bytes.buffer, bytes.byteOffset, n * dim);
}
