import { describe, expect, it } from "vitest";
import type { VectorMetric } from "../../../src/core/index/vector/distance.ts";
import { tsKernels } from "../../../src/core/index/vector/kernels.ts";
import { createRotator } from "../../../src/core/index/vector/rotation.ts";
import { createRng } from "../../../src/core/index/vector/seeded-rng.ts";
import { vectorKernels } from "../../../src/wasm/vector-kernels.ts";
import { estimateAll as estimateWith, gaussian as gaussianWith } from "../../helpers/rabitq-estimates.ts";

const DIM = 200; // padded to 256: exercises the non-power-of-two rotation path
const estimateAll = (...a: Parameters<typeof estimateWith> extends [number, ...infer R] ? R : never) => estimateWith(DIM, ...a);
const gaussian = (rng: ReturnType<typeof createRng>, metric: VectorMetric, shift = 0) => gaussianWith(rng, DIM, metric, shift);

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};

describe("RaBitQ estimator", () => {
  for (const metric of ["euclidean_squared", "dot_product", "cosine"] as const) {
    it(`is unbiased over random rotations (${metric})`, () => {
      const rng = createRng(5);
      const c = gaussian(rng, metric, 0.3);
      const data = Array.from({ length: 8 }, () => gaussian(rng, metric, 0.3));
      const q = gaussian(rng, metric, 0.3);
      const err1: number[][] = data.map(() => []);
      const errX: number[][] = data.map(() => []);
      let truth: number[] = [];
      for (let s = 0; s < 400; s++) {
        const est = estimateAll(data, c, q, metric, 4, 1000 + s);
        truth = est.truth;
        est.est1.forEach((v, i) => err1[i].push(v - est.truth[i]));
        est.estEx.forEach((v, i) => errX[i].push(v - est.truth[i]));
      }
      for (let i = 0; i < data.length; i++) {
        // mean error within 4 standard errors of zero (and small against the distance itself)
        expect(Math.abs(mean(err1[i]))).toBeLessThan((4 * std(err1[i])) / Math.sqrt(400) + 1e-9);
        expect(Math.abs(mean(errX[i]))).toBeLessThan((4 * std(errX[i])) / Math.sqrt(400) + 1e-9);
        expect(std(errX[i])).toBeLessThan(std(err1[i]));
      }
      expect(truth.length).toBe(8);
    });
  }

  it("keeps the true distance inside the 1-bit error bound for ≥ 99 % of entries", () => {
    for (const metric of ["euclidean_squared", "dot_product", "cosine"] as const) {
      const rng = createRng(17);
      let inside = 0;
      let total = 0;
      for (let cl = 0; cl < 6; cl++) {
        const c = gaussian(rng, metric, 0.2);
        const data = Array.from({ length: 300 }, () => gaussian(rng, metric, 0.2));
        for (let qi = 0; qi < 5; qi++) {
          const est = estimateAll(data, c, gaussian(rng, metric, 0.2), metric, 0, 77 + cl * 10 + qi);
          for (let e = 0; e < data.length; e++) {
            total++;
            if (Math.abs(est.est1[e] - est.truth[e]) <= est.bound1[e]) inside++;
          }
        }
      }
      expect(inside / total, metric).toBeGreaterThanOrEqual(0.99);
    }
  });

  it("shrinks the error with more extra bits (≈ halving per bit)", () => {
    const rng = createRng(23);
    const c = gaussian(rng, "euclidean_squared");
    const data = Array.from({ length: 400 }, () => gaussian(rng, "euclidean_squared"));
    const q = gaussian(rng, "euclidean_squared");
    const rel: number[] = [];
    for (const bits of [0, 2, 4, 6, 8]) {
      const est = estimateAll(data, c, q, "euclidean_squared", bits, 3);
      rel.push(std(est.estEx.map((v, i) => (v - est.truth[i]) / est.truth[i])));
    }
    // up to 6 extra bits the code dominates the error; at 8 the 8-bit query rounding does
    for (let i = 1; i < rel.length - 1; i++) expect(rel[i]).toBeLessThan(rel[i - 1] * 0.6);
    expect(rel[rel.length - 1]).toBeLessThanOrEqual(rel[rel.length - 2] * 1.05);
    expect(rel[rel.length - 1]).toBeLessThan(0.002);
  });
});

describe("rotation", () => {
  for (const dim of [64, 128, 200, 768, 1000]) {
    it(`is orthogonal and deterministic at dim ${dim}`, () => {
      const rng = createRng(dim);
      const a = Float64Array.from({ length: dim }, () => rng.nextGaussian());
      const b = Float64Array.from({ length: dim }, () => rng.nextGaussian());
      const rot = createRotator(dim, 99, tsKernels);
      const ra = rot.rotate(a, new Float64Array(rot.paddedDim));
      const rb = rot.rotate(b, new Float64Array(rot.paddedDim));
      let dotA = 0;
      let dotR = 0;
      let nA = 0;
      let nR = 0;
      for (let i = 0; i < dim; i++) {
        dotA += a[i] * b[i];
        nA += a[i] * a[i];
      }
      for (let i = 0; i < rot.paddedDim; i++) {
        dotR += ra[i] * rb[i];
        nR += ra[i] * ra[i];
      }
      expect(nR).toBeCloseTo(nA, 6);
      expect(dotR).toBeCloseTo(dotA, 6);
      expect(Array.from(createRotator(dim, 99, tsKernels).rotate(a, new Float64Array(rot.paddedDim)))).toEqual(Array.from(ra));
      // a basis vector spreads over all coordinates (no coordinate keeps most of the mass)
      const e1 = new Float64Array(dim);
      e1[dim - 1] = 1;
      const re = rot.rotate(e1, new Float64Array(rot.paddedDim));
      let maxSq = 0;
      for (let i = 0; i < rot.paddedDim; i++) maxSq = Math.max(maxSq, re[i] * re[i]);
      expect(maxSq).toBeLessThan(0.1);
    });
  }

  /** The rotation as the paper's construction states it: per round, signs then a normalised radix-2 FWHT. */
  function referenceRotate(v: ArrayLike<number>, dim: number, seed: number): Float64Array {
    const P = Math.ceil(dim / 128) * 128;
    let h = 1;
    while (h * 2 <= P) h *= 2;
    const rng = createRng(seed);
    const signs = Array.from({ length: 4 * P }, () => (rng.nextU32() & 1 ? -1 : 1));
    const x = new Float64Array(P);
    for (let i = 0; i < dim; i++) x[i] = v[i];
    for (let r = 0; r < 4; r++) {
      for (let i = 0; i < P; i++) x[i] *= signs[r * P + i];
      const off = r % 2 === 0 ? 0 : P - h;
      for (let len = 1; len < h; len <<= 1) {
        for (let i = off; i < off + h; i += 2 * len) {
          for (let j = i; j < i + len; j++) {
            const a = x[j];
            const b = x[j + len];
            x[j] = a + b;
            x[j + len] = a - b;
          }
        }
      }
      for (let i = off; i < off + h; i++) x[i] *= 1 / Math.sqrt(h);
    }
    return x;
  }

  it.each([64, 128, 200, 384, 768, 1000, 1536])("equals the plain construction bit for bit at dim %i with either kernels (fused passes change no result)", (dim) => {
    const rng = createRng(dim + 1);
    for (const kernels of [tsKernels, vectorKernels()]) {
      const rot = createRotator(dim, 5, kernels);
      for (let k = 0; k < 20; k++) {
        const v = Float64Array.from({ length: dim }, () => rng.nextGaussian());
        expect(Array.from(rot.rotate(v, new Float64Array(rot.paddedDim)))).toEqual(Array.from(referenceRotate(v, dim, 5)));
      }
    }
  });
});

