import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../src/core/errors.ts";
import { type VectorMetric, prepareVector, preparedDistance } from "../../../src/core/index/vector/distance.ts";
import type { ClusterBlock } from "../../../src/core/index/vector/cluster-block.ts";
import { type ClusterBlockLocation, readBlockExRows, readClusterBlockHead, readClusterObjectTable } from "../../../src/core/index/vector/cluster-object.ts";
import { searchIvf } from "../../../src/core/index/vector/ivf-search.ts";
import { memoryRangeReader } from "../../../src/storage/range-reader.ts";
import { tsKernels } from "../../../src/core/index/vector/kernels.ts";
import { createRng } from "../../../src/core/index/vector/seeded-rng.ts";
import { vectorKernels } from "../../../src/wasm/vector-kernels.ts";
import { clusteredData } from "../../helpers/vector-data.ts";
import { buildMemoryIndex, exactTopK, recallAt } from "../../helpers/vector-index.ts";

const kernels = vectorKernels();

function dataset(n: number, dim: number, metric: VectorMetric, nq: number, seed = 3) {
  const gen = clusteredData({ dim, clusters: Math.max(8, Math.round(n / 150)), seed, normalize: metric === "cosine" });
  const data = Array.from({ length: n }, (_, i) => prepareVector(gen(i), dim, metric));
  const queries = Array.from({ length: nq }, (_, i) => prepareVector(gen(n + 100_000 + i), dim, metric));
  return { data, queries, records: () => data.map((vector, seq) => ({ seq, vector })) };
}

describe("IVF + RaBitQ search at default settings", () => {
  // cosine at a few tens of thousands of vectors runs in ivf-recall.test.ts (its own file: time)
  const cases: [VectorMetric, number, number][] = [
    ["euclidean_squared", 10_000, 64],
    ["dot_product", 10_000, 64],
  ];
  for (const [metric, n, dim] of cases) {
    it(`reaches recall@10 ≥ 0.95 without rerank (${metric}, ${n} × ${dim})`, async () => {
      const { data, queries, records } = dataset(n, dim, metric, 60);
      const idx = await buildMemoryIndex(records, { dim, metric, kernels });
      let recall = 0;
      for (const q of queries) {
        const r = await searchIvf({ query: q, k: 10, centroids: idx.index, readCluster: idx.readCluster });
        expect(r.results.length).toBe(10);
        expect(r.stats.clustersProbed).toBe(idx.index.nprobe);
        recall += recallAt(
          r.results.map((x) => x.seq),
          exactTopK(q, data, 10, (a, b) => preparedDistance(a, b, metric)),
        );
      }
      expect(recall / queries.length).toBeGreaterThanOrEqual(0.95);
    });
  }
});

describe("IVF search semantics", async () => {
  const dim = 48;
  const { data, queries, records } = dataset(6000, dim, "cosine", 20, 9);
  const idx = await buildMemoryIndex(records, { dim, metric: "cosine", kernels });
  const dist = (a: Float32Array, b: Float32Array): number => preparedDistance(a, b, "cosine");

  it("applies filters inside the scan: every result passes and the slots are filled", async () => {
    let recall = 0;
    for (const q of queries) {
      const filter = (seq: number): boolean => seq % 3 === 0;
      const r = await searchIvf({ query: q, k: 10, centroids: idx.index, readCluster: idx.readCluster, filter, nprobe: idx.index.nprobe * 2 });
      expect(r.results.length).toBe(10);
      for (const x of r.results) expect(x.seq % 3).toBe(0);
      expect(r.stats.candidatesExcluded).toBeGreaterThan(0);
      recall += recallAt(r.results.map((x) => x.seq), exactTopK(q, data, 10, dist, filter));
    }
    expect(recall / queries.length).toBeGreaterThanOrEqual(0.9);
  });

  it("never returns a deleted entry, and deleting the best ones promotes the next", async () => {
    const q = queries[0];
    const before = await searchIvf({ query: q, k: 10, centroids: idx.index, readCluster: idx.readCluster });
    const dead = new Set(before.results.slice(0, 5).map((x) => x.seq));
    const after = await searchIvf({ query: q, k: 10, centroids: idx.index, readCluster: idx.readCluster, isLive: (s) => !dead.has(s) });
    expect(after.results.length).toBe(10);
    for (const x of after.results) expect(dead.has(x.seq)).toBe(false);
    expect(after.results.slice(0, 5).map((x) => x.seq)).toEqual(before.results.slice(5).map((x) => x.seq));
  });

  it("returns exact distances with a rerank and is deterministic", async () => {
    for (const q of queries.slice(0, 5)) {
      const a = await searchIvf({ query: q, k: 10, centroids: idx.index, readCluster: idx.readCluster, rerank: true });
      const b = await searchIvf({ query: q, k: 10, centroids: idx.index, readCluster: idx.readCluster, rerank: true });
      expect(b).toEqual(a);
      expect(a.stats.candidatesReranked).toBeGreaterThanOrEqual(10);
      for (const x of a.results) expect(x.distance).toBeCloseTo(dist(q, data[x.seq]), 5);
      for (let i = 1; i < a.results.length; i++) expect(a.results[i].distance).toBeGreaterThanOrEqual(a.results[i - 1].distance);
    }
  });

  it("uses fetchVectors for the rerank when given", async () => {
    let asked = 0;
    const r = await searchIvf({
      query: queries[1],
      k: 5,
      centroids: idx.index,
      readCluster: idx.readCluster,
      rerank: {
        candidates: 20,
        fetchVectors: async (cands) => {
          asked += cands.length;
          return cands.map((c) => data[c.seq]);
        },
      },
    });
    expect(asked).toBe(20);
    expect(r.results.length).toBe(5);
    for (const x of r.results) expect(x.distance).toBeCloseTo(dist(queries[1], data[x.seq]), 5);
  });

  it("rejects a wrong metric, dimension or k", async () => {
    const base = { centroids: idx.index, readCluster: idx.readCluster };
    await expect(searchIvf({ ...base, query: queries[0], k: 10, metric: "dot_product" })).rejects.toThrow(InvalidArgumentError);
    await expect(searchIvf({ ...base, query: new Float32Array(dim + 1), k: 10 })).rejects.toThrow(/dimensions/);
    await expect(searchIvf({ ...base, query: queries[0], k: 0 })).rejects.toThrow(InvalidArgumentError);
  });
});

describe("IVF search over block heads", async () => {
  // the 1-bit bound tightens with the dimension: at 384-d few entries survive it
  const dim = 384;
  const { data, queries, records } = dataset(4000, dim, "cosine", 8, 5);
  const idx = await buildMemoryIndex(records, { dim, metric: "cosine", kernels, nlist: 8 });

  it("reads only the survivors' ex rows when blocks come as heads, with the same results", async () => {
    // the heads of every block, and a reader of their ex rows from the stored objects
    const heads = new Map<number, ClusterBlock[]>();
    const source = new Map<ClusterBlock, { bytes: Uint8Array; loc: ClusterBlockLocation }>();
    for (const bytes of idx.objects.values()) {
      const reader = memoryRangeReader(bytes);
      for (const loc of await readClusterObjectTable(reader)) {
        const head = await readClusterBlockHead(reader, loc, idx.index.paddedDim);
        expect(head.ex).toBeNull();
        heads.set(loc.clusterId, [...(heads.get(loc.clusterId) ?? []), head]);
        source.set(head, { bytes, loc });
      }
    }
    let rowsRead = 0;
    const readExRows = async (block: ClusterBlock, entries: readonly number[]) => {
      rowsRead += entries.length;
      const { bytes, loc } = source.get(block)!;
      return readBlockExRows(memoryRangeReader(bytes), loc, block, entries);
    };
    // heads carry no vectors: the rerank takes them from the data in both searches
    const rerank = { fetchVectors: async (cands: { seq: number }[]) => cands.map((c) => data[c.seq]) };
    for (const q of queries.slice(0, 8)) {
      rowsRead = 0;
      const full = await searchIvf({ query: q, k: 10, centroids: idx.index, readCluster: idx.readCluster, rerank, nprobe: 4 });
      const split = await searchIvf({ query: q, k: 10, centroids: idx.index, readCluster: async (c) => heads.get(c) ?? [], readExRows, rerank, nprobe: 4 });
      expect(split.results).toEqual(full.results);
      expect(rowsRead).toBe(split.stats.candidatesRefined);
      expect(rowsRead).toBeLessThan(split.stats.candidatesScanned / 4);
    }
    await expect(searchIvf({ query: queries[0], k: 10, centroids: idx.index, readCluster: async (c) => heads.get(c) ?? [] })).rejects.toThrow(/ex rows/);
  });

});

describe("TS and Wasm kernels through the whole pipeline", () => {
  it("build identical centroid lists and blocks, and return identical results", async () => {
    const dim = 40;
    const { queries, records } = dataset(1500, dim, "euclidean_squared", 5, 21);
    const a = await buildMemoryIndex(records, { dim, metric: "euclidean_squared", kernels });
    const b = await buildMemoryIndex(records, { dim, metric: "euclidean_squared", kernels: tsKernels });
    expect(b.built.centroidListBytes).toEqual(a.built.centroidListBytes);
    expect([...b.objects.values()]).toEqual([...a.objects.values()]);
    for (const q of queries) {
      const ra = await searchIvf({ query: q, k: 10, centroids: a.index, readCluster: a.readCluster });
      const rb = await searchIvf({ query: q, k: 10, centroids: b.index, readCluster: b.readCluster });
      expect(rb).toEqual(ra);
    }
  });
});

describe("prepared vectors", () => {
  it("are the same from float32 and number arrays, and reject non-finite values from either", () => {
    const rng = createRng(4);
    const v = Float32Array.from({ length: 33 }, () => rng.nextGaussian());
    for (const metric of ["cosine", "euclidean_squared"] as const) {
      expect(Array.from(prepareVector(v, 33, metric))).toEqual(Array.from(prepareVector(Array.from(v), 33, metric)));
    }
    const bad = v.slice();
    bad[5] = Number.NaN;
    expect(() => prepareVector(bad, 33, "cosine")).toThrow(/non-finite value NaN at dimension 5/);
    bad[5] = Number.POSITIVE_INFINITY;
    expect(() => prepareVector(Array.from(bad), 33, "dot_product")).toThrow(/non-finite value Infinity at dimension 5/);
    expect(() => prepareVector(new Float32Array(33), 33, "cosine")).toThrow(/zero vector/);
  });
});

describe("flat (exact) search", () => {
  it("matches the brute-force reference, with filters and deletions applied first", async () => {
    const { flatSearch } = await import("../../../src/core/index/vector/flat-search.ts");
    const { data, queries, records } = dataset(500, 16, "dot_product", 3, 5);
    for (const q of queries) {
      const keep = (s: number): boolean => s % 2 === 1;
      const r = flatSearch({ query: q, k: 7, metric: "dot_product", dim: 16, records: records(), filter: keep, isLive: (s) => s !== 3 });
      expect(r.results.map((x) => x.seq)).toEqual(exactTopK(q, data, 7, (a, b) => preparedDistance(a, b, "dot_product"), (s) => keep(s) && s !== 3));
      expect(r.scanned).toBe(249);
    }
  });
});
