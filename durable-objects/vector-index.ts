/**
 * The namespace-level vector index in the Durable Object: building it once the namespace has
 * enough vectors, appending each flush's vectors as a delta fragment, and maintaining it cluster
 * by cluster (merging a cluster's blocks without its dead entries, splitting clusters that grew
 * too large). Formats and algorithms are in src/core/index/vector/; this module decides when they
 * run, which objects they write and how the manifest changes.
 *
 * Crash safety: a build or maintenance step writes its objects under keys that carry an attempt
 * number, stores the next manifest (and the index entries it drops) as a pending commit, writes
 * that manifest, then commits in one transaction. An alarm finishes a pending commit before any
 * other work, so the manifest version it names is never written twice with different bytes.
 */
import { type CentroidIndex, decodeCentroidList, encodeCentroidList, openCentroidIndex } from "../src/core/index/vector/centroid-list.ts";
import type { ClusterBlock } from "../src/core/index/vector/cluster-block.ts";
import { encodeClusterObject, readClusterBlocks } from "../src/core/index/vector/cluster-object.ts";
import {
  type IndexDirectory,
  type ObjectRef,
  addObject,
  decodeDirectory,
  encodeDirectory,
  replaceBlocks,
} from "../src/core/index/vector/index-directory.ts";
import { type VectorRecord, encodeDeltaFragment } from "../src/core/index/vector/ivf-encoder.ts";
import { SPLIT_FACTOR, liveMembers, mergeClusterBlocks, splitCluster } from "../src/core/index/vector/ivf-maintenance.ts";
import { pickClusters, takeBatch } from "../src/core/index/vector/maintenance-policy.ts";
import type { VectorKernels } from "../src/core/index/vector/kernels.ts";
import { type Manifest, type VectorIndexInfo, currentVectorIndex, encodeManifest } from "../src/core/segment/manifest.ts";
import type { SegmentRow } from "../src/core/segment/segment-writer.ts";
import type { BlobStore } from "../src/storage/blob-store.ts";
import { type NamespaceRef, manifestKey, vectorKey } from "../src/storage/keys.ts";
import { blobRangeReader } from "../src/storage/range-reader.ts";
import type { DeadTable } from "./dead-table.ts";
import type { Faults } from "./faults.ts";
import { type GarbageTable, unreferenced } from "./garbage.ts";
import type { IdIndex } from "./id-index.ts";
import type { MetaStore } from "./meta-store.ts";
import { StageTimer } from "../src/core/stage-timer.ts";

/** Entries per cluster the index aims for; a cluster is split above twice this. */
export const TARGET_CLUSTER_SIZE = 512;
/** Live vectors, as a multiple of those the index was built from, that trigger a rebuild. */
export const REBUILD_GROWTH = 4;
/** Bytes of cluster data (codes + vectors) one maintenance step reads and rewrites. */
const MAINTENANCE_BYTES = 8 << 20;

export interface VectorContext {
  storage: DurableObjectStorage;
  meta: MetaStore;
  dead: DeadTable;
  garbage: GarbageTable;
  ids: IdIndex;
  store: BlobStore;
  faults: Faults;
  kernels: () => VectorKernels;
  now: () => number;
  /** Live vectors a namespace needs before it gets an index (smaller ones are searched exactly). */
  minRows: number;
  /** A build's work per alarm (vectors) and scratch fragment size (bytes). */
  buildAlarmVectors: number;
  buildBatchBytes: number;
}

/** What a build or maintenance step commits once its objects are written. */
export interface PendingVectorCommit {
  manifest: Manifest;
  garbage: string[];
  /** Set by a build: dead versions before this manifest version are not in the new index. */
  rebuiltAt?: number;
  /** Set by a build: its job (vector-build.ts) ends with the commit; what the description keeps of it. */
  build?: unknown;
}

export function refOf(c: VectorContext): NamespaceRef {
  const s = c.meta.state()!;
  return { tenant: s.tenant, namespace: s.name, incarnation: s.incarnation };
}

/** Writes an index directory version; the manifest's `vector_index.directory` points at it. */
export async function putDirectory(c: VectorContext, dir: IndexDirectory, version: number, attempt: number | null): Promise<ObjectRef> {
  const bytes = encodeDirectory(dir);
  const key = vectorKey(refOf(c), "dir", version, attempt, "evdr");
  await c.store.put(key, bytes);
  return { key, bytes: bytes.byteLength };
}

export class VectorIndexCache {
  private dir: { key: string; value: IndexDirectory } | null = null;
  private cent: { key: string; value: CentroidIndex } | null = null;

  async directory(store: BlobStore, info: VectorIndexInfo): Promise<IndexDirectory> {
    if (this.dir?.key !== info.directory.key) this.dir = { key: info.directory.key, value: await readDirectory(store, info) };
    return this.dir.value;
  }

  async centroids(store: BlobStore, info: VectorIndexInfo, kernels: VectorKernels): Promise<CentroidIndex> {
    if (this.cent?.key !== info.centroids.key) {
      const bytes = await store.get(info.centroids.key);
      if (!bytes) throw new Error(`vector: centroid list ${info.centroids.key} is missing`);
      this.cent = { key: info.centroids.key, value: openCentroidIndex(decodeCentroidList(bytes), kernels) };
    }
    return this.cent.value;
  }

  /**
   * Keeps a directory this object just wrote (a flush's next directory): the next flush then
   * starts from it instead of reading and decoding it back. Keyed by its key, so a flush that does
   * not commit leaves nothing wrong behind (the manifest still names the previous key).
   */
  remember(key: string, value: IndexDirectory): void {
    this.dir = { key, value };
  }

  clear(): void {
    this.dir = null;
    this.cent = null;
  }
}

/**
 * A flush's vectors as a delta fragment of the index: the object and the next directory, named by
 * the flush's (persisted) version, so a retried flush writes the same bytes.
 */
export async function appendFlushFragment(c: VectorContext, cache: VectorIndexCache, info: VectorIndexInfo, version: number, rows: SegmentRow[], timer?: StageTimer): Promise<VectorIndexInfo> {
  const records: VectorRecord[] = rows.filter((r) => r.vector).map((r) => ({ seq: r.seq, vector: r.vector! }));
  if (records.length === 0) return info;
  const ref = refOf(c);
  const index = await cache.centroids(c.store, info, c.kernels());
  const dir = await cache.directory(c.store, info);
  timer?.lap("fragment-load");
  const fragment = encodeDeltaFragment(index, records, { withVectors: true });
  timer?.lap("fragment-encode");
  const objectKey = vectorKey(ref, `frag-${records[0].seq}`, version, null, "evco");
  await c.store.put(objectKey, fragment.bytes);
  timer?.lap("fragment-put");
  const next = addObject(dir, { key: objectKey, bytes: fragment.bytes.byteLength }, fragment.locations);
  const bytes = encodeDirectory(next);
  timer?.lap("directory");
  const key = vectorKey(ref, "dir", version, null, "evdr");
  await c.store.put(key, bytes);
  cache.remember(key, next);
  timer?.lap("directory-put");
  return { ...info, directory: { key, bytes: bytes.byteLength }, entries: info.entries + records.length };
}

export function nextAttempt(c: VectorContext): number {
  const attempt = (c.meta.vectorAttempts() ?? 0) + 1;
  c.meta.setVectorAttempts(attempt);
  return attempt;
}

export async function readDirectory(store: BlobStore, info: VectorIndexInfo): Promise<IndexDirectory> {
  const bytes = await store.get(info.directory.key);
  if (!bytes) throw new Error(`vector: directory ${info.directory.key} is missing`);
  return decodeDirectory(bytes, info.directory.key);
}

/**
 * Stores a step's pending commit (with the index entries it drops), writes its manifest and
 * commits. `pending` null resumes the stored one after a crash.
 */
export async function commitVector(c: VectorContext, next: PendingVectorCommit | null, dropped: number[] = []): Promise<void> {
  if (next) {
    c.storage.transactionSync(() => {
      c.dead.stageIndexDrops(dropped);
      c.meta.setPendingVectorCommit(next);
    });
  }
  const pending = (next ?? c.meta.pendingVectorCommit()) as PendingVectorCommit;
  c.faults.hit("vector:before-manifest");
  await c.store.put(manifestKey(refOf(c), pending.manifest.version), encodeManifest(pending.manifest));
  c.faults.hit("vector:before-commit");
  const current = c.meta.manifest()!;
  // The alarm finishes a pending commit before it flushes: nothing can have come in between.
  if (current.version !== pending.manifest.version - 1) {
    throw new Error(`vector: pending commit of manifest ${pending.manifest.version} on top of ${current.version}`);
  }
  c.storage.transactionSync(() => {
    c.meta.setManifest(pending.manifest);
    if (pending.build) {
      c.meta.clearVectorBuild();
      c.meta.setLastVectorBuild(pending.build);
      c.storage.sql.exec("DELETE FROM build_blocks");
    }
    c.garbage.add([...pending.garbage, ...unreferenced(current, pending.manifest)], c.now());
    if (pending.rebuiltAt !== undefined) c.dead.indexRebuilt(pending.rebuiltAt);
    c.dead.droppedFromIndexPending();
    c.meta.clearPendingVectorCommit();
  });
}

/** Finishes a build or maintenance step whose objects are written (first thing an alarm does). */
export async function resumeVectorCommit(c: VectorContext): Promise<boolean> {
  if (!c.meta.pendingVectorCommit()) return false;
  await commitVector(c, null);
  return true;
}

/**
 * The default nprobe once splits have taken the index to `nlist` clusters. A query's neighbours
 * spread over more clusters, but far fewer than in proportion: probe ∝ √nlist (_debug/recall
 * checks it). Scaled from what the build calibrated, never from the previous step's value: each
 * split adds one cluster, and rounding up step by step added one probe per split (nprobe 2 of 47
 * at the build became 48 of 118, and a 100k × 768 query scanned half the index).
 */
export function scaledNprobe(info: VectorIndexInfo, nlist: number): number {
  const baseNlist = info.calibrated_nlist ?? info.nlist;
  const baseNprobe = info.calibrated_nprobe ?? info.nprobe;
  return Math.min(nlist, Math.max(1, Math.ceil(baseNprobe * Math.sqrt(nlist / baseNlist) - 1e-9)));
}

/**
 * Clusters of the current index that maintenance has yet to rewrite (deltas to merge, splits due):
 * until this is 0 after a burst of writes, queries still pay for extra blocks per probed cluster.
 * Null without a current index. Reads what maintenance reads (cached in the object).
 */
export async function pendingMaintenance(c: VectorContext, cache: VectorIndexCache): Promise<number | null> {
  const manifest = c.meta.manifest();
  const info = manifest && currentVectorIndex(manifest);
  if (!info) return null;
  const dir = await cache.directory(c.store, info);
  const index = await cache.centroids(c.store, info, c.kernels());
  return pickClusters(dir, index.targetClusterSize).length;
}

/**
 * One maintenance step: rewrites a batch of adjacent clusters into one new object: whole clusters
 * (merged without dead entries, or split when they outgrew the target size) and clusters whose
 * delta blocks are merged into one beside their base (maintenance-policy.ts decides which). False
 * when nothing is due.
 */
export async function maintainVectorIndex(c: VectorContext, cache: VectorIndexCache): Promise<false | MaintenanceOutcome> {
  const timer = new StageTimer();
  const manifest = c.meta.manifest();
  const info = manifest && currentVectorIndex(manifest);
  if (!manifest || !info) return false;
  const dir = await cache.directory(c.store, info);
  let index = await cache.centroids(c.store, info, c.kernels());
  const batch = takeBatch(pickClusters(dir, index.targetClusterSize), MAINTENANCE_BYTES);
  if (batch.length === 0) return false;
  timer.lap("plan");

  const ref = refOf(c);
  const version = manifest.version + 1;
  const attempt = nextAttempt(c);
  const decoded = await readBlocks(c, dir, batch.flatMap((w) => w.blocks));
  timer.lap("read");
  const out: Uint8Array[] = [];
  const dropped: number[] = [];
  let split = false;
  let entries = info.entries;
  for (const w of batch) {
    const blocks = w.blocks.map((b) => decoded.get(b)!);
    const seqs = blocks.flatMap((b) => Array.from(b.seqs));
    const live = c.ids.liveFlushed(seqs);
    for (const s of seqs) if (!live.has(s)) dropped.push(s);
    entries -= seqs.length - live.size;
    if (w.kind === "whole" && live.size > SPLIT_FACTOR * index.targetClusterSize) {
      const result = splitCluster({ index, clusterId: w.clusterId, members: liveMembers(blocks, (s) => live.has(s)), withVectors: true });
      index = openCentroidIndex(result.centroidList, c.kernels());
      for (const b of result.blocks) out.push(b.bytes);
      split = true;
    } else if (live.size > 0) {
      out.push(mergeClusterBlocks({ index, clusterId: w.clusterId, blocks, isLive: (s) => live.has(s) }).bytes);
    }
  }
  const encoded = out.length > 0 ? encodeClusterObject(out) : null;
  timer.lap(split ? "rewrite-split" : "rewrite");
  let object: ObjectRef | null = null;
  if (encoded) {
    object = { key: vectorKey(ref, "clusters", version, attempt, "evco"), bytes: encoded.bytes.byteLength };
    await c.store.put(object.key, encoded.bytes);
    timer.lap("put");
  }
  const nprobe = scaledNprobe(info, index.nlist);
  let centroids = dir.centroids;
  if (split) {
    const bytes = encodeCentroidList({ ...index, nprobe });
    centroids = { key: vectorKey(ref, "centroids", version, attempt, "evcl"), bytes: bytes.byteLength };
    await c.store.put(centroids.key, bytes);
  }
  const replaced = new Set(batch.flatMap((w) => w.blocks));
  const { directory, unreferenced: gone } = replaceBlocks(dir, replaced, object, encoded?.locations ?? [], centroids, index.nlist);
  const directoryRef = await putDirectory(c, directory, version, attempt);
  cache.remember(directoryRef.key, directory);
  timer.lap("directory");
  const next: Manifest = {
    ...manifest,
    version,
    vector_index: {
      ...info,
      directory: directoryRef,
      centroids,
      nlist: index.nlist,
      entries,
      nprobe,
    },
  };
  await commitVector(c, { manifest: next, garbage: [...gone.map((o) => o.key), manifestKey(ref, manifest.version)] }, dropped);
  timer.lap("commit");
  return { clusters: batch.length, bytes: batch.reduce((n, w) => n + w.bytes, 0), timing: timer.stages };
}

/** What one maintenance step did: clusters rewritten, bytes of blocks read and rewritten, stages (ms). */
export interface MaintenanceOutcome {
  clusters: number;
  bytes: number;
  timing: Record<string, number>;
}

/** Decodes the directory blocks at `indexes` (with vectors), one coalesced read per run of nearby blocks. */
async function readBlocks(c: VectorContext, dir: IndexDirectory, indexes: number[]): Promise<Map<number, ClusterBlock>> {
  const byObject = new Map<number, number[]>();
  for (const i of indexes) {
    const list = byObject.get(dir.blocks[i].object) ?? [];
    list.push(i);
    byObject.set(dir.blocks[i].object, list);
  }
  const out = new Map<number, ClusterBlock>();
  await Promise.all(
    [...byObject].map(async ([o, list]) => {
      const { key, bytes } = dir.objects[o];
      const blocks = await readClusterBlocks(blobRangeReader(c.store, key, bytes), list.map((i) => dir.blocks[i]), { withVectors: true });
      list.forEach((i, k) => out.set(i, blocks[k]));
    }),
  );
  return out;
}
