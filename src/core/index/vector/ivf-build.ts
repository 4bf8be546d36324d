/**
 * Builds a whole IVF + RaBitQ index from a stream of (seq, vector) with memory bounded whatever
 * the stream length: pass 1 keeps a reservoir sample (k-means) and a few calibration queries;
 * pass 2 assigns and encodes, spilling a delta-fragment-format scratch object whenever the encoded
 * batch reaches `batchBytes`; a merge pass then writes each cluster's entries (all fragments' blocks
 * of that cluster) into final cluster objects of about `maxObjectBytes`. Owns the orchestration;
 * object names and the manifest belong to the caller's sink.
 */

import { InvalidArgumentError } from "../../errors.ts";
import type { RangeReader } from "../../../storage/range-reader.ts";
import { type CentroidList, encodeCentroidList, openCentroidIndex } from "./centroid-list.ts";
import type { ClusterBlockBuilder } from "./cluster-block.ts";
import { type ClusterBlockLocation, encodeClusterObject, readClusterBlock } from "./cluster-object.ts";
import { type VectorMetric, prepareVector } from "./distance.ts";
import { type VectorRecord, createIvfEncoder, newBlockBuilder } from "./ivf-encoder.ts";
import {
  DEFAULT_EX_BITS,
  DEFAULT_SAMPLE_BYTES,
  DEFAULT_TARGET_RECALL,
  MIN_SAMPLE_PER_CLUSTER,
  defaultClusterCount,
  trainCentroids,
} from "./ivf-train.ts";
import type { VectorKernels } from "./kernels.ts";
import { NprobeCalibrator } from "./nprobe-calibration.ts";
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
  /** Bytes of the k-means sample (default 16 MiB). */
  sampleBytes?: number;
  /** Encoded bytes held before a scratch fragment is spilled (default 8 MiB). */
  batchBytes?: number;
  /** Target size of a final cluster object (default 8 MiB). */
  maxObjectBytes?: number;
  /** Store full-precision vectors in the blocks' vectors part (default true). */
  withVectors?: boolean;
  targetRecall?: number;
  /** Sampled data points used to calibrate nprobe (default 32). */
  calibrationQueries?: number;
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

/**
 * Spill and object sizes: a batch or an object is held about 3× at its peak (growing builders,
 * finished blocks, the concatenated object), so 8 MiB each keeps either phase near 30 MiB.
 */
export const DEFAULT_BATCH_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_OBJECT_BYTES = 8 * 1024 * 1024;

type Source = () => AsyncIterable<VectorRecord> | Iterable<VectorRecord>;

export async function buildIvfIndex(source: Source, sink: IndexObjectSink, o: IvfBuildOptions): Promise<BuiltIvfIndex> {
  const exBits = o.exBits ?? DEFAULT_EX_BITS;
  if (!Number.isInteger(exBits) || exBits < 0 || exBits > MAX_EX_BITS) {
    throw new InvalidArgumentError(`vector-build: exBits must be an integer in [0, ${MAX_EX_BITS}], got ${exBits}`);
  }
  const seed = o.seed ?? 1;
  const withVectors = o.withVectors ?? true;
  const targetRecall = o.targetRecall ?? DEFAULT_TARGET_RECALL;
  const now = () => performance.now();

  // pass 1: sample + calibration queries, then k-means (the sample is released on return)
  let t = now();
  const { list, calib, n, sampleSize } = await samplePass(source, o, exBits, seed, targetRecall);
  const index = openCentroidIndex(list, o.kernels);
  const trainMs = now() - t;

  // pass 2: assign + encode, spilling bounded batches
  t = now();
  const calibQueries: Float32Array[] = [];
  for (let i = 0; i < calib.size; i++) calibQueries.push(calib.data.slice(i * o.dim, (i + 1) * o.dim));
  const calibrator = new NprobeCalibrator(calibQueries, Array.from(calib.seqs.subarray(0, calib.size)), o.metric, o.kernels);
  const enc = createIvfEncoder(index);
  const entryBytes = 8 + (index.paddedDim >> 3) * (1 + exBits) + 24 + (withVectors ? 4 * o.dim : 0);
  const batchEntries = Math.max(1, Math.floor((o.batchBytes ?? DEFAULT_BATCH_BYTES) / entryBytes));
  const sizes = new Uint32Array(index.nlist);
  const fragments: { reader: RangeReader; locations: ClusterBlockLocation[] }[] = [];
  let builders = new Map<number, ClusterBlockBuilder>();
  let inBatch = 0;
  const finishBatch = (): Uint8Array[] => {
    const ids = [...builders.keys()].sort((a, b) => a - b);
    const blocks = ids.map((id) => builders.get(id)!.finish());
    builders = new Map();
    inBatch = 0;
    return blocks;
  };
  for await (const r of source()) {
    const v = enc.prepare(r.vector);
    const c = enc.assign(v);
    let b = builders.get(c);
    if (!b) {
      b = newBlockBuilder(index, c, withVectors);
      builders.set(c, b);
    }
    enc.encodeInto(b, r.seq, v, c);
    sizes[c]++;
    calibrator.offer(r.seq, v, c);
    if (++inBatch >= batchEntries) {
      const { bytes, locations } = encodeClusterObject(finishBatch());
      fragments.push({ reader: await sink.putScratch(bytes), locations });
    }
  }
  const encodeMs = now() - t;

  // merge pass: one cluster at a time into final objects
  t = now();
  const objects: BuiltIvfIndex["objects"] = [];
  if (fragments.length === 0) {
    const { bytes, locations } = encodeClusterObject(finishBatch());
    objects.push({ key: await sink.putClusterObject(bytes, locations), locations });
  } else {
    if (inBatch > 0) {
      const { bytes, locations } = encodeClusterObject(finishBatch());
      fragments.push({ reader: await sink.putScratch(bytes), locations });
    }
    const maxObjectBytes = o.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
    const byCluster = fragments.map((f) => new Map(f.locations.map((l) => [l.clusterId, l])));
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const { bytes, locations } = encodeClusterObject(pending);
      objects.push({ key: await sink.putClusterObject(bytes, locations), locations });
      pending = [];
      pendingBytes = 0;
    };
    for (let c = 0; c < index.nlist; c++) {
      if (sizes[c] === 0) continue;
      const out = newBlockBuilder(index, c, withVectors);
      for (let f = 0; f < fragments.length; f++) {
        const loc = byCluster[f].get(c);
        if (!loc) continue;
        const block = await readClusterBlock(fragments[f].reader, loc, { withVectors });
        for (let e = 0; e < block.count; e++) out.addFrom(block, e, null);
      }
      const bytes = out.finish();
      pending.push(bytes);
      pendingBytes += bytes.byteLength;
      if (pendingBytes >= maxObjectBytes) await flush();
    }
    await flush();
  }
  const mergeMs = now() - t;

  list.sizes = sizes;
  list.nprobe = calibrator.chooseNprobe(index, targetRecall);
  return {
    centroidList: list,
    centroidListBytes: encodeCentroidList(list),
    objects,
    stats: {
      vectors: n,
      nlist: index.nlist,
      sampleSize,
      scratchFragments: fragments.length,
      nprobe: list.nprobe,
      trainMs,
      encodeMs,
      mergeMs,
    },
  };
}

async function samplePass(source: Source, o: IvfBuildOptions, exBits: number, seed: number, targetRecall: number) {
  const sampleRows = Math.max(1, Math.floor((o.sampleBytes ?? DEFAULT_SAMPLE_BYTES) / (4 * o.dim)));
  const reservoir = new VectorReservoir(sampleRows, o.dim, seed);
  const calib = new VectorReservoir(o.calibrationQueries ?? 32, o.dim, seed + 1);
  for await (const r of source()) {
    const v = prepareVector(r.vector, o.dim, o.metric);
    reservoir.offer(r.seq, v);
    calib.offer(r.seq, v);
  }
  const n = reservoir.offered;
  if (n === 0) throw new InvalidArgumentError("vector-build: the source is empty");
  const sampleCap = Math.max(1, Math.floor(reservoir.size / MIN_SAMPLE_PER_CLUSTER));
  const nlist = Math.max(1, Math.min(o.nlist ?? Math.min(defaultClusterCount(n), sampleCap), reservoir.size));
  const list = trainCentroids(reservoir.rows(), reservoir.size, {
    dim: o.dim,
    metric: o.metric,
    exBits,
    nlist,
    seed,
    kernels: o.kernels,
    targetClusterSize: Math.ceil(n / nlist),
    targetRecall,
  });
  return { list, calib, n, sampleSize: reservoir.size };
}
