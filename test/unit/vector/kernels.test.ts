import { describe, expect, it } from "vitest";
import { tsKernels } from "../../../src/core/index/vector/kernels.ts";
import { createRng } from "../../../src/core/index/vector/seeded-rng.ts";
import { vectorKernels } from "../../../src/wasm/vector-kernels.ts";

const wasm = vectorKernels();

function randomBytes(n: number, seed: number, density = 0.5): Uint8Array {
  const rng = createRng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let k = 0; k < 8; k++) if (rng.next() < density) b |= 1 << k;
    out[i] = b;
  }
  return out;
}

function planesOf(values: Uint8Array, bits: number, codeBytes: number): Uint8Array {
  const planes = new Uint8Array(bits * codeBytes);
  for (let i = 0; i < values.length; i++) {
    for (let k = 0; k < bits; k++) if ((values[i] >> k) & 1) planes[k * codeBytes + (i >> 3)] |= 1 << (i & 7);
  }
  return planes;
}

describe("vector kernels: TS reference == Wasm SIMD", () => {
  it("loads the Wasm module in workerd", () => {
    expect(wasm.kind).toBe("wasm");
  });

  for (const P of [128, 384, 768, 1536]) {
    it(`binaryDot4 is identical at P=${P} and matches a naive count`, () => {
      const cb = P / 8;
      const n = 257;
      const codes = randomBytes(n * cb, P);
      const rng = createRng(P + 1);
      const q = new Uint8Array(P);
      for (let i = 0; i < P; i++) q[i] = rng.nextInt(16);
      const planes = planesOf(q, 4, cb);
      const a = new Int32Array(n);
      const b = new Int32Array(n);
      tsKernels.binaryDot4(codes, n, cb, planes, a);
      wasm.binaryDot4(codes, n, cb, planes, b);
      expect(Array.from(b)).toEqual(Array.from(a));
      for (const e of [0, 100, 256]) {
        let s = 0;
        for (let i = 0; i < P; i++) if ((codes[e * cb + (i >> 3)] >> (i & 7)) & 1) s += q[i];
        expect(a[e]).toBe(s);
      }
    });
  }

  for (const exBits of [0, 1, 3, 5, 8]) {
    it(`codeDotU8 is identical with exBits=${exBits} and matches Σ u·q`, () => {
      const P = 768;
      const cb = P / 8;
      const n = 64;
      const code1 = randomBytes(n * cb, 11);
      const ex = randomBytes(n * cb * exBits, 12, 0.3);
      const rng = createRng(13);
      const q8 = new Uint8Array(P);
      for (let i = 0; i < P; i++) q8[i] = rng.nextInt(256);
      const q8Planes = planesOf(q8, 8, cb);
      const entries = Int32Array.from([5, 0, 63, 17, 17, 40]);
      const a = new Int32Array(entries.length);
      const b = new Int32Array(entries.length);
      tsKernels.codeDotU8(code1, ex, exBits, cb, entries, entries.length, q8, q8Planes, a);
      wasm.codeDotU8(code1, ex, exBits, cb, entries, entries.length, q8, q8Planes, b);
      expect(Array.from(b)).toEqual(Array.from(a));
      const e = entries[2];
      let s = 0;
      for (let i = 0; i < P; i++) {
        let u = ((code1[e * cb + (i >> 3)] >> (i & 7)) & 1) << exBits;
        for (let j = 0; j < exBits; j++) u += ((ex[(e * exBits + j) * cb + (i >> 3)] >> (i & 7)) & 1) << j;
        s += u * q8[i];
      }
      expect(a[2]).toBe(s);
    });
  }

  for (const dim of [128, 768, 101]) {
    it(`f32 l2 and dot rows are bitwise identical at dim=${dim}`, () => {
      const rows = 50;
      const rng = createRng(dim);
      const m = new Float32Array(rows * dim);
      for (let i = 0; i < m.length; i++) m[i] = rng.nextGaussian();
      const q = new Float32Array(dim);
      for (let i = 0; i < dim; i++) q[i] = rng.nextGaussian();
      const tm = tsKernels.createMatrix(m, rows, dim);
      const wm = wasm.createMatrix(m, rows, dim);
      const a = new Float32Array(rows);
      const b = new Float32Array(rows);
      tm.l2(q, a);
      wm.l2(q, b);
      expect(Array.from(b)).toEqual(Array.from(a));
      tm.dot(q, a);
      wm.dot(q, b);
      expect(Array.from(b)).toEqual(Array.from(a));
      let ref = 0;
      for (let i = 0; i < dim; i++) ref += m[i] * q[i];
      expect(a[0]).toBeCloseTo(ref, 3);
      expect(Array.from(wm.row(3))).toEqual(Array.from(m.subarray(3 * dim, 4 * dim)));
    });

    it(`batched l2 equals l2 query by query, bit for bit, at dim=${dim}`, () => {
      const rows = 37;
      const rng = createRng(dim + 1);
      const m = new Float32Array(rows * dim);
      for (let i = 0; i < m.length; i++) m[i] = rng.nextGaussian();
      // 11 queries: two full Wasm batches of four and a remainder of three
      const count = 11;
      const qs = new Float32Array(count * dim);
      for (let i = 0; i < qs.length; i++) qs[i] = rng.nextGaussian();
      const one = new Float32Array(rows);
      const expected = new Float32Array(count * rows);
      const tm = tsKernels.createMatrix(m, rows, dim);
      for (let k = 0; k < count; k++) {
        tm.l2(qs.subarray(k * dim, (k + 1) * dim), one);
        expected.set(one, k * rows);
      }
      for (const matrix of [tm, wasm.createMatrix(m, rows, dim)]) {
        const out = new Float32Array(count * rows);
        matrix.l2Batch(qs, count, out);
        expect(Array.from(out)).toEqual(Array.from(expected));
      }
    });
  }

  for (const P of [128, 384, 768, 1024, 1536]) {
    it(`rotation is bitwise identical at P=${P}, from float32, float64 and short inputs`, () => {
      let h = 1;
      while (h * 2 <= P) h *= 2;
      const rng = createRng(P + 7);
      const mult = Float64Array.from({ length: 4 * P }, () => (rng.next() < 0.5 ? -1 : 1) * (rng.next() < 0.5 ? 1 : 0.0625));
      const rt = tsKernels.createRotation(mult, P, h, 1 / Math.sqrt(h));
      const rw = wasm.createRotation(mult, P, h, 1 / Math.sqrt(h));
      for (const n of [P, P - 27, 1]) {
        const f64 = Float64Array.from({ length: n }, () => rng.nextGaussian());
        for (const v of [f64, new Float32Array(f64), Array.from(f64)]) {
          const a = rt.rotate(v, new Float64Array(P).fill(7));
          const b = rw.rotate(v, new Float64Array(P).fill(7));
          expect(Array.from(b)).toEqual(Array.from(a));
        }
      }
    });
  }

  /** Residuals that exercise the code loops: Gaussian, sparse (exact zeros, ties), tiny and one-hot. */
  function residuals(P: number, seed: number): Float64Array[] {
    const rng = createRng(seed);
    const out: Float64Array[] = [];
    for (let k = 0; k < 12; k++) out.push(Float64Array.from({ length: P }, () => rng.nextGaussian() * (k + 1) * 0.01));
    out.push(Float64Array.from({ length: P }, () => (rng.next() < 0.7 ? 0 : rng.next() < 0.5 ? -1 : 1)));
    out.push(Float64Array.from({ length: P }, () => rng.nextGaussian() * 1e-160));
    const oneHot = new Float64Array(P);
    oneHot[P - 1] = -3;
    out.push(oneHot, new Float64Array(P));
    return out;
  }

  for (const P of [128, 384, 768, 1536]) {
    for (const exBits of [0, 1, 3, 5, 8]) {
      it(`RaBitQ code loops are bitwise identical at P=${P}, exBits=${exBits}`, () => {
        const grid = Float64Array.from({ length: 8 }, (_, j) => (0.85 + 0.05 * j) * Math.sqrt(P) * (1 << exBits) * 0.6);
        const ct = tsKernels.createRabitqCoder(P, exBits, grid);
        const cw = wasm.createRabitqCoder(P, exBits, grid);
        const defined = exBits > 0 ? 5 : 3;
        const rng = createRng(P + exBits);
        for (const r of residuals(P, P * 16 + exBits)) {
          // the vector x = r + c around a sparse random centroid (both kernels see the same x and c)
          const c = Float32Array.from({ length: P }, () => (rng.next() < 0.5 ? 0 : rng.nextGaussian() * 0.05));
          const x = Float64Array.from(r, (v, i) => v + c[i]);
          const st = new Float64Array(6);
          const sw = new Float64Array(6);
          ct.encode(x, c, st);
          cw.encode(x, c, sw);
          expect([sw[0], sw[5]]).toEqual([st[0], st[5]]);
          if (st[0] === 0) continue;
          expect(Array.from(sw.subarray(0, defined))).toEqual(Array.from(st.subarray(0, defined)));
          expect(Array.from(cw.code1)).toEqual(Array.from(ct.code1));
          expect(Array.from(cw.ex)).toEqual(Array.from(ct.ex));
        }
      });
    }
  }

  /** The reference answer of F32Matrix.nearest: l2Batch and a first-minimum scan. */
  function firstMinima(m: Float32Array, rows: number, dim: number, qs: Float32Array, count: number): number[] {
    const d = new Float32Array(count * rows);
    tsKernels.createMatrix(m, rows, dim).l2Batch(qs, count, d);
    return Array.from({ length: count }, (_, k) => {
      let best = 0;
      for (let r = 1; r < rows; r++) if (d[k * rows + r] < d[k * rows + best]) best = r;
      return best;
    });
  }

  function checkNearest(m: Float32Array, rows: number, dim: number, qs: Float32Array, count: number): void {
    const expected = firstMinima(m, rows, dim, qs, count);
    for (const k of [tsKernels, wasm]) {
      const out = new Int32Array(count);
      k.createMatrix(m, rows, dim).nearest(qs, count, out);
      expect(Array.from(out)).toEqual(expected);
    }
  }

  for (const [dim, rows] of [[768, 695], [128, 300], [101, 37], [7, 5], [1536, 64]]) {
    it(`nearest rows equal the first minimum of l2 at dim=${dim}, rows=${rows}`, () => {
      const rng = createRng(dim * 7 + rows);
      const m = new Float32Array(rows * dim);
      for (let i = 0; i < m.length; i++) m[i] = rng.nextGaussian();
      // 11 queries: two Wasm batches of four and three single ones; some are (near) copies of rows
      const count = 11;
      const qs = new Float32Array(count * dim);
      for (let k = 0; k < count; k++) {
        const src = rng.nextInt(rows);
        for (let i = 0; i < dim; i++) qs[k * dim + i] = k < 3 ? m[src * dim + i] : m[src * dim + i] + rng.nextGaussian() * (k < 6 ? 1e-4 : 1);
      }
      checkNearest(m, rows, dim, qs, count);
    });
  }

  it("nearest rows keep the first of exact ties and of rows too close for the quantized bound", () => {
    const dim = 128;
    const rng = createRng(3);
    const base = Float32Array.from({ length: dim }, () => rng.nextGaussian());
    const rows = 40;
    const m = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < dim; i++) {
        // rows 10 and 30 are copies; the others differ from them in one coordinate by one ulp or more
        const ulp = r % 10 === 0 ? 0 : Math.fround(base[i] * (1 + 2 ** -23 * (r % 7))) - base[i];
        m[r * dim + i] = i === r % dim ? base[i] + ulp : base[i];
      }
    }
    m.copyWithin(30 * dim, 10 * dim, 11 * dim);
    const qs = new Float32Array(6 * dim);
    for (let k = 0; k < 6; k++) for (let i = 0; i < dim; i++) qs[k * dim + i] = base[i] + (k > 2 ? rng.nextGaussian() * 1e-6 : 0);
    checkNearest(m, rows, dim, qs, 6);
  });

  it("nearest rows match the plain scan with non-finite rows or queries, zero vectors and extreme scales", () => {
    const dim = 64;
    const rows = 9;
    const rng = createRng(5);
    for (const scale of [1e-42, 1e-20, 1, 255, 1e18, 3e37]) {
      const m = Float32Array.from({ length: rows * dim }, () => rng.nextGaussian() * scale);
      m.fill(0, 2 * dim, 3 * dim);
      const qs = Float32Array.from({ length: 5 * dim }, () => rng.nextGaussian() * scale);
      qs.fill(0, 0, dim);
      qs[3 * dim + 5] = Number.POSITIVE_INFINITY;
      qs[4 * dim + 1] = Number.NaN;
      checkNearest(m, rows, dim, qs, 5);
      m[7 * dim + 3] = Number.NEGATIVE_INFINITY;
      checkNearest(m, rows, dim, qs, 5);
    }
  });
});
