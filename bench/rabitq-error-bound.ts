// Measures how many multiples of the per-entry error factor (error1·‖q−c‖) cover 90/95/99/99.9 % of
// the 1-bit estimator errors on Gaussian data: the evidence behind ERROR_BOUND_EPSILON. Usage:
//   node bench/rabitq-error-bound.ts [dim]
import { ClusterBlockBuilder, decodeClusterBlock } from "../src/core/index/vector/cluster-block.ts";
import { type VectorMetric, prepareVector, preparedDistance } from "../src/core/index/vector/distance.ts";
import { tsKernels } from "../src/core/index/vector/kernels.ts";
import { createRabitqEncoder } from "../src/core/index/vector/rabitq-encoder.ts";
import { createClusterQuery, ensureRefine, errorBound1, estimate1, estimateEx, prepareClusterQuery, ERROR_BOUND_EPSILON } from "../src/core/index/vector/rabitq-query.ts";
import { createRotator } from "../src/core/index/vector/rotation.ts";
import { createRng } from "../src/core/index/vector/seeded-rng.ts";
const DIM = Number(process.argv[2] ?? 200);
interface Estimates { truth: number[]; est1: number[]; bound1: number[]; estEx: number[]; }
function estimateAll(
  data: Float32Array[],
  c: Float32Array,
  q: Float32Array,
  metric: VectorMetric,
  exBits: number,
  seed: number,
): Estimates {
  const rot = createRotator(DIM, seed);
  const P = rot.paddedDim;
  const cr = rot.rotate(c, new Float64Array(P));
  const c32 = new Float32Array(cr);
  const enc = createRabitqEncoder(P, exBits, metric);
  const b = new ClusterBlockBuilder({ clusterId: 0, dim: DIM, paddedDim: P, exBits, metric, withVectors: false });
  const xr = new Float64Array(P);
  const r = new Float64Array(P);
  data.forEach((x, i) => {
    rot.rotate(x, xr);
    let cDotR = 0;
    for (let d = 0; d < P; d++) {
      r[d] = xr[d] - c32[d];
      cDotR += c32[d] * r[d];
    }
    b.add(i, enc.encode(r, cDotR), null);
  });
  const block = decodeClusterBlock(b.finish());
  const rng = createRng(seed + 1);
  const cq = prepareClusterQuery(createClusterQuery(P, rng), rot.rotate(q, new Float64Array(P)), c32, metric);
  ensureRefine(cq);
  const n = data.length;
  const ip4 = new Int32Array(n);
  tsKernels.binaryDot4(block.code1, n, P / 8, cq.planes4, ip4);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const ipU = new Int32Array(n);
  tsKernels.codeDotU8(block.code1, block.ex, exBits, P / 8, all, n, cq.q8, cq.q8Planes, ipU);
  const out: Estimates = { truth: [], est1: [], bound1: [], estEx: [] };
  for (let e = 0; e < n; e++) {
    out.truth.push(preparedDistance(q, data[e], metric));
    out.est1.push(estimate1(cq, block.factors, e, ip4[e]));
    out.bound1.push(errorBound1(cq, block.factors, e));
    out.estEx.push(estimateEx(cq, block.factors, e, ipU[e], exBits));
  }
  return out;
}
function gaussian(rng: ReturnType<typeof createRng>, metric: VectorMetric, shift = 0): Float32Array {
  const v = new Float32Array(DIM);
  for (let d = 0; d < DIM; d++) v[d] = rng.nextGaussian() + shift;
  return prepareVector(v, DIM, metric);
}
for (const metric of ["euclidean_squared", "dot_product", "cosine"] as const) {
  const rng = createRng(17); const ratios: number[] = [];
  for (let cl = 0; cl < 6; cl++) { const c = gaussian(rng, metric, 0.2); const data = Array.from({ length: 300 }, () => gaussian(rng, metric, 0.2));
    for (let qi = 0; qi < 5; qi++) { const est = estimateAll(data, c, gaussian(rng, metric, 0.2), metric, 0, 77 + cl * 10 + qi);
      for (let e = 0; e < data.length; e++) ratios.push(Math.abs(est.est1[e] - est.truth[e]) / (est.bound1[e] / ERROR_BOUND_EPSILON)); } }
  ratios.sort((a, b) => a - b); const q = (p: number) => ratios[Math.floor(p * ratios.length)].toFixed(2);
  const cover = ratios.filter((r) => r <= ERROR_BOUND_EPSILON).length / ratios.length;
  console.log(DIM, metric, "eps needed for 90/95/99/99.9%:", q(0.9), q(0.95), q(0.99), q(0.999), `coverage at eps=${ERROR_BOUND_EPSILON}:`, (100 * cover).toFixed(2) + "%");
}
