/**
 * Builds a whole IVF + RaBitQ index from a stream of (seq, vector) with memory bounded whatever
 * the stream length: pass 1 keeps a reservoir sample (k-means) and a few calibration queries;
 * pass 2 assigns and encodes, spilling a delta-fragment-format scratch object whenever the encoded
 * batch reaches `batchBytes`; a merge pass then writes each cluster's entries (all fragments' blocks
 * of that cluster) into final cluster objects of about `maxObjectBytes`. When the sample bounds the
 * k-means cluster count below ≈ 4·√N, the merge pass also splits each coarse cluster into parts of
 * the ideal size (k-means on its members, bounded by `refineBytes`). Owns the orchestration;
 * object names and the manifest belong to the caller's sink.
 */

import { InvalidArgumentError } from "../../errors.ts";
import { type RangeReader, memoryRangeReader } from "../../../storage/range-reader.ts";
import { type CentroidList, encodeCentroidList, openCentroidIndex } from "./centroid-list.ts";
import type { ClusterBlockBuilder } from "./cluster-block.ts";
import { type ClusterBlockLocation, encodeClusterObject, readClusterBlock } from "./cluster-object.ts";
import type { ClusterBlock } from "./cluster-block.ts";
import { trainKMeansOn } from "./kmeans.ts";
import { SPLIT_FACTOR } from "./ivf-maintenance.ts";
import { type VectorMetric, prepareVector } from "./distance.ts";
import { ASSIGN_BATCH, type VectorRecord, createIvfEncoder, newBlockBuilder, newFragmentBuilder } from "./ivf-encoder.ts";
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
  /**
   * Cluster-size refinement in the merge pass (k-means inside a coarse cluster, memory-bounded):
   * "balance" (default) splits clusters larger than 2× the mean size into parts of the mean size
   * (k-means on a small sample leaves very unequal clusters: at 1M × 768-d a query probed clusters
   * 7× the mean); "ideal" splits towards the ≈ 4·√N rule; "off" keeps the k-means clusters and
   * copies codes instead of re-encoding. See docs/vector-index.md for the measurements.
   */
  refine?: "balance" | "ideal" | "off";
  /** Memory for refining one coarse cluster into parts (default 24 MiB). */
  refineBytes?: number;
  /** Called every 4,096 records of each pass and after each phase (progress bars, memory probes). */
  progress?: (phase: BuildPhase, done: number) => void;
}

export type BuildPhase = "sample" | "train" | "encode" | "merge";

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
    /** Clusters of the sample k-means before the merge pass refined them (= nlist when none). */
    coarseNlist: number;
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
/**
 * Memory allowed for refining one coarse cluster: half for the k-means member sample (and its
 * resident copy), half for the parts being encoded at once. Any cluster size fits: larger ones
 * are sampled and encoded in groups of parts over repeated reads of their scratch blocks.
 */
export const DEFAULT_REFINE_BYTES = 24 * 1024 * 1024;

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
  const progress = o.progress ?? (() => {});
  progress("train", n);

  // Refinement: pass 2 only routes vectors (1-bit codes + vectors into scratch) and the merge pass
  // splits oversized coarse clusters into parts of idealSize with k-means on their members,
  // encoding once against the final centroids (whose rows are the members' means).
  const mode = o.refine ?? "balance";
  const idealNlist = Math.max(index.nlist, o.nlist ?? defaultClusterCount(n));
  const idealSize = Math.max(1, Math.ceil(n / (mode === "ideal" ? idealNlist : index.nlist)));
  const refine = mode !== "off" && n > SPLIT_FACTOR * idealSize;
  list.targetClusterSize = idealSize;
  const scratchIndex = refine ? openCentroidIndex({ ...list, exBits: 0 }, o.kernels) : index;
  const scratchVectors = refine || withVectors;

  // pass 2: assign + encode, spilling bounded batches
  t = now();
  const calibQueries: Float32Array[] = [];
  for (let i = 0; i < calib.size; i++) calibQueries.push(calib.data.slice(i * o.dim, (i + 1) * o.dim));
  const calibrator = new NprobeCalibrator(calibQueries, Array.from(calib.seqs.subarray(0, calib.size)), o.metric, o.kernels);
  const enc = createIvfEncoder(scratchIndex);
  const entryBytes = 8 + (index.paddedDim >> 3) * (1 + scratchIndex.exBits) + 24 + (scratchVectors ? 4 * o.dim : 0);
  const batchEntries = Math.max(1, Math.floor((o.batchBytes ?? DEFAULT_BATCH_BYTES) / entryBytes));
  const coarseSizes = new Uint32Array(index.nlist);
  const fragments: { reader: RangeReader; locations: ClusterBlockLocation[] }[] = [];
  // sized once: growing by doubling would briefly hold a batch three times
  const newBatch = () => {
    const b = newFragmentBuilder(scratchIndex, scratchVectors);
    b.reserve(Math.min(batchEntries, n));
    return b;
  };
  let batch = newBatch();
  let done = 0;
  let scratchFragments = 0;
  const spillBatch = async (): Promise<void> => {
    const { bytes, locations } = batch.finishObject();
    batch = newBatch();
    fragments.push({ reader: await sink.putScratch(bytes), locations });
    scratchFragments++;
  };
  // Vectors are assigned ASSIGN_BATCH at a time (one pass over the centroids serves them all).
  const toEncodeSeqs: number[] = [];
  const toEncode: Float32Array[] = [];
  const assigned = new Int32Array(ASSIGN_BATCH);
  const encodePending = async (): Promise<void> => {
    enc.assignBatch(toEncode, assigned);
    for (let k = 0; k < toEncode.length; k++) {
      const v = toEncode[k];
      const c = assigned[k];
      batch.addTo(c, toEncodeSeqs[k], enc.encode(v, c), v);
      coarseSizes[c]++;
      calibrator.offer(toEncodeSeqs[k], v, c);
      if ((++done & 4095) === 0) progress("encode", done);
      if (batch.count >= batchEntries) await spillBatch();
    }
    toEncode.length = 0;
    toEncodeSeqs.length = 0;
  };
  for await (const r of source()) {
    toEncode.push(enc.prepare(r.vector));
    toEncodeSeqs.push(r.seq);
    if (toEncode.length === ASSIGN_BATCH) await encodePending();
  }
  if (toEncode.length > 0) await encodePending();
  const encodeMs = now() - t;

  // merge pass: one coarse cluster at a time into final objects
  t = now();
  const objects: BuiltIvfIndex["objects"] = [];
  const maxObjectBytes = o.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const { bytes, locations } = encodeClusterObject(pending);
    objects.push({ key: await sink.putClusterObject(bytes, locations), locations });
    pending = [];
    pendingBytes = 0;
  };
  const emit = async (bytes: Uint8Array): Promise<void> => {
    pending.push(bytes);
    pendingBytes += bytes.byteLength;
    if (pendingBytes >= maxObjectBytes) await flush();
  };
  const finalSizes: number[] = Array.from(coarseSizes);
  const extraCentroids: Float32Array[] = [];
  if (!refine && fragments.length === 0) {
    for (const bytes of batch.finishBlocks()) await emit(bytes);
  } else {
    if (batch.count > 0) {
      // the last batch is spilled too: holding it through the merge pass would cost a batch of memory
      if (fragments.length > 0) {
        await spillBatch();
      } else {
        const { bytes, locations } = batch.finishObject();
        fragments.push({ reader: memoryRangeReader(bytes), locations });
      }
    }
    const byCluster = fragments.map((f) => new Map(f.locations.map((l) => [l.clusterId, l])));
    const refineBudget = o.refineBytes ?? DEFAULT_REFINE_BYTES;
    const finalEntryBytes = 8 + (index.paddedDim >> 3) * (1 + exBits) + 24 + (withVectors ? 4 * o.dim : 0);
    // a cluster larger than this is written as several blocks (in consecutive objects): k-means
    // clusters can be very unequal, and one block is held whole while it is built
    const maxBlockEntries = Math.max(1, Math.floor(maxObjectBytes / 2 / finalEntryBytes));
    /**
     * Splits coarse cluster c into parts of ≈ idealSize, streaming its scratch blocks: (1) a bounded
     * reservoir of members → k-means, (2) assign every member to a part (4 bytes each), (3) encode
     * the parts a group at a time (a group's entries fit the budget), flushing a part's block
     * whenever it reaches maxBlockEntries. Memory stays within refineBytes at any cluster size.
     */
    const refineCluster = async (c: number, reads: (() => Promise<ClusterBlock>)[]): Promise<void> => {
      const count = coarseSizes[c];
      const parts = count > SPLIT_FACTOR * idealSize ? Math.round(count / idealSize) : 1;
      const P = index.paddedDim;
      // the sample is rotated in place (when P = dim) and handed to the kernels: one resident copy
      const sampleCap = Math.max(1, Math.min(count, Math.floor(refineBudget / 2 / (8 * P))));
      let reservoir: VectorReservoir | null = new VectorReservoir(sampleCap, o.dim, seed + c);
      for (const read of reads) {
        const b = await read();
        for (let e = 0; e < b.count; e++) reservoir.offer(b.seqs[e], b.vectors!.subarray(e * o.dim, (e + 1) * o.dim));
      }
      const rows = reservoir.size;
      const rotated = P === o.dim ? reservoir.data : new Float32Array(rows * P);
      const tmp = new Float64Array(P);
      for (let r = 0; r < rows; r++) {
        index.rotator.rotate(reservoir.data.subarray(r * o.dim, (r + 1) * o.dim), tmp);
        for (let d = 0; d < P; d++) rotated[r * P + d] = tmp[d];
      }
      const matrix = o.kernels.createMatrix(rotated, rows, P);
      reservoir = null;
      const part = trainKMeansOn(matrix, parts, { seed: seed + c, kernels: o.kernels });
      const k = part.sizes.length;
      const ids = [c];
      for (let j = 1; j < k; j++) {
        ids.push(index.nlist + extraCentroids.length);
        extraCentroids.push(part.centroids.slice(j * P, (j + 1) * P));
        finalSizes.push(0);
      }
      list.centroids.set(part.centroids.subarray(0, P), c * P);
      const partIndex = openCentroidIndex({ ...list, nlist: k, sizes: part.sizes, centroids: part.centroids }, o.kernels);
      const enc = createIvfEncoder(partIndex);
      const assignment = new Int32Array(count);
      const partSizes = new Uint32Array(k);
      let i = 0;
      for (const read of reads) {
        const b = await read();
        for (let e = 0; e < b.count; e++, i++) {
          const j = k === 1 ? 0 : enc.assign(b.vectors!.subarray(e * o.dim, (e + 1) * o.dim));
          assignment[i] = j;
          partSizes[j]++;
          calibrator.reassign(b.seqs[e], ids[j]);
        }
      }
      for (let j = 0; j < k; j++) finalSizes[ids[j]] = partSizes[j];
      const groupEntries = Math.max(1, Math.floor(refineBudget / 2 / finalEntryBytes));
      for (let g0 = 0; g0 < k; ) {
        let g1 = g0;
        let entries = 0;
        while (g1 < k && (g1 === g0 || entries + partSizes[g1] <= groupEntries)) entries += partSizes[g1++];
        const builders = new Map<number, ClusterBlockBuilder>();
        for (let j = g0; j < g1; j++) {
          const b = newBlockBuilder(list, ids[j], withVectors);
          b.reserve(Math.min(partSizes[j], maxBlockEntries));
          builders.set(j, b);
        }
        i = 0;
        for (const read of reads) {
          const b = await read();
          for (let e = 0; e < b.count; e++, i++) {
            const j = assignment[i];
            if (j < g0 || j >= g1) continue;
            let out = builders.get(j)!;
            const v = b.vectors!.subarray(e * o.dim, (e + 1) * o.dim);
            out.add(b.seqs[e], enc.encode(v, j), v);
            if (out.count >= maxBlockEntries) {
              await emit(out.finish());
              await flush();
              out = newBlockBuilder(list, ids[j], withVectors);
              out.reserve(Math.min(partSizes[j], maxBlockEntries));
              builders.set(j, out);
            }
          }
        }
        for (const out of builders.values()) if (out.count > 0) await emit(out.finish());
        g0 = g1;
      }
    };
    for (let c = 0; c < index.nlist; c++) {
      if (coarseSizes[c] === 0) continue;
      if ((c & 63) === 0) progress("merge", c);
      const locs: [number, ClusterBlockLocation][] = [];
      for (let f = 0; f < fragments.length; f++) {
        const loc = byCluster[f].get(c);
        if (loc) locs.push([f, loc]);
      }
      const readBlock = (f: number, loc: ClusterBlockLocation) =>
        readClusterBlock(fragments[f].reader, loc, { withVectors: scratchVectors });
      if (refine) {
        await refineCluster(c, locs.map(([f, loc]) => () => readBlock(f, loc)));
        continue;
      }
      // copy the codes, one fragment block at a time, in chunks of maxBlockEntries
      let out = newBlockBuilder(index, c, withVectors);
      for (const [f, loc] of locs) {
        const block = await readBlock(f, loc);
        for (let e = 0; e < block.count; e++) {
          out.addFrom(block, e, null);
          if (out.count >= maxBlockEntries) {
            await emit(out.finish());
            await flush();
            out = newBlockBuilder(index, c, withVectors);
          }
        }
      }
      if (out.count > 0) await emit(out.finish());
    }
  }
  await flush();
  const mergeMs = now() - t;
  progress("merge", index.nlist);

  const P = index.paddedDim;
  const finalList: CentroidList = { ...list, nlist: finalSizes.length, sizes: Uint32Array.from(finalSizes) };
  if (extraCentroids.length > 0) {
    const all = new Float32Array(finalSizes.length * P);
    all.set(list.centroids);
    extraCentroids.forEach((row, i) => all.set(row, (index.nlist + i) * P));
    finalList.centroids = all;
  }
  const finalIndex = extraCentroids.length > 0 || refine ? openCentroidIndex(finalList, o.kernels) : index;
  finalList.nprobe = calibrator.chooseNprobe(finalIndex, targetRecall);
  return {
    centroidList: finalList,
    centroidListBytes: encodeCentroidList(finalList),
    objects,
    stats: {
      vectors: n,
      nlist: finalList.nlist,
      coarseNlist: index.nlist,
      sampleSize,
      scratchFragments,
      nprobe: finalList.nprobe,
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
    if ((reservoir.offered & 4095) === 0) o.progress?.("sample", reservoir.offered);
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
