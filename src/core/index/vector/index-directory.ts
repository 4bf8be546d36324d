/**
 * The vector index directory: which cluster objects make up a namespace's index and where each
 * cluster's blocks are (a consolidated block, then delta blocks in the order flushes added them).
 * One immutable object per index version; the manifest names it. Queries read it once (cached) and
 * then only the probed clusters' blocks. Not the blocks' contents (cluster-object.ts).
 *
 *   0    4   magic "EVDR"
 *   4    2   format version (1)          6   2   reserved (0)
 *   8    4   nlist                       12  4   object count
 *   16   4   block count                 20  4   JSON header bytes (H)
 *   24   H   JSON: {"centroids": {key, bytes}, "objects": [{key, bytes}, …]}   (padded to 8)
 *   a8   32·blocks  block table, sorted by cluster then age:
 *            u32 clusterId | u32 object | u32 count | u32 scanBytes | u32 vectorBytes | u32 0 | f64 offset
 *   end  8   u32 crc32 of everything before | u32 magic "EVDR"
 */
import { crc32 } from "../../codec/crc32.ts";
import { DataCorruptionError } from "../../errors.ts";
import type { ClusterBlockLocation } from "./cluster-object.ts";

export const DIRECTORY_MAGIC = 0x52445645; // "EVDR"
const VERSION = 1;
const HEADER = 24;
const ENTRY = 32;

export interface ObjectRef {
  key: string;
  bytes: number;
}

export interface DirectoryBlock extends ClusterBlockLocation {
  /** Index into `objects`. */
  object: number;
}

export interface IndexDirectory {
  nlist: number;
  centroids: ObjectRef;
  objects: ObjectRef[];
  /** Sorted by clusterId; within a cluster, oldest first. */
  blocks: DirectoryBlock[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeDirectory(d: IndexDirectory): Uint8Array {
  const json = encoder.encode(JSON.stringify({ centroids: d.centroids, objects: d.objects }));
  const tableAt = (HEADER + json.byteLength + 7) & ~7;
  const end = tableAt + d.blocks.length * ENTRY;
  const out = new Uint8Array(end + 8);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, DIRECTORY_MAGIC, true);
  dv.setUint16(4, VERSION, true);
  dv.setUint32(8, d.nlist, true);
  dv.setUint32(12, d.objects.length, true);
  dv.setUint32(16, d.blocks.length, true);
  dv.setUint32(20, json.byteLength, true);
  out.set(json, HEADER);
  d.blocks.forEach((b, i) => {
    const at = tableAt + i * ENTRY;
    dv.setUint32(at, b.clusterId, true);
    dv.setUint32(at + 4, b.object, true);
    dv.setUint32(at + 8, b.count, true);
    dv.setUint32(at + 12, b.scanBytes, true);
    dv.setUint32(at + 16, b.vectorBytes, true);
    dv.setFloat64(at + 24, b.offset, true);
  });
  dv.setUint32(end, crc32(out.subarray(0, end)), true);
  dv.setUint32(end + 4, DIRECTORY_MAGIC, true);
  return out;
}

export function decodeDirectory(bytes: Uint8Array, name = "vector directory"): IndexDirectory {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < HEADER + 8 || dv.getUint32(0, true) !== DIRECTORY_MAGIC || dv.getUint32(bytes.byteLength - 4, true) !== DIRECTORY_MAGIC) {
    throw new DataCorruptionError(`${name}: not a vector index directory`);
  }
  if (dv.getUint16(4, true) !== VERSION) throw new DataCorruptionError(`${name}: unsupported version ${dv.getUint16(4, true)}`);
  const end = bytes.byteLength - 8;
  const stored = dv.getUint32(end, true);
  const actual = crc32(bytes.subarray(0, end));
  if (stored !== actual) throw new DataCorruptionError(`${name}: crc mismatch (stored ${stored}, computed ${actual})`);
  const nlist = dv.getUint32(8, true);
  const blockCount = dv.getUint32(16, true);
  const jsonBytes = dv.getUint32(20, true);
  const header = JSON.parse(decoder.decode(bytes.subarray(HEADER, HEADER + jsonBytes))) as { centroids: ObjectRef; objects: ObjectRef[] };
  const tableAt = (HEADER + jsonBytes + 7) & ~7;
  if (tableAt + blockCount * ENTRY !== end) throw new DataCorruptionError(`${name}: block table size does not match`);
  const blocks: DirectoryBlock[] = new Array(blockCount);
  for (let i = 0; i < blockCount; i++) {
    const at = tableAt + i * ENTRY;
    blocks[i] = {
      clusterId: dv.getUint32(at, true),
      object: dv.getUint32(at + 4, true),
      count: dv.getUint32(at + 8, true),
      scanBytes: dv.getUint32(at + 12, true),
      vectorBytes: dv.getUint32(at + 16, true),
      offset: dv.getFloat64(at + 24, true),
    };
  }
  return { nlist, centroids: header.centroids, objects: header.objects, blocks };
}

/** First block index of each cluster (length nlist + 1), for a directory's sorted block table. */
export function clusterStarts(d: IndexDirectory): Uint32Array {
  const starts = new Uint32Array(d.nlist + 1);
  let b = 0;
  for (let c = 0; c <= d.nlist; c++) {
    while (b < d.blocks.length && d.blocks[b].clusterId < c) b++;
    starts[c] = b;
  }
  return starts;
}

function sortBlocks(blocks: DirectoryBlock[]): DirectoryBlock[] {
  // Stable: within a cluster, older blocks (added earlier) stay first.
  return blocks.map((b, i) => [b, i] as const).sort((x, y) => x[0].clusterId - y[0].clusterId || x[1] - y[1]).map(([b]) => b);
}

/**
 * A directory with one more object whose blocks are appended to their clusters (a flush's delta).
 * The existing table is already sorted, so the new blocks are merged into it in one pass (the same
 * order a stable sort of the concatenation gives): a flush costs O(blocks), not O(blocks · log).
 */
export function addObject(d: IndexDirectory, object: ObjectRef, locations: ClusterBlockLocation[]): IndexDirectory {
  const index = d.objects.length;
  const added = sortBlocks(locations.map((l) => ({ ...l, object: index })));
  const old = d.blocks;
  const blocks: DirectoryBlock[] = new Array(old.length + added.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < old.length && j < added.length) blocks[k++] = old[i].clusterId <= added[j].clusterId ? old[i++] : added[j++];
  while (i < old.length) blocks[k++] = old[i++];
  while (j < added.length) blocks[k++] = added[j++];
  return { ...d, objects: [...d.objects, object], blocks };
}

/**
 * A directory where the blocks at indexes `replaced` give way to the blocks of one new object
 * (cluster maintenance: a cluster's blocks or only its deltas, rewritten), with new centroids when
 * clusters were split. Returns the objects no block refers to any more (garbage once committed).
 */
export function replaceBlocks(
  d: IndexDirectory,
  replaced: Set<number>,
  object: ObjectRef | null,
  locations: ClusterBlockLocation[],
  centroids: ObjectRef,
  nlist: number,
): { directory: IndexDirectory; unreferenced: ObjectRef[] } {
  const kept = d.blocks.filter((_, i) => !replaced.has(i));
  const used = new Set(kept.map((b) => b.object));
  const objects: ObjectRef[] = [];
  const remap = new Map<number, number>();
  d.objects.forEach((o, i) => {
    if (used.has(i)) {
      remap.set(i, objects.length);
      objects.push(o);
    }
  });
  const unreferenced = d.objects.filter((_, i) => !used.has(i));
  const blocks = kept.map((b) => ({ ...b, object: remap.get(b.object)! }));
  if (object && locations.length > 0) {
    const index = objects.length;
    objects.push(object);
    for (const l of locations) blocks.push({ ...l, object: index });
  }
  return { directory: { nlist, centroids, objects, blocks: sortBlocks(blocks) }, unreferenced };
}
