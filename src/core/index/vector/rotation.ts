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
  return {
    dim,
    paddedDim,
    seed,
    rotate(v: ArrayLike<number>, out: Float64Array): Float64Array {
      const n = Math.min(v.length, paddedDim);
      for (let i = 0; i < n; i++) out[i] = v[i];
      out.fill(0, n, paddedDim);
      for (let r = 0; r < ROTATION_ROUNDS; r++) {
        const so = r * paddedDim;
        for (let i = 0; i < paddedDim; i++) out[i] *= signs[so + i];
        fwht(out, r % 2 === 0 ? 0 : paddedDim - h, h, scale);
      }
      return out;
    },
  };
}

/** In-place normalised Walsh–Hadamard transform of x[off, off + h), h a power of two. */
function fwht(x: Float64Array, off: number, h: number, scale: number): void {
  for (let len = 1; len < h; len <<= 1) {
    for (let i = off; i < off + h; i += len << 1) {
      for (let j = i; j < i + len; j++) {
        const a = x[j];
        const b = x[j + len];
        x[j] = a + b;
        x[j + len] = a - b;
      }
    }
  }
  for (let i = off; i < off + h; i++) x[i] *= scale;
}
