/**
 * Exact top-k ground truth for benchmark queries: a brute-force scan of streamed vectors through
 * the Wasm SIMD kernels. Knows nothing about where the vectors come from or which system is tested.
 */
import { CandidateHeap } from "../../src/core/index/vector/candidate-heap.ts";
import { prepareVector, type VectorMetric } from "../../src/core/index/vector/distance.ts";
import type { VectorKernels } from "../../src/core/index/vector/kernels.ts";

/** Row numbers (seq) of the k nearest records to each query, best first. */
export function exactTopK(
  kernels: VectorKernels,
  ds: { metric: VectorMetric; dim: number; source: () => Iterable<{ seq: number; vector: ArrayLike<number> }> },
  queries: Float32Array[],
  k: number,
): number[][] {
  const dim = ds.dim;
  const all = new Float32Array(queries.length * dim);
  // A query's scale does not change its ranking, so only the data side is normalized.
  queries.forEach((q, i) => all.set(q, i * dim));
  const m = kernels.createMatrix(all, queries.length, dim);
  const heaps = queries.map(() => new CandidateHeap(k));
  const d = new Float32Array(queries.length);
  for (const r of ds.source()) {
    const v = prepareVector(r.vector, dim, ds.metric);
    if (ds.metric === "euclidean_squared") m.l2(v, d);
    else {
      m.dot(v, d);
      for (let i = 0; i < d.length; i++) d[i] = -d[i];
    }
    for (let i = 0; i < d.length; i++) if (d[i] < heaps[i].threshold()) heaps[i].push(r.seq, d[i]);
  }
  return heaps.map((h) => h.sorted().map((c) => c.seq));
}
