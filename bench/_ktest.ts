import { readFileSync } from "node:fs";
import { tsKernels } from "../src/core/index/vector/kernels.ts";
import { createWasmKernels } from "../src/core/index/vector/kernels-wasm.ts";
import { createRng } from "../src/core/index/vector/seeded-rng.ts";
const mod = await WebAssembly.compile(readFileSync("src/core/index/vector/kernels.wasm"));
const wk = createWasmKernels(mod);
const rng = createRng(1);
const P = 768, cb = P / 8, n = 5000;
const codes = new Uint8Array(n * cb); for (let i = 0; i < codes.length; i++) codes[i] = rng.nextU32() & 255;
const planes = new Uint8Array(4 * cb); for (let i = 0; i < planes.length; i++) planes[i] = rng.nextU32() & 255;
const o1 = new Int32Array(n), o2 = new Int32Array(n);
for (const [name, k, o] of [["ts", tsKernels, o1], ["wasm", wk, o2]] as const) {
  k.binaryDot4(codes, n, cb, planes, o);
  const t = performance.now(); for (let r = 0; r < 20; r++) k.binaryDot4(codes, n, cb, planes, o);
  console.log(name, "binaryDot4 per entry ns", ((performance.now() - t) / 20 / n * 1e6).toFixed(1));
}
console.log("eq", o1.every((v, i) => v === o2[i]), o1[0], o1[1]);
const b = 4; const ex = new Uint8Array(n * b * cb); for (let i = 0; i < ex.length; i++) ex[i] = rng.nextU32() & 255;
const q8 = new Uint8Array(P); for (let i = 0; i < P; i++) q8[i] = rng.nextU32() & 255;
const q8p = new Uint8Array(8 * cb); for (let i = 0; i < P; i++) for (let k = 0; k < 8; k++) if ((q8[i] >> k) & 1) q8p[k * cb + (i >> 3)] |= 1 << (i & 7);
const ents = new Int32Array(1000); for (let i = 0; i < 1000; i++) ents[i] = rng.nextInt(n);
const r1 = new Int32Array(1000), r2 = new Int32Array(1000);
for (const [name, k, o] of [["ts", tsKernels, r1], ["wasm", wk, r2]] as const) {
  k.codeDotU8(codes, ex, b, cb, ents, 1000, q8, q8p, o);
  const t = performance.now(); for (let r = 0; r < 20; r++) k.codeDotU8(codes, ex, b, cb, ents, 1000, q8, q8p, o);
  console.log(name, "codeDotU8 per entry ns", ((performance.now() - t) / 20 / 1000 * 1e6).toFixed(1));
}
console.log("eq", r1.every((v, i) => v === r2[i]), r1[0]);
const rows = 4000; const m = new Float32Array(rows * P); for (let i = 0; i < m.length; i++) m[i] = rng.nextGaussian();
const q = new Float32Array(P); for (let i = 0; i < P; i++) q[i] = rng.nextGaussian();
const f1 = new Float32Array(rows), f2 = new Float32Array(rows);
for (const [name, k, o] of [["ts", tsKernels, f1], ["wasm", wk, f2]] as const) {
  const mm = k.createMatrix(m, rows, P); mm.l2(q, o);
  const t = performance.now(); for (let r = 0; r < 10; r++) mm.l2(q, o);
  console.log(name, "l2 4000x768 ms", ((performance.now() - t) / 10).toFixed(2));
}
console.log("eq", f1.every((v, i) => v === f2[i]), f1[0]);
