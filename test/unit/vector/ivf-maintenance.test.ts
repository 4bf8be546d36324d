import { describe, expect, it } from "vitest";
import { decodeCentroidList, encodeCentroidList, openCentroidIndex } from "../../../src/core/index/vector/centroid-list.ts";
import { type ClusterBlock, decodeClusterBlock } from "../../../src/core/index/vector/cluster-block.ts";
import { readClusterBlock, readClusterObjectTable } from "../../../src/core/index/vector/cluster-object.ts";
import { prepareVector, preparedDistance } from "../../../src/core/index/vector/distance.ts";
import { encodeDeltaFragment } from "../../../src/core/index/vector/ivf-encoder.ts";
import { liveMembers, mergeClusterBlocks, shouldSplit, splitCluster } from "../../../src/core/index/vector/ivf-maintenance.ts";
import { type EncodeProgress, type Fragment, IvfEncodePass, IvfSample, batchEntries, clusterRanges, mergeClusters } from "../../../src/core/index/vector/ivf-build.ts";
import { searchIvf } from "../../../src/core/index/vector/ivf-search.ts";
import { memoryRangeReader } from "../../../src/storage/range-reader.ts";
import { vectorKernels } from "../../../src/wasm/vector-kernels.ts";
import { clusteredData } from "../../helpers/vector-data.ts";
import { buildMemoryIndex, exactTopK, recallAt } from "../../helpers/vector-index.ts";

const kernels = vectorKernels();
const dim = 64;
const metric = "euclidean_squared" as const;
const gen = clusteredData({ dim, clusters: 40, seed: 31 });
const data = Array.from({ length: 8000 }, (_, i) => prepareVector(gen(i), dim, metric));
const queries = Array.from({ length: 30 }, (_, i) => prepareVector(gen(500_000 + i), dim, metric));
const dist = (a: Float32Array, b: Float32Array): number => preparedDistance(a, b, metric);
const BASE = 5000;

async function recallOf(
  index: Parameters<typeof searchIvf>[0]["centroids"],
  readCluster: (c: number) => Promise<ClusterBlock[]>,
  live: (seq: number) => boolean,
  nprobe?: number,
): Promise<number> {
  let recall = 0;
  for (const q of queries) {
    const r = await searchIvf({ query: q, k: 10, centroids: index, readCluster, isLive: live, nprobe });
    recall += recallAt(r.results.map((x) => x.seq), exactTopK(q, data, 10, dist, live));
  }
  return recall / queries.length;
}

describe("incremental IVF maintenance", async () => {
  const base = await buildMemoryIndex(() => data.slice(0, BASE).map((vector, seq) => ({ seq, vector })), { dim, metric, kernels });
  // later writes arrive as a delta fragment encoded against the existing centroids
  const delta = encodeDeltaFragment(base.index, data.slice(BASE).map((vector, i) => ({ seq: BASE + i, vector })));
  const reader = memoryRangeReader(delta.bytes);
  const deltaBlocks = new Map<number, ClusterBlock>();
  for (const loc of await readClusterObjectTable(reader)) deltaBlocks.set(loc.clusterId, await readClusterBlock(reader, loc, { withVectors: true }));
  const withDeltas = async (c: number): Promise<ClusterBlock[]> => [...(await base.readCluster(c)), ...(deltaBlocks.has(c) ? [deltaBlocks.get(c)!] : [])];
  const dead = new Set<number>();
  for (let s = 0; s < data.length; s += 7) dead.add(s);
  const live = (s: number): boolean => !dead.has(s);

  it("finds vectors from base and delta fragments, minus deleted ones", async () => {
    expect(delta.locations.reduce((a, l) => a + l.count, 0)).toBe(data.length - BASE);
    expect(await recallOf(base.index, withDeltas, live)).toBeGreaterThanOrEqual(0.95);
  });

  it("rewrites a cluster from base + deltas minus dead seqs with identical search results", async () => {
    const merged = new Map<number, ClusterBlock[]>();
    let total = 0;
    for (let c = 0; c < base.index.nlist; c++) {
      const blocks = await withDeltas(c);
      if (blocks.length === 0) continue;
      const m = mergeClusterBlocks({ index: base.index, clusterId: c, blocks, isLive: live });
      const block = decodeClusterBlock(m.bytes);
      for (let e = 0; e < block.count; e++) expect(dead.has(block.seqs[e])).toBe(false);
      total += m.count;
      merged.set(c, [block]);
    }
    expect(total).toBe(data.length - dead.size);
    for (const q of queries.slice(0, 10)) {
      const before = await searchIvf({ query: q, k: 10, centroids: base.index, readCluster: withDeltas, isLive: live });
      const after = await searchIvf({ query: q, k: 10, centroids: base.index, readCluster: async (c) => merged.get(c) ?? [] });
      expect(after.results).toEqual(before.results);
    }
  });

  it("splits an oversized cluster in two and keeps recall", async () => {
    const sizes = new Map<number, number>();
    for (let c = 0; c < base.index.nlist; c++) sizes.set(c, liveMembers(await withDeltas(c), live).length);
    const biggest = [...sizes.entries()].sort((a, b) => b[1] - a[1])[0][0];
    const members = liveMembers(await withDeltas(biggest), live);
    expect(shouldSplit(members.length, { targetClusterSize: members.length / 3 })).toBe(true);
    const split = splitCluster({ index: base.index, clusterId: biggest, members });
    expect(split.centroidList.nlist).toBe(base.index.nlist + 1);
    expect(split.blocks.map((b) => b.clusterId)).toEqual([biggest, base.index.nlist]);
    expect(split.blocks[0].count + split.blocks[1].count).toBe(members.length);
    expect(split.blocks[0].count).toBeGreaterThan(0);
    expect(split.blocks[1].count).toBeGreaterThan(0);
    // the next centroid list survives its byte format
    const next = openCentroidIndex(decodeCentroidList(encodeCentroidList(split.centroidList)), kernels);
    const replaced = new Map<number, ClusterBlock[]>();
    for (const b of split.blocks) replaced.set(b.clusterId, [decodeClusterBlock(b.bytes)]);
    const read = async (c: number): Promise<ClusterBlock[]> => replaced.get(c) ?? (await withDeltas(c));
    const seqs = new Set<number>();
    for (const b of replaced.values()) for (const s of b[0].seqs) seqs.add(s);
    expect(seqs).toEqual(new Set(members.map((m) => m.seq)));
    expect(await recallOf(next, read, live)).toBeGreaterThanOrEqual(0.95);
  });
});

describe("bounded-memory build", () => {
  it("spills scratch fragments and writes several objects with the same index as one batch", async () => {
    const records = () => data.slice(0, 3000).map((vector, seq) => ({ seq, vector }));
    const one = await buildMemoryIndex(records, { dim, metric, kernels });
    const many = await buildMemoryIndex(records, { dim, metric, kernels, batchBytes: 64 * 1024, maxObjectBytes: 8 * 1024 });
    expect(one.built.stats.scratchFragments).toBe(0);
    expect(many.built.stats.scratchFragments).toBeGreaterThan(5);
    expect(many.objects.size).toBeGreaterThan(3);
    expect(many.built.centroidListBytes).toEqual(one.built.centroidListBytes);
    let chunked = 0;
    for (let c = 0; c < one.index.nlist; c++) {
      const a = await one.readCluster(c);
      const b = await many.readCluster(c);
      if (b.length > 1) chunked++;
      expect(b.flatMap((x) => Array.from(x.seqs))).toEqual(a.flatMap((x) => Array.from(x.seqs)));
      expect(b.flatMap((x) => Array.from(x.code1))).toEqual(a.flatMap((x) => Array.from(x.code1)));
    }
    // 8 KiB objects hold ≤ 4 KiB blocks (10 entries here): larger clusters span several objects
    expect(chunked).toBeGreaterThan(0);
    for (const q of queries.slice(0, 5)) {
      const ra = await searchIvf({ query: q, k: 10, centroids: one.index, readCluster: one.readCluster });
      const rb = await searchIvf({ query: q, k: 10, centroids: many.index, readCluster: many.readCluster });
      expect(rb.results).toEqual(ra.results);
    }
  });
});

describe("a build in separate steps", () => {
  it("resumed from its state between every batch and merge range, writes the same index as in one go", async () => {
    const n = 3000;
    const records = data.slice(0, n).map((vector, seq) => ({ seq, vector }));
    const o = { dim, metric, kernels, batchBytes: 64 * 1024, maxObjectBytes: 64 * 1024 };
    const whole = await buildMemoryIndex(() => records, o);
    // the same steps, each starting from the JSON of the previous one's state
    const sample = new IvfSample(o);
    for (const r of records) sample.offer(r.seq, r.vector);
    const training = sample.train();
    const index = openCentroidIndex(decodeCentroidList(encodeCentroidList(training.list)), kernels);
    const per = batchEntries(o, index.paddedDim);
    let progress: EncodeProgress | undefined;
    const fragments: Fragment[] = [];
    for (let i = 0; i < n; i += per) {
      const pass = new IvfEncodePass(index, training.calibration, o, progress && JSON.parse(JSON.stringify(progress)));
      const f = pass.encode(records.slice(i, i + per));
      fragments.push({ reader: memoryRangeReader(f.bytes), locations: f.locations });
      progress = pass.progress();
    }
    expect(fragments.length).toBeGreaterThan(3);
    const objects: Uint8Array[] = [];
    for (const [from, to] of clusterRanges(progress!.sizes, per)) {
      await mergeClusters(index, fragments, from, to, o, async (bytes) => void objects.push(bytes));
    }
    const finished = new IvfEncodePass(index, training.calibration, o, progress).finish(0.95);
    expect(finished.centroidListBytes).toEqual(whole.built.centroidListBytes);
    expect(objects).toEqual([...whole.objects.values()]);
  });
});
