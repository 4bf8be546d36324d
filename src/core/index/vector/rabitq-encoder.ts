/**
 * RaBitQ + Extended RaBitQ encoding of one rotated residual r' = P(x − c): the sign-bit code, the
 * `exBits` extra bits per dimension and the per-entry factors the estimator needs. Owns the code
 * construction; not the query side (rabitq-query.ts) nor the bytes of a block (cluster-block.ts).
 *
 * With B = 1 + exBits bits per dimension, dimension i gets an unsigned code u_i in [0, 2^B) whose top
 * bit is the sign bit (the 1-bit RaBitQ code) and whose low exBits bits are the "ex" code. It stands
 * for the centred value y_i = u_i − (2^B − 1)/2, i.e. ±(k_i + ½) with k_i in [0, 2^exBits). For a unit
 * residual direction o = r'/‖r'‖, Extended RaBitQ picks k_i = min(⌊t·|o_i|⌋, 2^exBits − 1) with the
 * scale t maximising cos(y, o); we search t exactly over the breakpoints (t = (k+1)/|o_i|) inside a
 * window around a per-(dimension, bits) typical value, which finds the optimum almost always.
 *
 * Estimator (both code lengths): ⟨o, q⟩ ≈ ⟨y, q⟩ / ⟨y, o⟩ for any query vector q in the rotated
 * space, unbiased for a random rotation. Every metric is written as
 *   distance(x, q) = add + base(q, c) + scale·‖r‖·⟨o, q − c⟩
 * euclidean_squared: add = ‖r‖², base = ‖q − c‖², scale = −2;
 * dot_product: add = −⟨r, c⟩, base = −⟨q, c⟩, scale = −1; cosine (unit vectors): as dot, base + 1.
 * Stored factors fold ‖r‖·scale/⟨y, o⟩ into one "rescale" per code length.
 */

import type { VectorMetric } from "./distance.ts";
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
 * fixed t0 loses only ~1e-4 of it; 8 grid points recover most of that.
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
   * Encodes the rotated residual `r` (length paddedDim) whose centroid has ⟨c', r'⟩ = cDotR.
   * Returns scratch reused by the next call; copy what you keep.
   */
  encode(r: Float64Array, cDotR: number): EntryCode;
}

export function createRabitqEncoder(paddedDim: number, exBits: number, metric: VectorMetric): RabitqEncoder {
  const codeBytes = paddedDim >> 3;
  const code1 = new Uint8Array(codeBytes);
  const ex = new Uint8Array(codeBytes * exBits);
  const factors = new Float64Array(FACTOR_COUNT);
  const absO = new Float64Array(paddedDim);
  const k = new Uint8Array(paddedDim);
  const t0 = exBits > 0 ? typicalScale(paddedDim, exBits) : 0;
  const grid = SCALE_GRID.map((g) => g * t0);
  const scale = metricScale(metric);
  const maxK = (1 << exBits) - 1;
  return {
    paddedDim,
    exBits,
    encode(r: Float64Array, cDotR: number): EntryCode {
      let ss = 0;
      for (let i = 0; i < paddedDim; i++) ss += r[i] * r[i];
      const norm = Math.sqrt(ss);
      code1.fill(0);
      ex.fill(0);
      factors[FACTOR_ADD] = metric === "euclidean_squared" ? ss : -cDotR;
      if (norm === 0) {
        // x equals its centroid: every estimate is exact with zero rescale; codes are arbitrary.
        factors[FACTOR_RESCALE_1] = 0;
        factors[FACTOR_ERROR_1] = 0;
        factors[FACTOR_RESCALE_EX] = 0;
        factors[FACTOR_POPCOUNT] = 0;
        factors[FACTOR_SUM_U] = exBits > 0 ? maxK * paddedDim : 0;
        for (let b = 0; b < exBits; b++) ex.fill(0xff, b * codeBytes, (b + 1) * codeBytes);
        return { code1, ex, factors };
      }
      let sumAbs = 0;
      let pop = 0;
      for (let i = 0; i < paddedDim; i++) {
        const o = r[i] / norm;
        absO[i] = Math.abs(o);
        sumAbs += absO[i];
        if (o > 0) {
          code1[i >> 3] |= 1 << (i & 7);
          pop++;
        }
      }
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
      const ipx = gridScale(absO, paddedDim, maxK, grid, k);
      let sumU = pop << exBits;
      // Ex code of dimension i: k_i for a positive sign, its complement for a negative one. Bit
      // planes are packed one plane and byte at a time with a local accumulator (typed-array
      // read-modify-write per bit cost more than the whole scale search).
      for (let i = 0; i < paddedDim; i++) {
        const e = (code1[i >> 3] >> (i & 7)) & 1 ? k[i] : maxK - k[i];
        k[i] = e;
        sumU += e;
      }
      for (let b = 0; b < exBits; b++) {
        const plane = b * codeBytes;
        for (let byte = 0; byte < codeBytes; byte++) {
          const i0 = byte << 3;
          ex[plane + byte] =
            ((k[i0] >> b) & 1) |
            (((k[i0 + 1] >> b) & 1) << 1) |
            (((k[i0 + 2] >> b) & 1) << 2) |
            (((k[i0 + 3] >> b) & 1) << 3) |
            (((k[i0 + 4] >> b) & 1) << 4) |
            (((k[i0 + 5] >> b) & 1) << 5) |
            (((k[i0 + 6] >> b) & 1) << 6) |
            (((k[i0 + 7] >> b) & 1) << 7);
        }
      }
      factors[FACTOR_RESCALE_EX] = (scale * norm) / ipx;
      factors[FACTOR_SUM_U] = sumU;
      return { code1, ex, factors };
    },
  };
}

/** Picks the best grid scale (cos(y, o) largest), writes its k and returns ⟨y, o⟩. */
function gridScale(a: Float64Array, dim: number, maxK: number, grid: number[], kOut: Uint8Array): number {
  let best = 0;
  let bestV = -1;
  let bestNum = 0;
  // One grid point per pass keeps both sums in registers; each sum still adds over i in order.
  for (let j = 0; j < grid.length; j++) {
    const t = grid[j];
    let num = 0;
    let den = 0;
    for (let i = 0; i < dim; i++) {
      const ai = a[i];
      let kk = Math.floor(t * ai);
      if (kk > maxK) kk = maxK;
      const y = kk + 0.5;
      num += y * ai;
      den += y * y;
    }
    const v = num / Math.sqrt(den);
    if (v > bestV) {
      bestV = v;
      best = j;
      bestNum = num;
    }
  }
  const t = grid[best];
  for (let i = 0; i < dim; i++) kOut[i] = Math.min(Math.floor(t * a[i]), maxK);
  return bestNum;
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
