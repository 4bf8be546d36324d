/**
 * Centroid training for an IVF index: rotate a bounded sample of prepared vectors, run seeded
 * k-means in the rotated space and wrap the result as a CentroidList. Owns the sizing rules (how
 * many clusters for N vectors, how large a sample) that the build and maintenance share.
 */

import type { CentroidList } from "./centroid-list.ts";
import type { VectorMetric } from "./distance.ts";
import type { VectorKernels } from "./kernels.ts";
import { trainKMeansOn } from "./kmeans.ts";
import { createRotator, paddedDimension } from "./rotation.ts";

/** Extra bits per dimension by default (chosen by measurement, see docs/vector-index.md). */
export const DEFAULT_EX_BITS = 5;
/** Recall@10 the default nprobe is calibrated for. */
export const DEFAULT_TARGET_RECALL = 0.95;
/** Sample points per centroid that k-means wants at least (below this, fewer clusters). */
export const MIN_SAMPLE_PER_CLUSTER = 12;
/**
 * Default byte budget of the k-means sample (float32 rows). Training holds it twice (the rotated
 * sample and the kernels' resident copy), so 16 MiB keeps training near 32 MiB at any N.
 */
export const DEFAULT_SAMPLE_BYTES = 16 * 1024 * 1024;

/**
 * Cluster count for n vectors: ≈ 4·√N (the rule), at least 1. The build caps it by the
 * k-means sample (MIN_SAMPLE_PER_CLUSTER points each), which at 768-d binds from N ≈ 13k on.
 */
export function defaultClusterCount(n: number): number {
  return Math.max(1, Math.round(4 * Math.sqrt(n)));
}

/** Target entries per cluster implied by the rule above. */
export function defaultTargetClusterSize(n: number): number {
  return Math.max(16, Math.ceil(n / defaultClusterCount(n)));
}

export interface TrainCentroidsOptions {
  dim: number;
  metric: VectorMetric;
  exBits: number;
  nlist: number;
  seed: number;
  kernels: VectorKernels;
  targetClusterSize: number;
  targetRecall?: number;
  /** Initial default nprobe; calibration usually replaces it. */
  nprobe?: number;
  iterations?: number;
}

/**
 * Trains centroids on `n` prepared vectors (rows of `sample`). The rotator seed is derived from
 * `seed`, so one seed reproduces the whole index. When the dimension is already a multiple of 128
 * the sample is rotated in place (it is overwritten).
 */
export function trainCentroids(sample: Float32Array, n: number, o: TrainCentroidsOptions): CentroidList {
  const P = paddedDimension(o.dim);
  const rotatorSeed = (o.seed ^ 0x2545f491) >>> 0;
  const rotator = createRotator(o.dim, rotatorSeed, o.kernels);
  const rotated = P === o.dim ? sample : new Float32Array(n * P);
  const tmp = new Float64Array(P);
  for (let i = 0; i < n; i++) {
    rotator.rotate(sample.subarray(i * o.dim, (i + 1) * o.dim), tmp);
    for (let d = 0; d < P; d++) rotated[i * P + d] = tmp[d];
  }
  const k = Math.max(1, Math.min(o.nlist, n));
  const matrix = o.kernels.createMatrix(rotated, n, P);
  const km = trainKMeansOn(matrix, k, { seed: o.seed, iterations: o.iterations, kernels: o.kernels });
  return {
    nlist: k,
    dim: o.dim,
    paddedDim: P,
    metric: o.metric,
    exBits: o.exBits,
    rotatorSeed,
    nprobe: o.nprobe ?? Math.max(1, Math.ceil(k / 16)),
    targetRecall: o.targetRecall ?? DEFAULT_TARGET_RECALL,
    targetClusterSize: o.targetClusterSize,
    sizes: km.sizes,
    centroids: km.centroids,
  };
}
