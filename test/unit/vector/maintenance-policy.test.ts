import { describe, expect, it } from "vitest";
import type { DirectoryBlock, IndexDirectory } from "../../../src/core/index/vector/index-directory.ts";
import { DELTA_RATIO, MAX_CLUSTER_BLOCKS, pickClusters, takeBatch } from "../../../src/core/index/vector/maintenance-policy.ts";

const TARGET = 512;

function block(clusterId: number, count: number, object = 0): DirectoryBlock {
  return { clusterId, object, count, offset: 0, scanBytes: 10 * count, vectorBytes: 100 * count };
}

function dir(blocks: DirectoryBlock[], nlist: number): IndexDirectory {
  return { nlist, centroids: { key: "c", bytes: 1 }, objects: [{ key: "o", bytes: 1 }], blocks };
}

describe("vector maintenance policy", () => {
  it("leaves a cluster alone until it has too many blocks, then merges only its deltas", () => {
    const deltas = (n: number) => Array.from({ length: n }, () => block(0, 5));
    expect(pickClusters(dir([block(0, 500), ...deltas(MAX_CLUSTER_BLOCKS - 1)], 1), TARGET)).toEqual([]);
    const due = pickClusters(dir([block(0, 500), ...deltas(MAX_CLUSTER_BLOCKS)], 1), TARGET);
    expect(due).toHaveLength(1);
    expect(due[0].kind).toBe("deltas");
    // The base (largest block) is neither read nor replaced.
    expect(due[0].blocks).toEqual([1, 2, 3, 4]);
    expect(due[0].bytes).toBe(4 * 110 * 5);
  });

  it("takes the largest block as the base wherever it sits", () => {
    const due = pickClusters(dir([block(0, 5), block(0, 5), block(0, 400), block(0, 5), block(0, 5)], 1), TARGET);
    expect(due[0].kind).toBe("deltas");
    expect(due[0].blocks).toEqual([0, 1, 3, 4]);
  });

  it("rewrites a cluster whole once its deltas reach DELTA_RATIO of the base, or when it is due a split", () => {
    const base = 400;
    const small = Math.ceil(DELTA_RATIO * base) - 1;
    expect(pickClusters(dir([block(0, base), block(0, small)], 1), TARGET)).toEqual([]);
    const whole = pickClusters(dir([block(0, base), block(0, small + 1)], 1), TARGET);
    expect(whole.map((w) => [w.kind, w.blocks])).toEqual([["whole", [0, 1]]]);
    const big = pickClusters(dir([block(0, 2 * TARGET + 1)], 1), TARGET);
    expect(big.map((w) => w.kind)).toEqual(["whole"]);
    expect(pickClusters(dir([block(0, 2 * TARGET)], 1), TARGET)).toEqual([]);
  });

  it("lists due clusters in cluster order and batches them by bytes (at least one)", () => {
    const blocks: DirectoryBlock[] = [];
    for (let c = 0; c < 6; c++) {
      blocks.push(block(c, 300));
      if (c % 2 === 0) blocks.push(block(c, 200));
    }
    const due = pickClusters(dir(blocks, 6), TARGET);
    expect(due.map((w) => w.clusterId)).toEqual([0, 2, 4]);
    expect(takeBatch(due, 1).map((w) => w.clusterId)).toEqual([0]);
    expect(takeBatch(due, 2 * due[0].bytes).map((w) => w.clusterId)).toEqual([0, 2]);
    expect(takeBatch([], 100)).toEqual([]);
  });

  /**
   * Simulates a large index under ingest: every flush adds a small block to every cluster, and
   * each due cluster is rewritten as the policy says. Rewriting whole clusters every few flushes
   * (the policy before) rewrote each vector ~90 times at 1M; this bounds it by a small constant.
   */
  it.each([
    ["1M-like: 1.4 entries per cluster per flush", 1.4],
    ["100k-like: 13.5 entries per cluster per flush", 13.5],
  ])("rewrites each vector a bounded number of times, with few blocks per cluster (%s)", (_name, perFlush) => {
    const nlist = 50;
    let blocks: DirectoryBlock[] = Array.from({ length: nlist }, (_, c) => block(c, TARGET));
    let added = 0;
    let rewritten = 0;
    let maxBlocks = 0;
    let carry = 0;
    for (let flush = 0; flush < 2000; flush++) {
      carry += perFlush;
      const n = Math.floor(carry);
      carry -= n;
      if (n > 0) {
        for (let c = 0; c < nlist; c++) blocks.push(block(c, n));
        added += n * nlist;
      }
      blocks.sort((a, b) => a.clusterId - b.clusterId);
      const d = dir(blocks, nlist);
      const due = pickClusters(d, 4 * TARGET); // no splits: the simulation keeps nlist fixed
      const replaced = new Set(due.flatMap((w) => w.blocks));
      const merged = due.map((w) => block(w.clusterId, w.blocks.reduce((s, b) => s + d.blocks[b].count, 0)));
      for (const w of due) rewritten += w.blocks.reduce((s, b) => s + d.blocks[b].count, 0);
      blocks = [...blocks.filter((_, i) => !replaced.has(i)), ...merged];
      const perCluster = new Map<number, number>();
      for (const b of blocks) perCluster.set(b.clusterId, (perCluster.get(b.clusterId) ?? 0) + 1);
      maxBlocks = Math.max(maxBlocks, ...perCluster.values());
      if (blocks.reduce((s, b) => s + b.count, 0) > nlist * 3 * TARGET) break;
    }
    expect(added).toBeGreaterThan(nlist * TARGET);
    expect(rewritten / added).toBeLessThan(15);
    expect(maxBlocks).toBeLessThanOrEqual(MAX_CLUSTER_BLOCKS + 1);
  });
});
