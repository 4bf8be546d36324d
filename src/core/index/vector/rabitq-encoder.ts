/**
 * RaBitQ + Extended RaBitQ encoding of one rotated residual r' = P(x − c): the sign-bit code, the
 * `exBits` extra bits per dimension and the per-entry factors the estimator needs. Owns the code
 * construction; not the query side (rabitq-query.ts) nor the bytes of a block (cluster-block.ts).
 *
 * With B = 1 + exBits bits per dimension, dimension i gets an unsigned code u_i in [0, 2^B) whose top
 * bit is the sign bit (the 1-bit RaBitQ code) and whose low exBits bits are the "ex" code. It stands
 * for the centred value y_i = u_i − (2^B − 1)/2, i.e. ±(k_i + ½) with k_i in [0, 2^exBits). For a unit
 * residual direction o = r'/‖r'‖, Extended RaBitQ picks k_i = min(⌊t·|o_i|⌋, 2^exBits − 1) with the
 * scale t maximising cos(y, o); we take the best of 8 scales around a per-(dimension, bits) typical
 * value (an exact search over the breakpoints t = (k+1)/|o_i| finds that value once).
 *
 * Estimator (both code lengths): ⟨o, q⟩ ≈ ⟨y, q⟩ / ⟨y, o⟩ for any query vector q in the rotated
 * space, unbiased for a random rotation. Every metric is written as
 *   distance(x, q) = add + base(q, c) + scale·‖r‖·⟨o, q − c⟩
 * euclidean_squared: add = ‖r‖², base = ‖q − c‖², scale = −2;
 * dot_product: add = −⟨r, c⟩, base = −⟨q, c⟩, scale = −1; cosine (unit vectors): as dot, base + 1.
 * Stored factors fold ‖r‖·scale/⟨y, o⟩ into one "rescale" per code length.
 */

import type { VectorMetric } from "./distance.ts";
import type { VectorKernels } from "./kernels.ts";
import { createRng } from "./seeded-rng.ts";

/** Factor slots, one float32 each per entry (the block stores them structure-of-arrays). */
export const FACTOR_ADD = 0;
export const FACTOR_RESCALE_1 = 1;
export const FACTOR_ERROR_1 = 2;
export const FACTOR_RESCALE_EX = 3;
export const FACTOR_POPCOUNT = 4;
export const FACTOR_SUM_U = 5;
export const FACTOR_COUNT = 6;

export const MAX_EX_BITS = 8;

/**
 * Scale grid relative to the typical scale t0. Measured on random unit vectors: the optimum falls
 * inside [0.85, 1.2]·t0 for ~95 % of vectors at 128/768-d, and cos(y, o) is so flat in t that a
 * fixed t0 loses only ~1e-4 of it; 8 grid points recover most of that (the coders take exactly 8).
 */
const SCALE_GRID = [0.85, 0.9, 0.95, 1, 1.05, 1.1, 1.15, 1.2];

/** −2 for euclidean (the cross term of ‖a − b‖²), −1 for the inner-product metrics. */
export function metricScale(metric: VectorMetric): number {
  return metric === "euclidean_squared" ? -2 : -1;
}

export interface EntryCode {
  /** paddedDim/8 bytes: bit i (byte i>>3, bit i&7) set when o_i > 0. */
  readonly code1: Uint8Array;
  /** exBits planes of paddedDim/8 bytes: plane b holds bit b of each ex code. */
  readonly ex: Uint8Array;
  readonly factors: Float64Array;
}

export interface RabitqEncoder {
  readonly paddedDim: number;
  readonly exBits: number;
  /**
   * Encodes the rotated vector x' (length paddedDim) as the residual r' = x' − c' from its rotated
   * centroid c'. Returns scratch reused by the next call; copy what you keep.
   */
  encode(rotated: Float64Array, centroid: Float32Array): EntryCode;
}

/** Encodes with the code loops of `kernels` (every kernel gives the same bits). */
export function createRabitqEncoder(
  paddedDim: number,
  exBits: number,
  metric: VectorMetric,
  kernels: VectorKernels,
): RabitqEncoder {
  const t0 = exBits > 0 ? typicalScale(paddedDim, exBits) : 0;
  const coder = kernels.createRabitqCoder(paddedDim, exBits, Float64Array.from(SCALE_GRID, (g) => g * t0));
  const { code1, ex } = coder;
  const factors = new Float64Array(FACTOR_COUNT);
  const stats = new Float64Array(6);
  const scale = metricScale(metric);
  const maxK = (1 << exBits) - 1;
  return {
    paddedDim,
    exBits,
    encode(rotated: Float64Array, centroid: Float32Array): EntryCode {
      coder.encode(rotated, centroid, stats);
      const ss = stats[0];
      const norm = Math.sqrt(ss);
      factors[FACTOR_ADD] = metric === "euclidean_squared" ? ss : -stats[5];
      if (norm === 0) {
        // x equals its centroid: every estimate is exact with zero rescale; codes are arbitrary.
        factors[FACTOR_RESCALE_1] = 0;
        factors[FACTOR_ERROR_1] = 0;
        factors[FACTOR_RESCALE_EX] = 0;
        factors[FACTOR_POPCOUNT] = 0;
        factors[FACTOR_SUM_U] = exBits > 0 ? maxK * paddedDim : 0;
        code1.fill(0);
        ex.fill(0xff);
        return { code1, ex, factors };
      }
      const sumAbs = stats[1];
      const pop = stats[2];
      const ip1 = sumAbs / 2; // ⟨y1, o⟩ with y1_i = ±½
      const cos1 = sumAbs / Math.sqrt(paddedDim);
      factors[FACTOR_RESCALE_1] = (scale * norm) / ip1;
      factors[FACTOR_ERROR_1] =
        (Math.abs(scale) * norm * Math.sqrt(Math.max(0, 1 / (cos1 * cos1) - 1))) / Math.sqrt(paddedDim - 1);
      factors[FACTOR_POPCOUNT] = pop;
      if (exBits === 0) {
        factors[FACTOR_RESCALE_EX] = factors[FACTOR_RESCALE_1];
        factors[FACTOR_SUM_U] = pop;
        return { code1, ex, factors };
      }
      factors[FACTOR_RESCALE_EX] = (scale * norm) / stats[3];
      factors[FACTOR_SUM_U] = (pop << exBits) + stats[4];
      return { code1, ex, factors };
    },
  };
}

interface ScaleSearch {
  (absO: Float64Array, tLo: number, tHi: number, kOut: Uint8Array): number;
  /** The scale t chosen by the last call. */
  bestT: number;
}

/**
 * Exact maximisation of cos(y(t), o) over t in [tLo, tHi]: starts from the codes at tLo and walks
 * the breakpoints in increasing t with a binary heap, keeping numerator Σ(k+½)|o| and denominator
 * Σ(k+½)² incrementally. Writes the best k into kOut and returns ⟨y, o⟩ = Σ(k_i+½)|o_i| for it.
 */
function createScaleSearch(dim: number, exBits: number): ScaleSearch {
  const maxK = (1 << exBits) - 1;
  const heapT = new Float64Array(dim);
  const heapI = new Int32Array(dim);
  const run = ((a: Float64Array, tLo: number, tHi: number, kOut: Uint8Array): number => {
    let size = 0;
    const push = (t: number, i: number): void => {
      let p = size++;
      while (p > 0) {
        const parent = (p - 1) >> 1;
        if (heapT[parent] <= t) break;
        heapT[p] = heapT[parent];
        heapI[p] = heapI[parent];
        p = parent;
      }
      heapT[p] = t;
      heapI[p] = i;
    };
    const pop = (): void => {
      const t = heapT[--size];
      const i = heapI[size];
      let p = 0;
      for (;;) {
        let c = 2 * p + 1;
        if (c >= size) break;
        if (c + 1 < size && heapT[c + 1] < heapT[c]) c++;
        if (heapT[c] >= t) break;
        heapT[p] = heapT[c];
        heapI[p] = heapI[c];
        p = c;
      }
      heapT[p] = t;
      heapI[p] = i;
    };
    let num = 0;
    let den = 0;
    for (let i = 0; i < dim; i++) {
      const ki = Math.min(Math.floor(tLo * a[i]), maxK);
      kOut[i] = ki;
      num += (ki + 0.5) * a[i];
      den += (ki + 0.5) * (ki + 0.5);
      if (ki < maxK && a[i] > 0) {
        const t = (ki + 1) / a[i];
        if (t <= tHi) push(t, i);
      }
    }
    let best = num / Math.sqrt(den);
    let bestT = tLo;
    while (size > 0) {
      const t = heapT[0];
      const i = heapI[0];
      pop();
      const ki = ++kOut[i];
      num += a[i];
      den += 2 * ki; // (k+½)² − (k−½)²
      const v = num / Math.sqrt(den);
      // the state just reached holds for t in [this breakpoint, next breakpoint)
      if (v > best) {
        best = v;
        bestT = size > 0 ? (t + Math.min(heapT[0], tHi * 2)) / 2 : t * 1.0000001;
      }
      if (ki < maxK) {
        const tn = (ki + 1) / a[i];
        if (tn <= tHi) push(tn, i);
      }
    }
    let ip = 0;
    for (let i = 0; i < dim; i++) {
      const ki = Math.min(Math.floor(bestT * a[i]), maxK);
      kOut[i] = ki;
      ip += (ki + 0.5) * a[i];
    }
    run.bestT = bestT;
    return ip;
  }) as ScaleSearch;
  run.bestT = 0;
  return run;
}

const typicalScales = new Map<string, number>();

/**
 * Median optimal scale t over seeded random unit vectors (rotated residuals are close to uniform
 * on the sphere), found by an unwindowed search. Computed once per (dimension, bits) and cached.
 */
export function typicalScale(dim: number, exBits: number): number {
  const key = `${dim}:${exBits}`;
  const cached = typicalScales.get(key);
  if (cached !== undefined) return cached;
  const rng = createRng(0x5eed ^ (dim * 31 + exBits));
  const search = createScaleSearch(dim, exBits);
  const a = new Float64Array(dim);
  const k = new Uint8Array(dim);
  const samples = exBits >= 6 ? 9 : 25;
  const ts: number[] = [];
  for (let s = 0; s < samples; s++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) {
      a[i] = rng.nextGaussian();
      ss += a[i] * a[i];
    }
    const inv = 1 / Math.sqrt(ss);
    for (let i = 0; i < dim; i++) a[i] = Math.abs(a[i]) * inv;
    search(a, 0, 2 * (1 << exBits) * Math.sqrt(dim), k);
    ts.push(search.bestT);
  }
  ts.sort((x, y) => x - y);
  const t = ts[ts.length >> 1];
  typicalScales.set(key, t);
  return t;
}
