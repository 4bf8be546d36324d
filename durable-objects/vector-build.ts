/**
 * Building the namespace's vector index in the Durable Object, one bounded step per call so that no
 * alarm runs long (Workers cap CPU per invocation; writes wait while an alarm runs): start (sample
 * a few row groups, k-means), encode (row groups into scratch fragments), merge (a range of clusters
 * per step), finish (what was flushed meanwhile, then the commit). The job's progress lives in
 * SQLite between steps; the algorithms are in src/core/index/vector/ivf-build.ts.
 *
 * While a job runs, flushes keep adding fragments to the current index (queries use it until the
 * commit), and the encode cursor also covers the segments those flushes add, so the new index holds
 * every version flushed before its commit. Compaction waits: the cursor walks the manifest's
 * segments, which only flushes may change meanwhile; maintenance of the current index goes on (it
 * keeps the fragments flushes add from piling up under a long build). Versions dead when the job
 * started are left out; every later one is encoded, dead or not (DeadTable.indexRebuilt).
 */
import { type CentroidIndex, decodeCentroidList, encodeCentroidList, openCentroidIndex } from "../src/core/index/vector/centroid-list.ts";
import { CLUSTER_BLOCK_VERSION } from "../src/core/index/vector/cluster-block.ts";
import type { ClusterBlockLocation } from "../src/core/index/vector/cluster-object.ts";
import { type IndexDirectory, type ObjectRef, addObject } from "../src/core/index/vector/index-directory.ts";
import {
  type EncodeProgress,
  type IvfBuildOptions,
  IvfEncodePass,
  IvfSample,
  batchEntries,
  clusterRanges,
  mergeClusters,
} from "../src/core/index/vector/ivf-build.ts";
import type { VectorRecord } from "../src/core/index/vector/ivf-encoder.ts";
import { DEFAULT_TARGET_RECALL } from "../src/core/index/vector/ivf-train.ts";
import { createRng } from "../src/core/index/vector/seeded-rng.ts";
import { DeadSet } from "../src/core/segment/dead-set.ts";
import { type Manifest, currentVectorIndex } from "../src/core/segment/manifest.ts";
import { SegmentReader } from "../src/core/segment/segment-reader.ts";
import { manifestKey, vectorKey } from "../src/storage/keys.ts";
import { blobRangeReader } from "../src/storage/range-reader.ts";
import {
  REBUILD_GROWTH,
  TARGET_CLUSTER_SIZE,
  type VectorContext,
  commitVector,
  nextAttempt,
  putDirectory,
  readDirectory,
  refOf,
} from "./vector-index.ts";

/** Row groups the k-means sample is drawn from (all of them in a smaller namespace). */
export const SAMPLE_ROW_GROUPS = 24;
/** A merge step holds this many fragment batches' worth of entries (the clusters of one range). */
const MERGE_RANGE_BATCHES = 3;

export interface BuildJob {
  attempt: number;
  /** Manifest version when the job started: versions dead by then are left out of the index. */
  startVersion: number;
  phase: "encode" | "merge" | "finish";
  /** Live vectors when the job started (the cluster count and `calibrated_at` follow it). */
  live: number;
  /** The trained (coarse) centroid list and the calibration queries' vectors (float32 rows). */
  centroids: ObjectRef;
  calibration: ObjectRef & { seqs: number[] };
  progress: EncodeProgress;
  /** Next row group to encode: position in the manifest's segment list and row group in it. */
  cursor: { segment: number; rowGroup: number };
  /**
   * Scratch fragments (their blocks' places in the build_blocks table); those before `merged` go
   * through the merge, later ones become delta blocks of the new index.
   */
  fragments: ObjectRef[];
  merged: number;
  /** Cluster ranges of the merge and the next one to merge. */
  ranges: [number, number][];
  nextRange: number;
  objects: (ObjectRef & { locations: ClusterBlockLocation[] })[];
  /** Alarms the job has taken so far, and the most vectors one of them encoded or merged. */
  alarms: number;
  maxAlarmVectors: number;
}

function buildOptions(manifest: Manifest, c: VectorContext, job: Pick<BuildJob, "live" | "attempt">): IvfBuildOptions {
  const { dimensions, metric } = manifest.schema.vector!;
  return {
    dim: dimensions,
    metric,
    kernels: c.kernels(),
    seed: 0x5eed,
    nlist: Math.max(1, Math.min(Math.round(job.live / TARGET_CLUSTER_SIZE), Math.ceil(4 * Math.sqrt(job.live)))),
    targetClusterSize: TARGET_CLUSTER_SIZE,
    withVectors: true,
    batchBytes: c.buildBatchBytes,
  };
}

/** Whether the namespace should get a (new) index now. */
function buildDue(c: VectorContext, manifest: Manifest): number | null {
  if (!manifest.schema.vector) return null;
  const live = manifest.stats.rows - c.dead.inSegmentsCount();
  if (live < c.minRows) return null;
  const previous = manifest.vector_index;
  // an index of an older block format is rebuilt at once (queries search exactly meanwhile)
  if (previous && currentVectorIndex(manifest) && live < REBUILD_GROWTH * previous.calibrated_at) return null;
  return live;
}

/** What a namespace's description says of a build (running or the last one committed). */
export interface BuildStatus {
  phase: BuildJob["phase"] | "committed";
  /** Live vectors when it started, and vectors encoded so far. */
  live: number;
  vectors: number;
  alarms: number;
  max_alarm_vectors: number;
}

function statusOf(job: BuildJob, phase: BuildStatus["phase"] = job.phase): BuildStatus {
  return { phase, live: job.live, vectors: job.progress.vectors, alarms: job.alarms, max_alarm_vectors: job.maxAlarmVectors };
}

export function buildStatus(c: VectorContext): { running: BuildStatus | null; last: BuildStatus | null } {
  const job = buildInProgress(c);
  return { running: job ? statusOf(job) : null, last: c.meta.lastVectorBuild<BuildStatus>() };
}

/** The vector index build in progress, if any (compaction and maintenance wait for it). */
export function buildInProgress(c: VectorContext): BuildJob | null {
  return c.meta.vectorBuild<BuildJob>();
}

/**
 * One step of the index build: starts a job when the namespace is due one (and no compaction is
 * half-done), or advances the current one by about `buildAlarmVectors` vectors' worth of work
 * (16,384 by default: ~1–2 s of CPU at 768-d, well inside the 30 s default limit).
 * True when it did something (the alarm then runs again soon).
 */
export async function buildVectorIndex(c: VectorContext): Promise<boolean> {
  const manifest = c.meta.manifest();
  if (!manifest?.schema.vector) return false;
  let job = buildInProgress(c);
  if (!job) {
    if (c.meta.compactionPlan()) return false;
    const live = buildDue(c, manifest);
    if (live === null) return false;
    await startJob(c, manifest, live);
    return true;
  }
  let budget = c.buildAlarmVectors;
  setJob(c, { ...job, alarms: job.alarms + 1 });
  job = buildInProgress(c)!;
  const account = (): void => {
    const done = c.buildAlarmVectors - budget;
    if (done > job!.maxAlarmVectors) setJob(c, { ...job!, maxAlarmVectors: done });
  };
  while (budget > 0) {
    const current = c.meta.manifest()!;
    if (job.phase === "encode" || job.phase === "finish") {
      const encoded = await encodeStep(c, current, job);
      job = buildInProgress(c)!;
      if (encoded > 0) {
        budget -= encoded;
        continue;
      }
      if (job.phase === "encode") {
        beginMerge(c, job);
        job = buildInProgress(c)!;
        continue;
      }
      await commitJob(c, current, job);
      return true;
    }
    // merge
    if (job.nextRange >= job.ranges.length) {
      setJob(c, { ...job, phase: "finish" });
      job = buildInProgress(c)!;
      continue;
    }
    budget -= await mergeStep(c, current, job);
    job = buildInProgress(c)!;
  }
  account();
  return true;
}

function setJob(c: VectorContext, job: BuildJob): void {
  c.meta.setVectorBuild(job);
}

/**
 * What a Durable Object keeps of its job between steps: segment footers and the trained index
 * (decoded once, not per alarm). Keyed by the object's store; dropped when the attempt changes.
 */
interface JobCache {
  attempt: number;
  readers: Map<string, Promise<SegmentReader>>;
  trained?: { index: CentroidIndex; calibration: { seqs: number[]; vectors: Float32Array[] } };
}
const caches = new WeakMap<VectorContext["store"], JobCache>();

function jobCache(c: VectorContext, attempt: number): JobCache {
  let cache = caches.get(c.store);
  if (cache?.attempt !== attempt) caches.set(c.store, (cache = { attempt, readers: new Map() }));
  return cache;
}

function segmentReader(c: VectorContext, attempt: number, manifest: Manifest, i: number): Promise<SegmentReader> {
  const info = manifest.segments[i];
  const byKey = jobCache(c, attempt).readers;
  let r = byKey.get(info.key);
  if (!r) {
    const reader = blobRangeReader(c.store, info.key, info.bytes);
    r = SegmentReader.readMetadata(reader, info.footer_bytes).then((meta) => new SegmentReader(reader, info, meta, manifest.schema));
    r.catch(() => byKey.delete(info.key));
    byKey.set(info.key, r);
  }
  return r;
}

/** The live vectors of one row group, leaving out versions dead by `dead`. */
async function rowGroupVectors(c: VectorContext, attempt: number, manifest: Manifest, segment: number, rowGroup: number, dead: DeadSet): Promise<VectorRecord[]> {
  const seg = await segmentReader(c, attempt, manifest, segment);
  const batch = await seg.readRowGroup(rowGroup, [], true);
  const out: VectorRecord[] = [];
  for (let r = 0; r < batch.seqs.length; r++) {
    const v = batch.vectors?.[r];
    if (v && !dead.has(batch.seqs[r])) out.push({ seq: batch.seqs[r], vector: v });
  }
  return out;
}

/**
 * Samples up to SAMPLE_ROW_GROUPS row groups chosen at random (seeded by the attempt), trains the
 * coarse centroids on them and stores the job. Bounded by the sample, whatever the namespace size.
 */
async function startJob(c: VectorContext, manifest: Manifest, live: number): Promise<void> {
  const attempt = nextAttempt(c);
  const ref = refOf(c);
  const startVersion = manifest.version;
  const o = buildOptions(manifest, c, { live, attempt });
  const groups: [number, number][] = [];
  for (let s = 0; s < manifest.segments.length; s++) {
    const seg = await segmentReader(c, attempt, manifest, s);
    for (let g = 0; g < seg.rowGroups; g++) groups.push([s, g]);
  }
  const rng = createRng(0x5eed ^ attempt);
  for (let i = groups.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [groups[i], groups[j]] = [groups[j], groups[i]];
  }
  const chosen = groups.slice(0, SAMPLE_ROW_GROUPS).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const dead = new DeadSet(c.dead.diedBy(startVersion));
  const sample = new IvfSample(o);
  for (const [s, g] of chosen) for (const r of await rowGroupVectors(c, attempt, manifest, s, g, dead)) sample.offer(r.seq, r.vector);
  const training = sample.train(live);
  const centroidBytes = encodeCentroidList(training.list);
  const centroids = { key: vectorKey(ref, "build-centroids", startVersion, attempt, "evcl"), bytes: centroidBytes.byteLength };
  const rows = new Float32Array(training.calibration.vectors.length * o.dim);
  training.calibration.vectors.forEach((v, i) => rows.set(v, i * o.dim));
  const calibrationBytes = new Uint8Array(rows.buffer);
  const calibration = { key: vectorKey(ref, "build-calibration", startVersion, attempt, "evcq"), bytes: calibrationBytes.byteLength, seqs: training.calibration.seqs };
  await c.store.put(centroids.key, centroidBytes);
  await c.store.put(calibration.key, calibrationBytes);
  c.faults.hit("vector:build-started");
  c.storage.transactionSync(() => {
    c.storage.sql.exec("DELETE FROM build_blocks");
    setJob(c, {
      attempt,
      startVersion,
      phase: "encode",
      live,
      centroids,
      calibration,
      progress: { sizes: Array.from(training.list.sizes, () => 0), vectors: 0, calibrator: { neighbours: [] } },
      cursor: { segment: 0, rowGroup: 0 },
      fragments: [],
      merged: 0,
      ranges: [],
      nextRange: 0,
      objects: [],
      alarms: 1,
      maxAlarmVectors: 0,
    });
  });
}

async function jobIndex(c: VectorContext, job: BuildJob, dim: number): Promise<NonNullable<JobCache["trained"]>> {
  const cache = jobCache(c, job.attempt);
  if (cache.trained) return cache.trained;
  const bytes = await c.store.get(job.centroids.key);
  const calib = await c.store.get(job.calibration.key);
  if (!bytes || !calib) throw new Error(`vector: the build's ${!bytes ? job.centroids.key : job.calibration.key} is missing`);
  const rows = new Float32Array(calib.slice().buffer);
  cache.trained = {
    index: openCentroidIndex(decodeCentroidList(bytes), c.kernels()),
    calibration: { seqs: job.calibration.seqs, vectors: job.calibration.seqs.map((_, i) => rows.slice(i * dim, (i + 1) * dim)) },
  };
  return cache.trained;
}

/**
 * Encodes row groups from the cursor into one scratch fragment (about a batch of vectors), and
 * moves the cursor past them. Returns the vectors encoded (0 once the cursor is at the end).
 */
async function encodeStep(c: VectorContext, manifest: Manifest, job: BuildJob): Promise<number> {
  const o = buildOptions(manifest, c, job);
  const { index, calibration } = await jobIndex(c, job, o.dim);
  const dead = new DeadSet(c.dead.diedBy(job.startVersion));
  const per = batchEntries(o, index.paddedDim);
  const records: VectorRecord[] = [];
  let { segment, rowGroup } = job.cursor;
  while (records.length < per && segment < manifest.segments.length) {
    const seg = await segmentReader(c, job.attempt, manifest, segment);
    if (rowGroup >= seg.rowGroups) {
      segment++;
      rowGroup = 0;
      continue;
    }
    records.push(...(await rowGroupVectors(c, job.attempt, manifest, segment, rowGroup, dead)));
    rowGroup++;
  }
  const cursor = { segment, rowGroup };
  if (records.length === 0) {
    if (segment !== job.cursor.segment || rowGroup !== job.cursor.rowGroup) setJob(c, { ...job, cursor });
    return 0;
  }
  const pass = new IvfEncodePass(index, calibration, o, job.progress);
  const fragment = pass.encode(records);
  const n = job.fragments.length;
  const ref = { key: vectorKey(refOf(c), `build-scratch-${n}`, job.startVersion, job.attempt, "evco"), bytes: fragment.bytes.byteLength };
  await c.store.put(ref.key, fragment.bytes);
  c.faults.hit("vector:build-encoded");
  c.storage.transactionSync(() => {
    c.storage.sql.exec(
      `INSERT INTO build_blocks (cluster, fragment, count, offset, scan_bytes, vector_bytes)
       SELECT json_extract(value, '$[0]'), ?, json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]')
       FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`,
      n,
      JSON.stringify(fragment.locations.map((l) => [l.clusterId, l.count, l.offset, l.scanBytes, l.vectorBytes])),
    );
    setJob(c, { ...job, cursor, progress: pass.progress(), fragments: [...job.fragments, ref] });
  });
  return records.length;
}

/** The places of scratch fragments' blocks (build_blocks rows matching `where`), by fragment. */
function blocksOf(c: VectorContext, where: string, ...args: number[]): Map<number, ClusterBlockLocation[]> {
  const rows = c.storage.sql.exec<{ cluster: number; fragment: number; count: number; offset: number; scan_bytes: number; vector_bytes: number }>(
    `SELECT * FROM build_blocks WHERE ${where} ORDER BY fragment, cluster`,
    ...args,
  );
  const byFragment = new Map<number, ClusterBlockLocation[]>();
  for (const r of rows) {
    (byFragment.get(r.fragment) ?? byFragment.set(r.fragment, []).get(r.fragment)!).push({
      clusterId: r.cluster,
      count: r.count,
      offset: r.offset,
      scanBytes: r.scan_bytes,
      vectorBytes: r.vector_bytes,
    });
  }
  return byFragment;
}

/** Fixes the fragments and the cluster ranges the merge goes through. */
function beginMerge(c: VectorContext, job: BuildJob): void {
  const manifest = c.meta.manifest()!;
  const o = buildOptions(manifest, c, job);
  const paddedDim = Math.ceil(o.dim / 128) * 128;
  setJob(c, { ...job, phase: "merge", merged: job.fragments.length, ranges: clusterRanges(job.progress.sizes, MERGE_RANGE_BATCHES * batchEntries(o, paddedDim)), nextRange: 0 });
}

/** Merges the next cluster range of every fragment into final objects; returns its entries. */
async function mergeStep(c: VectorContext, manifest: Manifest, job: BuildJob): Promise<number> {
  const o = buildOptions(manifest, c, job);
  const { index } = await jobIndex(c, job, o.dim);
  const [from, to] = job.ranges[job.nextRange];
  const byFragment = blocksOf(c, "cluster >= ? AND cluster < ? AND fragment < ?", from, to, job.merged);
  let entries = 0;
  for (const locs of byFragment.values()) for (const l of locs) entries += l.count;
  const fragments = [...byFragment].map(([f, locations]) => ({ reader: blobRangeReader(c.store, job.fragments[f].key, job.fragments[f].bytes), locations }));
  const written: BuildJob["objects"] = [];
  await mergeClusters(index, fragments, from, to, o, async (bytes, locations) => {
    const key = vectorKey(refOf(c), `build-base-${job.nextRange}-${written.length}`, job.startVersion, job.attempt, "evco");
    await c.store.put(key, bytes);
    written.push({ key, bytes: bytes.byteLength, locations });
  });
  c.faults.hit("vector:build-merged");
  setJob(c, { ...job, nextRange: job.nextRange + 1, objects: [...job.objects, ...written] });
  return Math.max(1, entries);
}

/**
 * The new index: merged objects plus the late fragments as delta blocks, the final centroid list
 * (sizes, calibrated nprobe), its directory and the manifest, committed like any index step.
 */
async function commitJob(c: VectorContext, manifest: Manifest, job: BuildJob): Promise<void> {
  const o = buildOptions(manifest, c, job);
  const { index, calibration } = await jobIndex(c, job, o.dim);
  const ref = refOf(c);
  const version = manifest.version + 1;
  const { centroidList, centroidListBytes } = new IvfEncodePass(index, calibration, o, job.progress).finish(DEFAULT_TARGET_RECALL);
  const centroids = { key: vectorKey(ref, "centroids", version, job.attempt, "evcl"), bytes: centroidListBytes.byteLength };
  await c.store.put(centroids.key, centroidListBytes);
  let dir: IndexDirectory = { nlist: centroidList.nlist, centroids, objects: [], blocks: [] };
  for (const obj of job.objects) dir = addObject(dir, { key: obj.key, bytes: obj.bytes }, obj.locations);
  for (const [f, locations] of blocksOf(c, "fragment >= ?", job.merged)) dir = addObject(dir, job.fragments[f], locations);
  // the replaced index's cluster objects become garbage once the new one commits (its directory
  // and centroids are named by the manifest, so the commit finds those itself)
  const replaced = manifest.vector_index ? (await readDirectory(c.store, manifest.vector_index)).objects.map((x) => x.key) : [];
  const scratch = [job.centroids.key, job.calibration.key, ...job.fragments.slice(0, job.merged).map((f) => f.key)];
  const next: Manifest = {
    ...manifest,
    version,
    vector_index: {
      directory: await putDirectory(c, dir, version, job.attempt),
      centroids,
      nlist: dir.nlist,
      entries: job.progress.vectors,
      nprobe: centroidList.nprobe,
      calibrated_at: job.live,
      calibrated_nlist: dir.nlist,
      calibrated_nprobe: centroidList.nprobe,
      block_format: CLUSTER_BLOCK_VERSION,
    },
  };
  await commitVector(c, { manifest: next, garbage: [...scratch, ...replaced, manifestKey(ref, manifest.version)], rebuiltAt: job.startVersion, build: statusOf(job, "committed") });
  caches.delete(c.store);
}
