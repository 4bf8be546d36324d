/**
 * The plain-TS reference of the write-path kernels: the rotation transform and RaBitQ's
 * per-dimension code loops. Owns their float64 operation order, which assembly/kernels.ts repeats
 * bit for bit; not the rotation's construction (rotation.ts) nor the factors (rabitq-encoder.ts).
 */

import type { RabitqCoder, RotationKernel } from "./kernels.ts";

/** Scales a RaBitQ coder tries per vector (the Wasm kernel keeps one in each f64x2 lane). */
const RABITQ_SCALES = 8;

export function createTsRotation(mult: Float64Array, paddedDim: number, h: number, scale: number): RotationKernel {
  const rounds = mult.length / paddedDim;
  const blockOf = (r: number) => (r % 2 === 0 ? 0 : paddedDim - h);
  const last = blockOf(rounds - 1);
  return {
    rotate(v, out) {
      const n = Math.min(v.length, paddedDim);
      for (let i = 0; i < n; i++) out[i] = v[i] * mult[i];
      out.fill(0, n, paddedDim);
      for (let r = 0; r < rounds; r++) {
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

export function createTsRabitqCoder(paddedDim: number, exBits: number, grid: Float64Array): RabitqCoder {
  const codeBytes = paddedDim >> 3;
  const code1 = new Uint8Array(codeBytes);
  const ex = new Uint8Array(codeBytes * exBits);
  const r = new Float64Array(paddedDim);
  const absO = new Float64Array(paddedDim);
  const k = new Uint8Array(paddedDim);
  const maxK = (1 << exBits) - 1;
  return {
    code1,
    ex,
    encode(x, c, stats) {
      let cr = 0;
      let ss = 0;
      for (let i = 0; i < paddedDim; i++) {
        r[i] = x[i] - c[i];
        cr += c[i] * r[i];
        ss += r[i] * r[i];
      }
      stats[5] = cr;
      stats[0] = ss;
      if (ss === 0) return;
      const norm = Math.sqrt(ss);
      code1.fill(0);
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
      stats[1] = sumAbs;
      stats[2] = pop;
      if (exBits === 0) return;
      stats[3] = gridScale(absO, paddedDim, maxK, grid, k);
      // Ex code of dimension i: k_i for a positive sign, its complement for a negative one. Bit
      // planes are packed one plane and byte at a time with a local accumulator (typed-array
      // read-modify-write per bit cost more than the whole scale search).
      let sumE = 0;
      for (let i = 0; i < paddedDim; i++) {
        const e = (code1[i >> 3] >> (i & 7)) & 1 ? k[i] : maxK - k[i];
        k[i] = e;
        sumE += e;
      }
      stats[4] = sumE;
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
    },
  };
}

/** Picks the best grid scale (cos(y, o) largest, the first on ties), writes its k and returns ⟨y, o⟩. */
function gridScale(a: Float64Array, dim: number, maxK: number, grid: Float64Array, kOut: Uint8Array): number {
  let best = 0;
  let bestV = -1;
  let bestNum = 0;
  // One grid point per pass keeps both sums in registers; each sum still adds over i in order.
  for (let j = 0; j < RABITQ_SCALES; j++) {
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
