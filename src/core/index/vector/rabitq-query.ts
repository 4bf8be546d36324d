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
 * Confidence multiplier ε0 of the 1-bit error bound (RaBitQ uses 1.9). The bound
 * |estimate − true| ≤ ε0·err·‖q − c‖ holds for ≥ 99 % of entries with ε0 = 1.9 on generated data
 * (test/unit/vector/rabitq-estimator.test.ts measures it; the bound is ~2.4σ of the estimator error).
 */
export const ERROR_BOUND_EPSILON = 1.9;

export interface ClusterQuery {
  readonly paddedDim: number;
  /** Metric constant of the pair (query, centroid): ‖q−c‖² or −⟨q,c⟩ (+1 for cosine). */
  readonly base: number;
  /** ‖q − c‖, scales the error bound. */
  readonly residualNorm: number;
  /** Σ_i (q'_i − c'_i). */
  readonly sum: number;
  /** 4 bit planes of the 4-bit query, paddedDim/8 bytes each. */
  readonly planes4: Uint8Array;
  readonly delta4: number;
  readonly low4: number;
  /** 8-bit query values (one byte per padded dimension), filled by ensureRefine(). */
  readonly q8: Uint8Array;
  readonly q8Planes: Uint8Array;
  delta8: number;
  low8: number;
  refineReady: boolean;
  readonly residual: Float64Array;
}

/**
 * Prepares the query for one cluster. `rotatedQuery` and `centroid` are in the rotated space
 * (length paddedDim); `qDotC` = ⟨q, c⟩ (the probe step already computed it).
 */
export function prepareClusterQuery(
  rotatedQuery: Float64Array,
  centroid: Float32Array,
  metric: VectorMetric,
  rng: SeededRng,
): ClusterQuery {
  const P = rotatedQuery.length;
  const residual = new Float64Array(P);
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  let ss = 0;
  let qc = 0;
  for (let i = 0; i < P; i++) {
    const v = rotatedQuery[i] - centroid[i];
    residual[i] = v;
    sum += v;
    ss += v * v;
    qc += rotatedQuery[i] * centroid[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const base = metric === "euclidean_squared" ? ss : metric === "dot_product" ? -qc : 1 - qc;
  const codeBytes = P >> 3;
  const planes4 = new Uint8Array(4 * codeBytes);
  const delta4 = hi > lo ? (hi - lo) / 15 : 1;
  for (let i = 0; i < P; i++) {
    let u = Math.floor((residual[i] - lo) / delta4 + rng.next());
    if (u > 15) u = 15;
    const byte = i >> 3;
    const bit = 1 << (i & 7);
    if (u & 1) planes4[byte] |= bit;
    if (u & 2) planes4[codeBytes + byte] |= bit;
    if (u & 4) planes4[2 * codeBytes + byte] |= bit;
    if (u & 8) planes4[3 * codeBytes + byte] |= bit;
  }
  return {
    paddedDim: P,
    base,
    residualNorm: Math.sqrt(ss),
    sum,
    planes4,
    delta4,
    low4: lo,
    q8: new Uint8Array(P),
    q8Planes: new Uint8Array(8 * codeBytes),
    delta8: 0,
    low8: lo,
    refineReady: false,
    residual,
  };
}

/** Builds the 8-bit query on first use (many probed clusters never refine an entry). */
export function ensureRefine(cq: ClusterQuery, rng: SeededRng): void {
  if (cq.refineReady) return;
  const P = cq.paddedDim;
  const codeBytes = P >> 3;
  let hi = -Infinity;
  for (let i = 0; i < P; i++) if (cq.residual[i] > hi) hi = cq.residual[i];
  const lo = cq.low4;
  const delta = hi > lo ? (hi - lo) / 255 : 1;
  for (let i = 0; i < P; i++) {
    let u = Math.floor((cq.residual[i] - lo) / delta + rng.next());
    if (u > 255) u = 255;
    cq.q8[i] = u;
    const byte = i >> 3;
    const bit = 1 << (i & 7);
    for (let k = 0; k < 8; k++) if ((u >> k) & 1) cq.q8Planes[k * codeBytes + byte] |= bit;
  }
  cq.delta8 = delta;
  cq.low8 = lo;
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
