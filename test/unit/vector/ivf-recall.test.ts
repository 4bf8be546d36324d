import { expect, it } from "vitest";
import { prepareVector, preparedDistance } from "../../../src/core/index/vector/distance.ts";
import { searchIvf } from "../../../src/core/index/vector/ivf-search.ts";
import { DEFAULT_EX_BITS } from "../../../src/core/index/vector/ivf-train.ts";
import { vectorKernels } from "../../../src/wasm/vector-kernels.ts";
import { clusteredData } from "../../helpers/vector-data.ts";
import { buildMemoryIndex, exactTopK, recallAt } from "../../helpers/vector-index.ts";

it("reaches recall@10 ≥ 0.95 at default settings on 20k generated cosine vectors (no rerank)", async () => {
  const n = 20_000;
  const dim = 128;
  const gen = clusteredData({ dim, clusters: 150, seed: 3, normalize: true });
  const data = Array.from({ length: n }, (_, i) => prepareVector(gen(i), dim, "cosine"));
  const queries = Array.from({ length: 50 }, (_, i) => prepareVector(gen(n + 100_000 + i), dim, "cosine"));
  const idx = await buildMemoryIndex(() => data.map((vector, seq) => ({ seq, vector })), { dim, metric: "cosine", kernels: vectorKernels() });
  expect(idx.index.exBits).toBe(DEFAULT_EX_BITS);
  let recall = 0;
  for (const q of queries) {
    const r = await searchIvf({ query: q, k: 10, centroids: idx.index, readCluster: idx.readCluster });
    recall += recallAt(
      r.results.map((x) => x.seq),
      exactTopK(q, data, 10, (a, b) => preparedDistance(a, b, "cosine")),
    );
  }
  expect(recall / queries.length).toBeGreaterThanOrEqual(0.95);
});
