/**
 * Encodes vectors around one centroid with a given rotation and returns the RaBitQ estimates of
 * their distances to a query next to the truth: shared by the estimator tests and the error-bound
 * benchmark. Owns nothing of the index itself.
 */
import { ClusterBlockBuilder, decodeClusterBlock } from "../../src/core/index/vector/cluster-block.ts";
import { type VectorMetric, prepareVector, preparedDistance } from "../../src/core/index/vector/distance.ts";
import { tsKernels } from "../../src/core/index/vector/kernels.ts";
import { createRabitqEncoder } from "../../src/core/index/vector/rabitq-encoder.ts";
import { createClusterQuery, ensureRefine, errorBound1, estimate1, estimateEx, prepareClusterQuery } from "../../src/core/index/vector/rabitq-query.ts";
import { createRotator } from "../../src/core/index/vector/rotation.ts";
import { createRng } from "../../src/core/index/vector/seeded-rng.ts";

export interface Estimates {
  truth: number[];
  est1: number[];
  bound1: number[];
  estEx: number[];
}

/** Encodes `data` around centroid `c` with one rotation and estimates every distance to `q`. */
export function estimateAll(
  dim: number,
  data: Float32Array[],
  c: Float32Array,
  q: Float32Array,
  metric: VectorMetric,
  exBits: number,
  seed: number,
): Estimates {
  const rot = createRotator(dim, seed, tsKernels);
  const P = rot.paddedDim;
  const cr = rot.rotate(c, new Float64Array(P));
  const c32 = new Float32Array(cr);
  const enc = createRabitqEncoder(P, exBits, metric, tsKernels);
  const b = new ClusterBlockBuilder({ clusterId: 0, dim, paddedDim: P, exBits, metric, withVectors: false });
  const xr = new Float64Array(P);
  data.forEach((x, i) => b.add(i, enc.encode(rot.rotate(x, xr), c32), null));
  const block = decodeClusterBlock(b.finish());
  const rng = createRng(seed + 1);
  const cq = prepareClusterQuery(createClusterQuery(P, rng), rot.rotate(q, new Float64Array(P)), c32, metric);
  ensureRefine(cq);
  const n = data.length;
  const ip4 = new Int32Array(n);
  tsKernels.binaryDot4(block.code1, n, P / 8, cq.planes4, ip4);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const ipU = new Int32Array(n);
  tsKernels.codeDotU8(block.code1, block.ex!, exBits, P / 8, all, n, cq.q8, cq.q8Planes, ipU);
  const out: Estimates = { truth: [], est1: [], bound1: [], estEx: [] };
  for (let e = 0; e < n; e++) {
    out.truth.push(preparedDistance(q, data[e], metric));
    out.est1.push(estimate1(cq, block.factors, e, ip4[e]));
    out.bound1.push(errorBound1(cq, block.factors, e));
    out.estEx.push(estimateEx(cq, block.factors, e, ipU[e], exBits));
  }
  return out;
}

export function gaussian(rng: ReturnType<typeof createRng>, dim: number, metric: VectorMetric, shift = 0): Float32Array {
  const v = new Float32Array(dim);
  for (let d = 0; d < dim; d++) v[d] = rng.nextGaussian() + shift;
  return prepareVector(v, dim, metric);
}
