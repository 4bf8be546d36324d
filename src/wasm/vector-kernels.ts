/**
 * The Workers side of the Wasm loader seam: imports the precompiled kernels.wasm as a module
 * (Workers refuse to compile Wasm at run time) and wraps it once per isolate. Node benchmarks use
 * bench/load-kernels.ts instead, which compiles the same file; src/core never imports a .wasm.
 */

import { createWasmKernels } from "../core/index/vector/kernels-wasm.ts";
import type { VectorKernels } from "../core/index/vector/kernels.ts";
import kernelsModule from "../core/index/vector/kernels.wasm";

let kernels: VectorKernels | null = null;

/** The SIMD kernels of this isolate (created on first use). */
export function vectorKernels(): VectorKernels {
  kernels ??= createWasmKernels(kernelsModule);
  return kernels;
}
