import { describe, expect, it } from "vitest";
import type { ClusterBlockLocation } from "../../../src/core/index/vector/cluster-object.ts";
import { type IndexDirectory, addObject, clusterStarts, decodeDirectory, encodeDirectory } from "../../../src/core/index/vector/index-directory.ts";
import { createRng } from "../../../src/core/index/vector/seeded-rng.ts";

function locations(rng: ReturnType<typeof createRng>, nlist: number, n: number): ClusterBlockLocation[] {
  return Array.from({ length: n }, () => ({ clusterId: Math.floor(rng.next() * nlist), count: 1 + Math.floor(rng.next() * 9), scanBytes: 100, vectorBytes: 300, offset: Math.floor(rng.next() * 1e6) }));
}

/** The definition: the concatenation, stably sorted by cluster (older blocks first within one). */
function reference(d: IndexDirectory, object: number, locs: ClusterBlockLocation[]) {
  return [...d.blocks, ...locs.map((l) => ({ ...l, object }))].map((b, i) => [b, i] as const).sort((x, y) => x[0].clusterId - y[0].clusterId || x[1] - y[1]).map(([b]) => b);
}

describe("index directory", () => {
  it("adds an object's blocks after each cluster's older ones, as a stable sort would", () => {
    const rng = createRng(7);
    let d: IndexDirectory = { nlist: 50, centroids: { key: "c", bytes: 1 }, objects: [], blocks: [] };
    for (let o = 0; o < 30; o++) {
      // Unordered and repeated clusters within one object too.
      const locs = locations(rng, 50, 1 + Math.floor(rng.next() * 80));
      const expected = reference(d, o, locs);
      d = addObject(d, { key: `o${o}`, bytes: 10 }, locs);
      expect(d.blocks).toEqual(expected);
      expect(d.objects).toHaveLength(o + 1);
    }
    const starts = clusterStarts(d);
    for (let c = 0; c < 50; c++) for (let b = starts[c]; b < starts[c + 1]; b++) expect(d.blocks[b].clusterId).toBe(c);
    expect(decodeDirectory(encodeDirectory(d))).toEqual(d);
  });
});
