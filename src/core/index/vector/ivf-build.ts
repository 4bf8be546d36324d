/**
 * Builds an IVF + RaBitQ index in steps whose memory and work are bounded whatever N: sample →
 * train (k-means on the sample) → encode (a batch of vectors at a time into a scratch fragment) →
 * merge (a range of clusters at a time, from every fragment, into final cluster objects) → finish
 * (cluster sizes and the calibrated nprobe). The steps exchange plain state, so the Durable Object
 * runs them in separate alarms (durable-objects/vector-build.ts) and buildIvfIndex runs them in one
 * go (benchmarks, tests). Owns the orchestration; object names and the manifest belong to callers.
 */

import { InvalidArgumentError } from "../../errors.ts";
import { type RangeReader, memoryRangeReader } from "../../../storage/range-reader.ts";
import { type CentroidIndex, type CentroidList, encodeCentroidList, openCentroidIndex } from "./centroid-list.ts";
import type { ClusterBlockBuilder } from "./cluster-block.ts";
import { type ClusterBlockLocation, encodeClusterObject, readClusterBlocks } from "./cluster-object.ts";
import { type VectorMetric, prepareVector } from "./distance.ts";
import { type VectorRecord, encodeDeltaFragment, newBlockBuilder } from "./ivf-encoder.ts";
import {
  DEFAULT_EX_BITS,
  DEFAULT_SAMPLE_BYTES,
  DEFAULT_TARGET_RECALL,
  MIN_SAMPLE_PER_CLUSTER,
  defaultClusterCount,
  trainCentroids,
} from "./ivf-train.ts";
import type { VectorKernels } from "./kernels.ts";
import { type CalibratorState, NprobeCalibrator } from "./nprobe-calibration.ts";
import { MAX_EX_BITS } from "./rabitq-encoder.ts";
import { VectorReservoir } from "./reservoir-sample.ts";

export interface IvfBuildOptions {
  dim: number;
  metric: VectorMetric;
  kernels: VectorKernels;
  /** Extra bits per dimension, 0–8 (default DEFAULT_EX_BITS). */
  exBits?: number;
  seed?: number;
  /** Cluster count override (default ≈ 4·√N, capped by the sample). */
  nlist?: number;
  /** Entries per cluster maintenance aims for (default: N / nlist). */
  targetClusterSize?: number;
  /** Bytes of the k-means sample (default 16 MiB). */
  sampleBytes?: number;
  /** Encoded bytes of one scratch fragment (default 8 MiB). */
  batchBytes?: number;
  /** Target size of a final cluster object (default 8 MiB). */
  maxObjectBytes?: number;
  /** Store full-precision vectors in the blocks' vectors part (default true). */
  withVectors?: boolean;
  targetRecall?: number;
  /** Sampled data points used to calibrate nprobe (default 32). */
  calibrationQueries?: number;
  /** Called every 4,096 records of each pass and after each phase (progress bars, memory probes). */
  progress?: (phase: BuildPhase, done: number) => void;
}

export type BuildPhase = "sample" | "train" | "encode" | "merge";

/**
 * Spill and object sizes: a batch or an object is held about 3× at its peak (growing builders,
 * finished blocks, the concatenated object), so 8 MiB each keeps either step near 30 MiB.
 */
export const DEFAULT_BATCH_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_OBJECT_BYTES = 8 * 1024 * 1024;

/** Bytes one entry takes in a block (head, ex row and, optionally, its vector). */
export function entryBytes(dim: number, paddedDim: number, exBits: number, withVectors: boolean): number {
  return 8 + (paddedDim >> 3) * (1 + exBits) + 24 + (withVectors ? 4 * dim : 0);
}

/** Vectors per scratch fragment for a byte budget. */
export function batchEntries(o: IvfBuildOptions, paddedDim: number): number {
  const per = entryBytes(o.dim, paddedDim, o.exBits ?? DEFAULT_EX_BITS, o.withVectors ?? true);
  return Math.max(1, Math.floor((o.batchBytes ?? DEFAULT_BATCH_BYTES) / per));
}

/** The result of training: coarse centroids and the calibration queries (sampled data points). */
export interface IvfTraining {
  list: CentroidList;
  calibration: { seqs: number[]; vectors: Float32Array[] };
}

/** Pass 1: a bounded uniform sample of the data (k-means) and a few calibration queries. */
export class IvfSample {
  private readonly o: IvfBuildOptions;
  private readonly reservoir: VectorReservoir;
  private readonly calib: VectorReservoir;

  constructor(o: IvfBuildOptions) {
    this.o = o;
    const seed = o.seed ?? 1;
    this.reservoir = new VectorReservoir(Math.max(1, Math.floor((o.sampleBytes ?? DEFAULT_SAMPLE_BYTES) / (4 * o.dim))), o.dim, seed);
    this.calib = new VectorReservoir(o.calibrationQueries ?? 32, o.dim, seed + 1);
  }

  get offered(): number {
    return this.reservoir.offered;
  }

  get size(): number {
    return this.reservoir.size;
  }

  offer(seq: number, vector: ArrayLike<number>): void {
    const v = prepareVector(vector, this.o.dim, this.o.metric);
    this.reservoir.offer(seq, v);
    this.calib.offer(seq, v);
  }

  /**
   * k-means on the sample. `n` is the size of the whole data set (the sample may come from part of
   * it); the cluster count is ≈ 4·√n, capped so every centroid has MIN_SAMPLE_PER_CLUSTER points.
   */
  train(n = this.offered): IvfTraining {
    const o = this.o;
    const exBits = o.exBits ?? DEFAULT_EX_BITS;
    if (!Number.isInteger(exBits) || exBits < 0 || exBits > MAX_EX_BITS) {
      throw new InvalidArgumentError(`vector-build: exBits must be an integer in [0, ${MAX_EX_BITS}], got ${exBits}`);
    }
    const size = this.reservoir.size;
    if (size === 0) throw new InvalidArgumentError("vector-build: the source is empty");
    const sampleCap = Math.max(1, Math.floor(size / MIN_SAMPLE_PER_CLUSTER));
    const nlist = Math.max(1, Math.min(o.nlist ?? Math.min(defaultClusterCount(n), sampleCap), size));
    const list = trainCentroids(this.reservoir.rows(), size, {
      dim: o.dim,
      metric: o.metric,
      exBits,
      nlist,
      seed: o.seed ?? 1,
      kernels: o.kernels,
      targetClusterSize: o.targetClusterSize ?? Math.ceil(n / nlist),
      targetRecall: o.targetRecall ?? DEFAULT_TARGET_RECALL,
    });
    const calibration = { seqs: [] as number[], vectors: [] as Float32Array[] };
    for (let i = 0; i < this.calib.size; i++) {
      calibration.seqs.push(this.calib.seqs[i]);
      calibration.vectors.push(this.calib.data.slice(i * o.dim, (i + 1) * o.dim));
    }
    return { list, calibration };
  }
}

/** What the encode pass accumulates (JSON-serializable, so a build can stop between batches). */
export interface EncodeProgress {
  /** Entries encoded per cluster. */
  sizes: number[];
  vectors: number;
  calibrator: CalibratorState;
}

/** The encode pass over a trained index: each batch of vectors becomes one scratch fragment. */
export class IvfEncodePass {
  readonly index: CentroidIndex;
  private readonly calibrator: NprobeCalibrator;
  private readonly sizes: Uint32Array;
  private vectors: number;
  private readonly withVectors: boolean;

  constructor(index: CentroidIndex, training: IvfTraining["calibration"], o: IvfBuildOptions, from?: EncodeProgress) {
    this.index = index;
    this.withVectors = o.withVectors ?? true;
    this.calibrator = new NprobeCalibrator(training.vectors, training.seqs, o.metric, o.kernels, from?.calibrator);
    this.sizes = from ? Uint32Array.from(from.sizes) : new Uint32Array(index.nlist);
    this.vectors = from?.vectors ?? 0;
  }

  /** Encodes a batch (one block per touched cluster) and tracks sizes and calibration neighbours. */
  encode(records: Iterable<VectorRecord>): { bytes: Uint8Array; locations: ClusterBlockLocation[] } {
    return encodeDeltaFragment(this.index, records, {
      withVectors: this.withVectors,
      onEncoded: (seq, prepared, cluster) => {
        this.sizes[cluster]++;
        this.vectors++;
        this.calibrator.offer(seq, prepared, cluster);
      },
    });
  }

  progress(): EncodeProgress {
    return { sizes: Array.from(this.sizes), vectors: this.vectors, calibrator: this.calibrator.snapshot() };
  }

  /** The final centroid list: the trained centroids with their sizes and the calibrated nprobe. */
  finish(targetRecall: number): { centroidList: CentroidList; centroidListBytes: Uint8Array } {
    const centroidList: CentroidList = { ...this.index, sizes: Uint32Array.from(this.sizes) };
    centroidList.nprobe = this.calibrator.chooseNprobe(this.index, targetRecall);
    return { centroidList, centroidListBytes: encodeCentroidList(centroidList) };
  }
}

/** A scratch fragment the merge pass reads back. */
export interface Fragment {
  reader: RangeReader;
  locations: ClusterBlockLocation[];
}

/**
 * Consecutive cluster ranges of at most `maxEntries` entries each (a larger cluster gets a range of
 * its own): what one merge step holds.
 */
export function clusterRanges(sizes: ArrayLike<number>, maxEntries: number): [number, number][] {
  const out: [number, number][] = [];
  for (let from = 0; from < sizes.length; ) {
    let to = from + 1;
    let entries = sizes[from];
    while (to < sizes.length && entries + sizes[to] <= maxEntries) entries += sizes[to++];
    out.push([from, to]);
    from = to;
  }
  return out;
}

/**
 * Merge step: the blocks of clusters [from, to) from every fragment, concatenated per cluster
 * (codes copied, not re-encoded) into blocks of at most half an object, written as objects of about
 * `maxObjectBytes` through `putObject`. Reads one fragment's run of blocks at a time, so memory is
 * one fragment's share of the range plus the blocks being built.
 */
export async function mergeClusters(
  list: Pick<CentroidList, "dim" | "paddedDim" | "exBits" | "metric">,
  fragments: Fragment[],
  from: number,
  to: number,
  o: Pick<IvfBuildOptions, "withVectors" | "maxObjectBytes">,
  putObject: (bytes: Uint8Array, locations: ClusterBlockLocation[]) => Promise<void>,
): Promise<void> {
  const withVectors = o.withVectors ?? true;
  const maxObjectBytes = o.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  // one block is held whole while it is built: clusters larger than half an object become several
  const maxBlockEntries = Math.max(1, Math.floor(maxObjectBytes / 2 / entryBytes(list.dim, list.paddedDim, list.exBits, withVectors)));
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const { bytes, locations } = encodeClusterObject(pending);
    pending = [];
    pendingBytes = 0;
    await putObject(bytes, locations);
  };
  const builders = new Map<number, ClusterBlockBuilder>();
  // blocks of a cluster split across objects: an object holds each cluster at most once
  const emit = async (block: Uint8Array): Promise<void> => {
    pending.push(block);
    pendingBytes += block.byteLength;
    if (pendingBytes >= maxObjectBytes) await flush();
  };
  for (const f of fragments) {
    const locs = f.locations.filter((l) => l.clusterId >= from && l.clusterId < to);
    if (locs.length === 0) continue;
    const blocks = await readClusterBlocks(f.reader, locs, { withVectors });
    for (const block of blocks) {
      let out = builders.get(block.clusterId);
      for (let e = 0; e < block.count; e++) {
        if (!out) {
          out = newBlockBuilder(list, block.clusterId, withVectors);
          builders.set(block.clusterId, out);
        }
        out.addFrom(block, e, null);
        if (out.count >= maxBlockEntries) {
          await flush();
          await emit(out.finish());
          await flush();
          out = undefined;
          builders.delete(block.clusterId);
        }
      }
    }
  }
  for (const c of [...builders.keys()].sort((a, b) => a - b)) {
    const out = builders.get(c)!;
    if (out.count > 0) await emit(out.finish());
  }
  await flush();
}

export interface IndexObjectSink {
  /** Stores a scratch fragment the build reads back in its merge pass; the caller deletes it after. */
  putScratch(bytes: Uint8Array): Promise<RangeReader>;
  /** Stores a final cluster object; returns the name the caller will know it by. */
  putClusterObject(bytes: Uint8Array, locations: ClusterBlockLocation[]): Promise<string>;
}

export interface BuiltIvfIndex {
  centroidList: CentroidList;
  centroidListBytes: Uint8Array;
  objects: { key: string; locations: ClusterBlockLocation[] }[];
  stats: {
    vectors: number;
    nlist: number;
    sampleSize: number;
    scratchFragments: number;
    nprobe: number;
    trainMs: number;
    encodeMs: number;
    mergeMs: number;
  };
}

type Source = () => AsyncIterable<VectorRecord> | Iterable<VectorRecord>;

/**
 * The whole build in one call over a stream that can be read twice: the sample pass, then encode
 * batches spilled through the sink, then the merge pass. A build of one batch keeps it in memory.
 */
export async function buildIvfIndex(source: Source, sink: IndexObjectSink, o: IvfBuildOptions): Promise<BuiltIvfIndex> {
  const now = () => performance.now();
  const progress = o.progress ?? (() => {});
  let t = now();
  const sample = new IvfSample(o);
  for await (const r of source()) {
    sample.offer(r.seq, r.vector);
    if ((sample.offered & 4095) === 0) progress("sample", sample.offered);
  }
  const training = sample.train();
  const sampleSize = sample.size;
  const index = openCentroidIndex(training.list, o.kernels);
  const trainMs = now() - t;
  progress("train", sample.offered);

  t = now();
  const pass = new IvfEncodePass(index, training.calibration, o);
  const perBatch = batchEntries(o, index.paddedDim);
  const fragments: Fragment[] = [];
  let held: { bytes: Uint8Array; locations: ClusterBlockLocation[] } | null = null;
  let scratchFragments = 0;
  const put = async (f: { bytes: Uint8Array; locations: ClusterBlockLocation[] }): Promise<void> => {
    fragments.push({ reader: await sink.putScratch(f.bytes), locations: f.locations });
    scratchFragments++;
  };
  let batch: VectorRecord[] = [];
  let done = 0;
  // The first batch stays in memory until a second exists: a build of one batch writes no scratch.
  const spill = async (): Promise<void> => {
    if (batch.length === 0) return;
    const f = pass.encode(batch);
    batch = [];
    if (fragments.length === 0 && held === null) {
      held = f;
      return;
    }
    if (held) await put(held);
    held = null;
    await put(f);
  };
  for await (const r of source()) {
    // the records' vectors may be views into a reused buffer: the batch keeps copies
    batch.push({ seq: r.seq, vector: Float32Array.from(r.vector) });
    if ((++done & 4095) === 0) progress("encode", done);
    if (batch.length >= perBatch) await spill();
  }
  await spill();
  const single = held as { bytes: Uint8Array; locations: ClusterBlockLocation[] } | null;
  if (single) fragments.push({ reader: memoryRangeReader(single.bytes), locations: single.locations });
  const encodeMs = now() - t;

  t = now();
  const objects: BuiltIvfIndex["objects"] = [];
  const sizes = pass.progress().sizes;
  for (const [from, to] of clusterRanges(sizes, perBatch)) {
    if ((from & 63) === 0) progress("merge", from);
    await mergeClusters(index, fragments, from, to, o, async (bytes, locations) => {
      objects.push({ key: await sink.putClusterObject(bytes, locations), locations });
    });
  }
  const mergeMs = now() - t;
  progress("merge", index.nlist);
  const { centroidList, centroidListBytes } = pass.finish(o.targetRecall ?? DEFAULT_TARGET_RECALL);
  return {
    centroidList,
    centroidListBytes,
    objects,
    stats: {
      vectors: pass.progress().vectors,
      nlist: centroidList.nlist,
      sampleSize,
      scratchFragments,
      nprobe: centroidList.nprobe,
      trainMs,
      encodeMs,
      mergeMs,
    },
  };
}
