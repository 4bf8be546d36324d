import { loadWasmKernels } from "/work/wt-vector/bench/load-kernels.ts";
import { loadRealDatasets } from "/work/wt-vector/bench/datasets.ts";
import { buildMemoryIndex } from "/work/wt-vector/test/helpers/vector-index.ts";
import { searchIvf } from "/work/wt-vector/src/core/index/vector/ivf-search.ts";
const kernels = await loadWasmKernels();
const ds = loadRealDatasets()[1];
const dim = ds.base.dim;
const idx = await buildMemoryIndex(function* () { for (let i = 0; i < ds.base.n; i++) yield { seq: i, vector: ds.base.data.subarray(i * dim, (i + 1) * dim) }; }, { dim, metric: ds.metric, kernels, exBits: 5 });
const t = performance.now(); let n = 0;
for (let rep = 0; rep < 10; rep++) for (let q = 0; q < 300; q++) { await searchIvf({ query: ds.queries.data.subarray(q * dim, (q + 1) * dim), k: 10, centroids: idx.index, readCluster: idx.readCluster }); n++; }
console.log("per query ms", ((performance.now() - t) / n).toFixed(3), "nprobe", idx.index.nprobe);
