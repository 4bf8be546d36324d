/**
 * Seeded random orthogonal rotation in O(D) state: rounds of random sign flips followed by a
 * normalised fast Walsh–Hadamard transform. Owns the rotated ("code") space; not quantization.
 *
 * Dimensions are zero-padded to a multiple of 128 (one v128 of code bits). When the padded size P
 * is not a power of two, rounds alternate between the head block [0, h) and the tail block
 * [P − h, P), h = largest power of two ≤ P; the blocks overlap (h ≥ P/2), so after four rounds every
 * output coordinate depends on every input one. Each round is orthogonal, hence so is the whole.
 * State: 4·P random signs derived from the seed (the brief's "4·D sign bits"), never a P×P matrix.
 */

import { createRng } from "./seeded-rng.ts";

export const ROTATION_ROUNDS = 4;
export const CODE_DIM_MULTIPLE = 128;

export function paddedDimension(dim: number): number {
  return Math.ceil(dim / CODE_DIM_MULTIPLE) * CODE_DIM_MULTIPLE;
}

export interface Rotator {
  readonly dim: number;
  readonly paddedDim: number;
  readonly seed: number;
  /** Rotates `v` (length dim; missing coordinates are zero) into `out` (length paddedDim). */
  rotate(v: ArrayLike<number>, out: Float64Array): Float64Array;
}

export function createRotator(dim: number, seed: number): Rotator {
  const paddedDim = paddedDimension(dim);
  let h = 1;
  while (h * 2 <= paddedDim) h *= 2;
  const rng = createRng(seed);
  const signs = new Float64Array(ROTATION_ROUNDS * paddedDim);
  for (let i = 0; i < signs.length; i++) signs[i] = rng.nextU32() & 1 ? -1 : 1;
  const scale = 1 / Math.sqrt(h);
  const blockOf = (r: number) => (r % 2 === 0 ? 0 : paddedDim - h);
  // One multiply per coordinate per round: round r's sign times round r−1's normalisation where
  // round r−1 applied it (x·(±s) = ±(x·s) exactly, so this is bit-identical to two passes).
  const mult = new Float64Array(ROTATION_ROUNDS * paddedDim);
  for (let r = 0; r < ROTATION_ROUNDS; r++) {
    const prev = r === 0 ? -1 : blockOf(r - 1);
    for (let i = 0; i < paddedDim; i++) {
      const normalised = r > 0 && i >= prev && i < prev + h;
      mult[r * paddedDim + i] = normalised ? signs[r * paddedDim + i] * scale : signs[r * paddedDim + i];
    }
  }
  const last = blockOf(ROTATION_ROUNDS - 1);
  return {
    dim,
    paddedDim,
    seed,
    rotate(v: ArrayLike<number>, out: Float64Array): Float64Array {
      const n = Math.min(v.length, paddedDim);
      for (let i = 0; i < n; i++) out[i] = v[i] * mult[i];
      out.fill(0, n, paddedDim);
      for (let r = 0; r < ROTATION_ROUNDS; r++) {
        if (r > 0) {
          const so = r * paddedDim;
          for (let i = 0; i < paddedDim; i++) out[i] *= mult[so + i];
        }
        fwht(out, blockOf(r), h);
      }
      for (let i = last; i < last + h; i++) out[i] *= scale;
      return out;
    },
  };
}

/**
 * In-place unnormalised Walsh–Hadamard transform of x[off, off + h), h a power of two. Two
 * butterfly stages per pass (radix 4) halve the passes over memory; each output is the same sums
 * in the same order as the radix-2 transform, so results are bit-identical to it.
 */
function fwht(x: Float64Array, off: number, h: number): void {
  const end = off + h;
  let len = 1;
  for (; 2 * len < h; len <<= 2) {
    const l2 = len << 1;
    const l4 = len << 2;
    for (let i = off; i < end; i += l4) {
      for (let j = i; j < i + len; j++) {
        const a = x[j];
        const b = x[j + len];
        const c = x[j + l2];
        const d = x[j + l2 + len];
        const s0 = a + b;
        const s1 = a - b;
        const s2 = c + d;
        const s3 = c - d;
        x[j] = s0 + s2;
        x[j + len] = s1 + s3;
        x[j + l2] = s0 - s2;
        x[j + l2 + len] = s1 - s3;
      }
    }
  }
  if (len < h) {
    for (let i = off; i < end; i += len << 1) {
      for (let j = i; j < i + len; j++) {
        const a = x[j];
        const b = x[j + len];
        x[j] = a + b;
        x[j + len] = a - b;
      }
    }
  }
}
