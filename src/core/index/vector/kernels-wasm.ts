/**
 * The WebAssembly SIMD implementation of VectorKernels over a precompiled module (kernels.wasm,
 * built from assembly/kernels.ts). Owns instance memory layout and the copies in and out; the
 * arithmetic contract is in kernels.ts. Takes a WebAssembly.Module because Workers refuse to
 * compile Wasm at run time: workerd imports the .wasm as a module, Node compiles the same bytes.
 */

import type { F32Matrix, RabitqCoder, RotationKernel, VectorKernels } from "./kernels.ts";

interface KernelExports {
  memory: WebAssembly.Memory;
  binaryDot4(codes: number, count: number, codeBytes: number, planes: number, out: number): void;
  codeDotU8(codes1: number, ex: number, n: number, exBits: number, codeBytes: number, qPlanes: number, out: number): void;
  l2Rows(mat: number, rows: number, dim: number, q: number, out: number): void;
  l2Rows4(mat: number, rows: number, dim: number, qs: number, out: number): void;
  dotRows(mat: number, rows: number, dim: number, q: number, out: number): void;
  rotate(x: number, n: number, P: number, h: number, mult: number, rounds: number, scale: number): void;
  rabitqCode(
    x: number,
    cen: number,
    r: number,
    P: number,
    exBits: number,
    grid: number,
    absO: number,
    code1: number,
    ex: number,
    stats: number,
  ): void;
  quantizeRows(
    src: number,
    count: number,
    dim: number,
    dimPad: number,
    R: number,
    wide: number,
    dst: number,
    stats: number,
    statRows: number,
  ): void;
  dotI8Rows4(qmat: number, rows: number, dimPad: number, qq: number, out: number): void;
  dotI8Rows(qmat: number, rows: number, dimPad: number, qq: number, out: number): void;
  nearestRow(
    mat: number,
    rows: number,
    dim: number,
    q: number,
    qStats: number,
    statRows: number,
    rowStats: number,
    dots: number,
    bound: number,
  ): number;
}

/** Everything below this offset is left to the module's own (empty) static data. */
const HEAP_START = 65536;
const PAGE_BYTES = 65536;

function align16(n: number): number {
  return (n + 15) & ~15;
}

class Arena {
  readonly ex: KernelExports;
  constructor(module: WebAssembly.Module) {
    this.ex = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
  }
  /** Makes [HEAP_START, HEAP_START + bytes) addressable and returns the memory buffer. */
  reserve(bytes: number): ArrayBuffer {
    const need = HEAP_START + bytes;
    const have = this.ex.memory.buffer.byteLength;
    if (need > have) this.ex.memory.grow(Math.ceil((need - have) / PAGE_BYTES));
    return this.ex.memory.buffer;
  }
}

export function createWasmKernels(module: WebAssembly.Module): VectorKernels {
  const scratch = new Arena(module);
  return {
    kind: "wasm",
    binaryDot4(codes, count, codeBytes, planes4, out) {
      const codesLen = count * codeBytes;
      const pPlanes = HEAP_START + align16(codesLen);
      const pOut = pPlanes + 4 * codeBytes;
      const buf = scratch.reserve(pOut + count * 4 - HEAP_START);
      const mem = new Uint8Array(buf);
      mem.set(codes.subarray(0, codesLen), HEAP_START);
      mem.set(planes4.subarray(0, 4 * codeBytes), pPlanes);
      scratch.ex.binaryDot4(HEAP_START, count, codeBytes, pPlanes, pOut);
      out.set(new Int32Array(buf, pOut, count));
    },
    codeDotU8(codes1, ex, exBits, codeBytes, entries, n, _q8, q8Planes, out) {
      const exBytes = exBits * codeBytes;
      const pEx = HEAP_START + n * codeBytes;
      const pPlanes = pEx + n * exBytes;
      const pOut = pPlanes + 8 * codeBytes;
      const buf = scratch.reserve(pOut + n * 4 - HEAP_START);
      const mem = new Uint8Array(buf);
      for (let j = 0; j < n; j++) {
        const e = entries[j];
        mem.set(codes1.subarray(e * codeBytes, (e + 1) * codeBytes), HEAP_START + j * codeBytes);
        if (exBytes > 0) mem.set(ex.subarray(e * exBytes, (e + 1) * exBytes), pEx + j * exBytes);
      }
      mem.set(q8Planes.subarray(0, 8 * codeBytes), pPlanes);
      scratch.ex.codeDotU8(HEAP_START, pEx, n, exBits, codeBytes, pPlanes, pOut);
      out.set(new Int32Array(buf, pOut, n));
    },
    createMatrix(data, rows, dim) {
      return createWasmMatrix(module, data, rows, dim);
    },
    createRotation(mult, paddedDim, h, scale) {
      return createWasmRotation(module, mult, paddedDim, h, scale);
    },
    createRabitqCoder(paddedDim, exBits, grid) {
      return createWasmRabitqCoder(module, paddedDim, exBits, grid);
    },
  };
}

/** A rotation's multiplier table resident in its own instance; each call copies v in and out. */
function createWasmRotation(module: WebAssembly.Module, mult: Float64Array, P: number, h: number, scale: number): RotationKernel {
  const arena = new Arena(module);
  const pMult = HEAP_START + align16(8 * P);
  const buf = arena.reserve(pMult + 8 * mult.length - HEAP_START);
  const x = new Float64Array(buf, HEAP_START, P);
  new Float64Array(buf, pMult, mult.length).set(mult);
  const rounds = mult.length / P;
  return {
    rotate(v, out) {
      const n = Math.min(v.length, P);
      if (n === v.length) x.set(v);
      else for (let i = 0; i < n; i++) x[i] = v[i];
      x.fill(0, n);
      arena.ex.rotate(HEAP_START, n, P, h, pMult, rounds, scale);
      out.set(x);
      return out;
    },
  };
}

/** RaBitQ code buffers in their own instance: code1 and ex are views of its memory (it never grows). */
function createWasmRabitqCoder(module: WebAssembly.Module, P: number, exBits: number, grid: Float64Array): RabitqCoder {
  const arena = new Arena(module);
  const codeBytes = P >> 3;
  const pX = HEAP_START;
  const pC = pX + 8 * P;
  const pR = pC + 4 * P;
  const pAbs = pR + 8 * P;
  const pCode1 = pAbs + 8 * P;
  const pEx = pCode1 + align16(codeBytes);
  const pGrid = pEx + align16(exBits * codeBytes);
  const pStats = pGrid + 8 * grid.length;
  const buf = arena.reserve(pStats + 8 * 6 - HEAP_START);
  const x = new Float64Array(buf, pX, P);
  const c = new Float32Array(buf, pC, P);
  new Float64Array(buf, pGrid, grid.length).set(grid);
  const stats = new Float64Array(buf, pStats, 6);
  return {
    code1: new Uint8Array(buf, pCode1, codeBytes),
    ex: new Uint8Array(buf, pEx, exBits * codeBytes),
    encode(rotated, centroid, out) {
      x.set(rotated.subarray(0, P));
      c.set(centroid.subarray(0, P));
      arena.ex.rabitqCode(pX, pC, pR, P, exBits, pGrid, pAbs, pCode1, pEx, pStats);
      out.set(stats);
    },
  };
}

/** Queries l2Rows4 takes per call. */
const BATCH = 4;

/** A matrix resident in its own instance's memory, so repeated batches copy only the queries. */
function createWasmMatrix(module: WebAssembly.Module, data: Float32Array, rows: number, dim: number): F32Matrix {
  const arena = new Arena(module);
  const matBytes = rows * dim * 4;
  const pQuery = HEAP_START + align16(matBytes);
  const pOut = pQuery + align16(BATCH * dim * 4);
  // nearest()'s int8 copy of the rows (a quarter of the matrix) and its scratch, reserved on its
  // first call; queries are int16 with the finest range that keeps the int32 dot products exact
  // (dimPad·127·R < 2³¹), at most 2047
  const dimPad = (dim + 7) & ~7;
  const range = Math.min(2047, Math.floor((2 ** 31 - 1) / (127 * dimPad)));
  const pQmat = align16(pOut + BATCH * rows * 4);
  const pRowStats = align16(pQmat + rows * dimPad);
  const pQq = align16(pRowStats + 32 * rows + 24);
  const pQStats = pQq + 2 * BATCH * dimPad;
  const pDots = pQStats + 32 * BATCH;
  const pBound = align16(pDots + 4 * BATCH * rows);
  const end = pBound + 8 * (rows + 1);
  let buf = arena.reserve(pOut + BATCH * rows * 4 - HEAP_START);
  new Float32Array(buf, HEAP_START, rows * dim).set(data.subarray(0, rows * dim));
  let mat!: Float32Array, q!: Float32Array, qs!: Float32Array, res!: Float32Array, res4!: Float32Array;
  const views = (): void => {
    mat = new Float32Array(buf, HEAP_START, rows * dim);
    q = new Float32Array(buf, pQuery, dim);
    qs = new Float32Array(buf, pQuery, BATCH * dim);
    res = new Float32Array(buf, pOut, rows);
    res4 = new Float32Array(buf, pOut, BATCH * rows);
  };
  views();
  let quantized = false;
  const quantize = (): void => {
    buf = arena.reserve(end - HEAP_START);
    views();
    arena.ex.quantizeRows(HEAP_START, rows, dim, dimPad, 127, 0, pQmat, pRowStats, rows);
    // the maxima of ‖c‖², ‖c‖ and ‖c − ĉ‖ after the stats (NaN when a row is not finite)
    const st = new Float64Array(buf, pRowStats, 4 * rows + 3);
    [0, 2, 3].forEach((col, k) => {
      st[4 * rows + k] = st.subarray(col * rows, (col + 1) * rows).reduce((m, v) => Math.max(m, v), 0);
    });
    quantized = true;
  };
  return {
    rows,
    dim,
    l2(query, out) {
      q.set(query.subarray(0, dim));
      arena.ex.l2Rows(HEAP_START, rows, dim, pQuery, pOut);
      out.set(res);
    },
    l2Batch(queries, count, out) {
      let k = 0;
      for (; k + BATCH <= count; k += BATCH) {
        qs.set(queries.subarray(k * dim, (k + BATCH) * dim));
        arena.ex.l2Rows4(HEAP_START, rows, dim, pQuery, pOut);
        out.set(res4, k * rows);
      }
      for (; k < count; k++) {
        q.set(queries.subarray(k * dim, (k + 1) * dim));
        arena.ex.l2Rows(HEAP_START, rows, dim, pQuery, pOut);
        out.set(res, k * rows);
      }
    },
    nearest(queries, count, out) {
      if (!quantized) quantize();
      const ex = arena.ex;
      for (let k = 0; k < count; ) {
        const n = Math.min(BATCH, count - k);
        qs.set(queries.subarray(k * dim, (k + n) * dim));
        ex.quantizeRows(pQuery, n, dim, dimPad, range, 1, pQq, pQStats, BATCH);
        if (n === BATCH) ex.dotI8Rows4(pQmat, rows, dimPad, pQq, pDots);
        else for (let j = 0; j < n; j++) ex.dotI8Rows(pQmat, rows, dimPad, pQq + 2 * j * dimPad, pDots + 4 * j * rows);
        for (let j = 0; j < n; j++) {
          const pq = pQuery + 4 * j * dim;
          out[k + j] = ex.nearestRow(HEAP_START, rows, dim, pq, pQStats + 8 * j, BATCH, pRowStats, pDots + 4 * j * rows, pBound);
        }
        k += n;
      }
    },
    dot(query, out) {
      q.set(query.subarray(0, dim));
      arena.ex.dotRows(HEAP_START, rows, dim, pQuery, pOut);
      out.set(res);
    },
    row: (r) => mat.subarray(r * dim, (r + 1) * dim),
  };
}
