/**
 * The query side of RaBitQ for one probed cluster: the rotated query residual q' − c', its 4-bit
 * randomized quantization as bit planes (for the 1-bit code scan), its 8-bit quantization (for the
 * ex-bit refinement), and the estimators and error bound that turn kernel integers into distances.
 * Owns estimator arithmetic; not the scan loop (ivf-search.ts) nor the kernels.
 *
 * Quantization (RaBitQ §3.3): v = q'_i − c'_i, lo = min v, Δ = (max v − lo)/(2^B − 1),
 * q̄_i = ⌊(v − lo)/Δ + u_i⌋ with u_i uniform in [0, 1) (randomized rounding keeps ⟨x, q⟩ unbiased).
 * Then ⟨x, v⟩ ≈ Δ·⟨x, q̄⟩ + lo·Σx for any code x, and the integer ⟨x, q̄⟩ is what the kernels compute.
 */

import type { VectorMetric } from "./distance.ts";
import {
  FACTOR_ADD,
  FACTOR_ERROR_1,
  FACTOR_POPCOUNT,
  FACTOR_RESCALE_1,
  FACTOR_RESCALE_EX,
  FACTOR_SUM_U,
} from "./rabitq-encoder.ts";
import type { SeededRng } from "./seeded-rng.ts";

/**
 * Confidence multiplier ε0 of the 1-bit error bound. err·‖q − c‖ behaves like one standard deviation
 * of the estimator error (incl. 4-bit query rounding): measured on Gaussian data
 * (bench/rabitq-error-bound.ts), |estimate − true| stays within ~1.9× it for 95 % of entries
 * (RaBitQ's choice) and 2.3–2.65× for 99 % (200–768-d). We use 2.8 so the bound holds for ≥ 99 % of
 * entries (rabitq-estimator.test.ts asserts it): a wrongly skipped candidate is a lost result, a
 * wrongly kept one only costs a refinement.
 */
export const ERROR_BOUND_EPSILON = 2.8;

export interface ClusterQuery {
  readonly paddedDim: number;
  /** Metric constant of the pair (query, centroid): ‖q−c‖² or −⟨q,c⟩ (+1 for cosine). */
  base: number;
  /** ‖q − c‖, scales the error bound. */
  residualNorm: number;
  /** Σ_i (q'_i − c'_i). */
  sum: number;
  /** 4 bit planes of the 4-bit query, paddedDim/8 bytes each. */
  readonly planes4: Uint8Array;
  delta4: number;
  low4: number;
  /** 8-bit query values (one byte per padded dimension), filled by ensureRefine(). */
  readonly q8: Uint8Array;
  readonly q8Planes: Uint8Array;
  delta8: number;
  low8: number;
  refineReady: boolean;
  readonly residual: Float64Array;
  /** Rounding offsets u_i in [0, 1), drawn once per search and shared by its probed clusters. */
  readonly offsets4: Float64Array;
  readonly offsets8: Float64Array;
}

/**
 * Buffers for one search's cluster queries (reused across probed clusters). The rounding offsets
 * are drawn here: reusing them across clusters keeps every estimate unbiased (each is unbiased
 * over the draw) and saves 2·P random numbers per probe.
 */
export function createClusterQuery(paddedDim: number, rng: SeededRng): ClusterQuery {
  const codeBytes = paddedDim >> 3;
  const offsets4 = new Float64Array(paddedDim);
  const offsets8 = new Float64Array(paddedDim);
  for (let i = 0; i < paddedDim; i++) {
    offsets4[i] = rng.next();
    offsets8[i] = rng.next();
  }
  return {
    paddedDim,
    base: 0,
    residualNorm: 0,
    sum: 0,
    planes4: new Uint8Array(4 * codeBytes),
    delta4: 1,
    low4: 0,
    q8: new Uint8Array(paddedDim),
    q8Planes: new Uint8Array(8 * codeBytes),
    delta8: 1,
    low8: 0,
    refineReady: false,
    residual: new Float64Array(paddedDim),
    offsets4,
    offsets8,
  };
}

/**
 * Prepares `cq` for one cluster. `rotatedQuery` and `centroid` are in the rotated space (length
 * paddedDim).
 */
export function prepareClusterQuery(
  cq: ClusterQuery,
  rotatedQuery: Float64Array,
  centroid: Float32Array,
  metric: VectorMetric,
): ClusterQuery {
  const P = cq.paddedDim;
  const residual = cq.residual;
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  let ss = 0;
  let qc = 0;
  for (let i = 0; i < P; i++) {
    const c = centroid[i];
    const v = rotatedQuery[i] - c;
    residual[i] = v;
    sum += v;
    ss += v * v;
    qc += rotatedQuery[i] * c;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  cq.base = metric === "euclidean_squared" ? ss : metric === "dot_product" ? -qc : 1 - qc;
  const codeBytes = P >> 3;
  const planes = cq.planes4;
  const delta4 = hi > lo ? (hi - lo) / 15 : 1;
  const inv = 1 / delta4;
  const off = cq.offsets4;
  for (let byte = 0; byte < codeBytes; byte++) {
    let p0 = 0;
    let p1 = 0;
    let p2 = 0;
    let p3 = 0;
    for (let b = 0; b < 8; b++) {
      const i = (byte << 3) | b;
      let u = Math.floor((residual[i] - lo) * inv + off[i]);
      if (u > 15) u = 15;
      p0 |= (u & 1) << b;
      p1 |= ((u >> 1) & 1) << b;
      p2 |= ((u >> 2) & 1) << b;
      p3 |= ((u >> 3) & 1) << b;
    }
    planes[byte] = p0;
    planes[codeBytes + byte] = p1;
    planes[2 * codeBytes + byte] = p2;
    planes[3 * codeBytes + byte] = p3;
  }
  cq.residualNorm = Math.sqrt(ss);
  cq.sum = sum;
  cq.delta4 = delta4;
  cq.low4 = lo;
  cq.low8 = lo;
  cq.delta8 = hi > lo ? (hi - lo) / 255 : 1;
  cq.refineReady = false;
  return cq;
}

/** Builds the 8-bit query on first use (many probed clusters never refine an entry). */
export function ensureRefine(cq: ClusterQuery): void {
  if (cq.refineReady) return;
  const P = cq.paddedDim;
  const codeBytes = P >> 3;
  const lo = cq.low8;
  const inv = 1 / cq.delta8;
  const residual = cq.residual;
  const off = cq.offsets8;
  const q8 = cq.q8;
  const planes = cq.q8Planes;
  for (let byte = 0; byte < codeBytes; byte++) {
    let p0 = 0;
    let p1 = 0;
    let p2 = 0;
    let p3 = 0;
    let p4 = 0;
    let p5 = 0;
    let p6 = 0;
    let p7 = 0;
    for (let b = 0; b < 8; b++) {
      const i = (byte << 3) | b;
      let u = Math.floor((residual[i] - lo) * inv + off[i]);
      if (u > 255) u = 255;
      q8[i] = u;
      p0 |= (u & 1) << b;
      p1 |= ((u >> 1) & 1) << b;
      p2 |= ((u >> 2) & 1) << b;
      p3 |= ((u >> 3) & 1) << b;
      p4 |= ((u >> 4) & 1) << b;
      p5 |= ((u >> 5) & 1) << b;
      p6 |= ((u >> 6) & 1) << b;
      p7 |= ((u >> 7) & 1) << b;
    }
    planes[byte] = p0;
    planes[codeBytes + byte] = p1;
    planes[2 * codeBytes + byte] = p2;
    planes[3 * codeBytes + byte] = p3;
    planes[4 * codeBytes + byte] = p4;
    planes[5 * codeBytes + byte] = p5;
    planes[6 * codeBytes + byte] = p6;
    planes[7 * codeBytes + byte] = p7;
  }
  cq.refineReady = true;
}

/** Per-entry factor columns of a block (structure of arrays, float32). */
export interface FactorColumns {
  readonly add: Float32Array;
  readonly rescale1: Float32Array;
  readonly error1: Float32Array;
  readonly rescaleEx: Float32Array;
  readonly popcount: Float32Array;
  readonly sumU: Float32Array;
}

/** 1-bit estimate of the distance from the kernel integer ip4 = ⟨x_b, q̄4⟩. */
export function estimate1(cq: ClusterQuery, f: FactorColumns, e: number, ip4: number): number {
  const xq = cq.delta4 * ip4 + cq.low4 * f.popcount[e];
  return f.add[e] + cq.base + f.rescale1[e] * (xq - 0.5 * cq.sum);
}

/** Half-width of the 1-bit estimate's confidence interval: ε0·err·‖q − c‖. */
export function errorBound1(cq: ClusterQuery, f: FactorColumns, e: number): number {
  return ERROR_BOUND_EPSILON * f.error1[e] * cq.residualNorm;
}

/** Extended-code estimate from the kernel integer ipU = ⟨u, q̄8⟩ (u: all 1 + exBits bits). */
export function estimateEx(cq: ClusterQuery, f: FactorColumns, e: number, ipU: number, exBits: number): number {
  const uq = cq.delta8 * ipU + cq.low8 * f.sumU[e];
  const centre = ((1 << (exBits + 1)) - 1) / 2;
  return f.add[e] + cq.base + f.rescaleEx[e] * (uq - centre * cq.sum);
}

/** Column indexes, re-exported for encoders writing factor columns. */
export const FACTOR_SLOTS = {
  add: FACTOR_ADD,
  rescale1: FACTOR_RESCALE_1,
  error1: FACTOR_ERROR_1,
  rescaleEx: FACTOR_RESCALE_EX,
  popcount: FACTOR_POPCOUNT,
  sumU: FACTOR_SUM_U,
} as const;
