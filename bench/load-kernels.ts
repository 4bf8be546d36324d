// Node side of the Wasm loader seam: compiles the same kernels.wasm that workerd imports as a
// module (Workers forbid run-time compilation; Node has no .wasm module imports).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createWasmKernels } from "../src/core/index/vector/kernels-wasm.ts";
import type { VectorKernels } from "../src/core/index/vector/kernels.ts";

export async function loadWasmKernels(): Promise<VectorKernels> {
  const path = join(import.meta.dirname, "..", "src", "core", "index", "vector", "kernels.wasm");
  return createWasmKernels(await WebAssembly.compile(readFileSync(path)));
}
