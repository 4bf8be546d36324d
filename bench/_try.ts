import { readFileSync } from "node:fs";
import { createWasmKernels } from "../src/core/index/vector/kernels-wasm.ts";
import { clusteredData } from "../test/helpers/vector-data.ts";
import { trainCentroids } from "../src/core/index/vector/ivf-train.ts";
import { openCentroidIndex } from "../src/core/index/vector/centroid-list.ts";
import { createIvfEncoder, newBlockBuilder } from "../src/core/index/vector/ivf-encoder.ts";
import { decodeClusterBlock, type ClusterBlock } from "../src/core/index/vector/cluster-block.ts";
import { searchIvf } from "../src/core/index/vector/ivf-search.ts";
import { preparedDistance, prepareVector, type VectorMetric } from "../src/core/index/vector/distance.ts";
const kernels = createWasmKernels(await WebAssembly.compile(readFileSync("src/core/index/vector/kernels.wasm")));
const N = Number(process.argv[2] ?? 20000), dim = Number(process.argv[3] ?? 128), metric = (process.argv[4] ?? "euclidean_squared") as VectorMetric;
const exBitsList = (process.argv[5] ?? "0,2,3,4,5").split(",").map(Number);
const gen = clusteredData({ dim, clusters: Math.max(10, Math.round(N / 200)), seed: 42, normalize: metric === "cosine" });
const data = new Float32Array(N * dim); for (let i = 0; i < N; i++) data.set(prepareVector(gen(i), dim, metric), i * dim);
const nq = 100; const qgen = clusteredData({ dim, clusters: Math.max(10, Math.round(N / 200)), seed: 42, normalize: metric === "cosine" });
const queries: Float32Array[] = []; for (let i = 0; i < nq; i++) queries.push(prepareVector(qgen(N + 1000 + i), dim, metric));
// ground truth
const gt: number[][] = queries.map((q) => { const d: [number, number][] = []; for (let i = 0; i < N; i++) d.push([preparedDistance(q, data.subarray(i * dim, (i + 1) * dim), metric), i]); d.sort((a, b) => a[0] - b[0]); return d.slice(0, 10).map((x) => x[1]); });
for (const exBits of exBitsList) {
  const nlist = Math.round(4 * Math.sqrt(N));
  let t = performance.now();
  const list = trainCentroids(data, N, { dim, metric, exBits, nlist, seed: 1, kernels, targetClusterSize: N / nlist });
  const ci = openCentroidIndex(list, kernels);
  const tTrain = performance.now() - t; t = performance.now();
  const enc = createIvfEncoder(ci); const builders = new Map<number, ReturnType<typeof newBlockBuilder>>();
  for (let i = 0; i < N; i++) { const v = data.subarray(i * dim, (i + 1) * dim); const c = enc.assign(v); let b = builders.get(c); if (!b) { b = newBlockBuilder(ci, c, false); builders.set(c, b); } enc.encodeInto(b, i, v, c); }
  const blocks = new Map<number, ClusterBlock[]>(); for (const [c, b] of builders) blocks.set(c, [decodeClusterBlock(b.finish())]);
  const tEnc = performance.now() - t;
  const rows: string[] = [];
  for (const nprobe of [4, 8, 16, 32, 64]) {
    let hit = 0; const lat: number[] = []; let refined = 0, scanned = 0;
    for (let qi = 0; qi < nq; qi++) { const t0 = performance.now(); const r = await searchIvf({ query: queries[qi], k: 10, centroids: ci, nprobe, readCluster: async (c) => blocks.get(c) ?? [] }); lat.push(performance.now() - t0); const s = new Set(gt[qi]); for (const x of r.results) if (s.has(x.seq)) hit++; refined += r.stats.candidatesRefined; scanned += r.stats.candidatesScanned; }
    lat.sort((a, b) => a - b);
    rows.push(`nprobe ${nprobe}: recall ${(hit / nq / 10).toFixed(4)} p50 ${lat[nq >> 1].toFixed(2)}ms scanned ${(scanned / nq).toFixed(0)} refined ${(refined / nq).toFixed(0)}`);
  }
  console.log(`exBits ${exBits} nlist ${nlist} train ${tTrain.toFixed(0)}ms encode ${tEnc.toFixed(0)}ms\n  ` + rows.join("\n  "));
}
