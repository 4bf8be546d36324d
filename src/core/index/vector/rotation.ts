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

import type { VectorKernels } from "./kernels.ts";
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

/** The rotation of (dim, seed), its transform run by `kernels` (every kernel gives the same bits). */
export function createRotator(dim: number, seed: number, kernels: VectorKernels): Rotator {
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
  const kernel = kernels.createRotation(mult, paddedDim, h, scale);
  return { dim, paddedDim, seed, rotate: (v, out) => kernel.rotate(v, out) };
}
