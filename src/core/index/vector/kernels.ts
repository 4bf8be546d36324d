/**
 * The hot loops of the vector index behind one interface, and their plain-TS reference version.
 * Owns the arithmetic contract both implementations meet bit for bit (kernels-wasm.ts is the fast
 * one): integer kernels return exact integers, f32 kernels accumulate in 4 lanes in a fixed
 * order, each product and sum rounded to float32, and the float64 write-path kernels
 * (encode-kernels.ts) do the same operations in the same order, so Wasm SIMD and TS agree exactly.
 */

import { createTsRabitqCoder, createTsRotation } from "./encode-kernels.ts";

export interface F32Matrix {
  readonly rows: number;
  readonly dim: number;
  /** out[r] = ‖row_r − q‖² (float32 lane order) for r in [0, rows). */
  l2(query: Float32Array, out: Float32Array): void;
  /**
   * l2 for `count` queries at once (queries: count × dim): out[k·rows + r] = ‖row_r − q_k‖², each
   * value equal to what l2 gives. Faster per query: one pass over the rows serves several queries.
   */
  l2Batch(queries: Float32Array, count: number, out: Float32Array): void;
  /**
   * out[k] = the first r with the smallest l2 value ‖row_r − q_k‖² for `count` queries (count × dim):
   * the answer of l2Batch followed by a first-minimum scan. The Wasm matrix skips the rows that a
   * rigorous bound proves farther (assembly/kernels.ts), so it computes about one f32 distance each.
   */
  nearest(queries: Float32Array, count: number, out: Int32Array): void;
  /** out[r] = ⟨row_r, q⟩ (float32 lane order). */
  dot(query: Float32Array, out: Float32Array): void;
  /** A read-only view of one row (a later nearest() call may move it: copy what you keep). */
  row(r: number): Float32Array;
}

/** A rotation with its multiplier table resident (rotation.ts builds the table). */
export interface RotationKernel {
  /**
   * out[0, P) = v zero-padded to P = paddedDim; then per round r (mult holds rounds × P values):
   * out ·= mult_r (round 0: out = v·mult_0), then the unnormalised Walsh–Hadamard transform of
   * out[off_r, off_r + h), off_r = 0 for even r and P − h for odd r; finally that last block ·= scale.
   */
  rotate(v: ArrayLike<number>, out: Float64Array): Float64Array;
}

/** RaBitQ's per-dimension code loops for one (paddedDim, exBits, scales), with resident buffers. */
export interface RabitqCoder {
  /** The last encode's sign-bit code (paddedDim/8 bytes) and exBits bit planes; overwritten by the next. */
  readonly code1: Uint8Array;
  readonly ex: Uint8Array;
  /**
   * Codes the residual r = x − c of a rotated vector x from its centroid c (paddedDim values each,
   * r in float64). stats[5] = Σ c_i·r_i and stats[0] = Σ r_i²; when that is 0 nothing else is
   * written. Else, with o = r/‖r‖: code1 bit i = (o_i > 0), stats[1] = Σ|o_i|, stats[2] =
   * popcount(code1); with exBits > 0, of the 8 scales t the one maximising cos(y, |o|) with
   * y_i = min(⌊t·|o_i|⌋, 2^exBits − 1) + ½ (first on ties), stats[3] = Σ y_i·|o_i| at it, ex holds
   * e_i = k_i (o_i > 0) or 2^exBits − 1 − k_i, and stats[4] = Σ e_i. Sums add over i in order.
   */
  encode(x: Float64Array, c: Float32Array, stats: Float64Array): void;
}

export interface VectorKernels {
  readonly kind: "ts" | "wasm";
  /**
   * 1-bit code × 4-bit query: out[e] = Σ_{k<4} 2^k·popcount(code_e AND plane_k) for e < count.
   * codes holds `count` codes of codeBytes each (codeBytes % 16 == 0, 4-byte aligned), planes4 the
   * query's 4 bit planes of codeBytes each.
   */
  binaryDot4(codes: Uint8Array, count: number, codeBytes: number, planes4: Uint8Array, out: Int32Array): void;
  /**
   * Full code × 8-bit query for the entries listed in `entries[0..n)`: out[j] = Σ_i u_i·q8_i with
   * u_i = 2^exBits·bit_i(code1) + Σ_b 2^b·bit_i(exPlane_b). q8 holds the query values (one byte per
   * padded dimension) and q8Planes the same values as 8 bit planes (the Wasm kernel uses those).
   */
  codeDotU8(
    codes1: Uint8Array,
    ex: Uint8Array,
    exBits: number,
    codeBytes: number,
    entries: Int32Array,
    n: number,
    q8: Uint8Array,
    q8Planes: Uint8Array,
    out: Int32Array,
  ): void;
  /** Makes a matrix resident for repeated f32 distance batches (the centroids, a k-means sample). */
  createMatrix(data: Float32Array, rows: number, dim: number): F32Matrix;
  /** See RotationKernel; h is a power of two with P/2 ≤ h ≤ P. */
  createRotation(mult: Float64Array, paddedDim: number, h: number, scale: number): RotationKernel;
  /** See RabitqCoder; grid holds the 8 scales (unused when exBits is 0). */
  createRabitqCoder(paddedDim: number, exBits: number, grid: Float64Array): RabitqCoder;
}

function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function words(bytes: Uint8Array): Int32Array {
  if (bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  return new Int32Array(bytes.slice().buffer);
}

const fr = Math.fround;

/** Float32 ‖a − b‖² over `dim` values at the given offsets, in the Wasm kernel's lane order. */
export function l2F32(a: Float32Array, aOff: number, b: Float32Array, bOff: number, dim: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  const dim4 = dim & ~3;
  let i = 0;
  for (; i < dim4; i += 4) {
    const d0 = fr(a[aOff + i] - b[bOff + i]);
    const d1 = fr(a[aOff + i + 1] - b[bOff + i + 1]);
    const d2 = fr(a[aOff + i + 2] - b[bOff + i + 2]);
    const d3 = fr(a[aOff + i + 3] - b[bOff + i + 3]);
    a0 = fr(a0 + fr(d0 * d0));
    a1 = fr(a1 + fr(d1 * d1));
    a2 = fr(a2 + fr(d2 * d2));
    a3 = fr(a3 + fr(d3 * d3));
  }
  for (; i < dim; i++) {
    const d = fr(a[aOff + i] - b[bOff + i]);
    const p = fr(d * d);
    const lane = i & 3;
    if (lane === 0) a0 = fr(a0 + p);
    else if (lane === 1) a1 = fr(a1 + p);
    else if (lane === 2) a2 = fr(a2 + p);
    else a3 = fr(a3 + p);
  }
  return fr(fr(a0 + a1) + fr(a2 + a3));
}

/** Float32 ⟨a, b⟩ in the Wasm kernel's lane order. */
export function dotF32(a: Float32Array, aOff: number, b: Float32Array, bOff: number, dim: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  const dim4 = dim & ~3;
  let i = 0;
  for (; i < dim4; i += 4) {
    a0 = fr(a0 + fr(a[aOff + i] * b[bOff + i]));
    a1 = fr(a1 + fr(a[aOff + i + 1] * b[bOff + i + 1]));
    a2 = fr(a2 + fr(a[aOff + i + 2] * b[bOff + i + 2]));
    a3 = fr(a3 + fr(a[aOff + i + 3] * b[bOff + i + 3]));
  }
  for (; i < dim; i++) {
    const p = fr(a[aOff + i] * b[bOff + i]);
    const lane = i & 3;
    if (lane === 0) a0 = fr(a0 + p);
    else if (lane === 1) a1 = fr(a1 + p);
    else if (lane === 2) a2 = fr(a2 + p);
    else a3 = fr(a3 + p);
  }
  return fr(fr(a0 + a1) + fr(a2 + a3));
}

/** Σ_i bit_i(words[wOff ..]) · q[i] over nWords 32-bit words. */
function planeDotBytes(w: Int32Array, wOff: number, nWords: number, q: Uint8Array): number {
  let s = 0;
  for (let k = 0; k < nWords; k++) {
    let x = w[wOff + k];
    const base = k << 5;
    while (x !== 0) {
      const t = x & -x;
      s += q[base + 31 - Math.clz32(t)];
      x ^= t;
    }
  }
  return s;
}

export const tsKernels: VectorKernels = {
  kind: "ts",
  binaryDot4(codes, count, codeBytes, planes4, out) {
    const c = words(codes);
    const p = words(planes4);
    const nw = codeBytes >> 2;
    for (let e = 0; e < count; e++) {
      const base = e * nw;
      let s = 0;
      for (let k = 0; k < nw; k++) {
        const x = c[base + k];
        s +=
          popcount32(x & p[k]) +
          2 * popcount32(x & p[nw + k]) +
          4 * popcount32(x & p[2 * nw + k]) +
          8 * popcount32(x & p[3 * nw + k]);
      }
      out[e] = s;
    }
  },
  codeDotU8(codes1, ex, exBits, codeBytes, entries, n, q8, _q8Planes, out) {
    const c = words(codes1);
    const x = words(ex);
    const nw = codeBytes >> 2;
    for (let j = 0; j < n; j++) {
      const e = entries[j];
      let s = planeDotBytes(c, e * nw, nw, q8) * (1 << exBits);
      const exBase = e * exBits * nw;
      for (let b = 0; b < exBits; b++) s += planeDotBytes(x, exBase + b * nw, nw, q8) * (1 << b);
      out[j] = s;
    }
  },
  createMatrix(data, rows, dim) {
    return {
      rows,
      dim,
      l2(query, out) {
        for (let r = 0; r < rows; r++) out[r] = l2F32(data, r * dim, query, 0, dim);
      },
      l2Batch(queries, count, out) {
        for (let k = 0; k < count; k++) {
          for (let r = 0; r < rows; r++) out[k * rows + r] = l2F32(data, r * dim, queries, k * dim, dim);
        }
      },
      nearest(queries, count, out) {
        for (let k = 0; k < count; k++) {
          let best = 0;
          let min = l2F32(data, 0, queries, k * dim, dim);
          for (let r = 1; r < rows; r++) {
            const d = l2F32(data, r * dim, queries, k * dim, dim);
            if (d < min) {
              min = d;
              best = r;
            }
          }
          out[k] = best;
        }
      },
      dot(query, out) {
        for (let r = 0; r < rows; r++) out[r] = dotF32(data, r * dim, query, 0, dim);
      },
      row: (r) => data.subarray(r * dim, (r + 1) * dim),
    };
  },
  createRotation: createTsRotation,
  createRabitqCoder: createTsRabitqCoder,
};
