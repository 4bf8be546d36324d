/**
 * Test helper: builds an IVF index in memory through the real build path (buildIvfIndex with an
 * in-memory sink) and exposes what a query needs (CentroidIndex + readCluster).
 */

import { memoryRangeReader } from "../../src/storage/range-reader.ts";
import { type CentroidIndex, decodeCentroidList, openCentroidIndex } from "../../src/core/index/vector/centroid-list.ts";
import type { ClusterBlock } from "../../src/core/index/vector/cluster-block.ts";
import { readClusterBlock, readClusterObjectTable } from "../../src/core/index/vector/cluster-object.ts";
import type { VectorMetric } from "../../src/core/index/vector/distance.ts";
import { type BuiltIvfIndex, type IvfBuildOptions, buildIvfIndex } from "../../src/core/index/vector/ivf-build.ts";
import type { VectorRecord } from "../../src/core/index/vector/ivf-encoder.ts";
import type { VectorKernels } from "../../src/core/index/vector/kernels.ts";

export interface MemoryIndex {
  built: BuiltIvfIndex;
  index: CentroidIndex;
  objects: Map<string, Uint8Array>;
  blocks: Map<number, ClusterBlock[]>;
  readCluster: (clusterId: number) => Promise<ClusterBlock[]>;
}

export async function buildMemoryIndex(
  records: () => Iterable<VectorRecord>,
  opts: { dim: number; metric: VectorMetric; kernels: VectorKernels } & Partial<IvfBuildOptions>,
): Promise<MemoryIndex> {
  const objects = new Map<string, Uint8Array>();
  let n = 0;
  const built = await buildIvfIndex(
    records,
    {
      async putScratch(bytes) {
        return memoryRangeReader(bytes);
      },
      async putClusterObject(bytes) {
        const key = `clusters/${n++}`;
        objects.set(key, bytes);
        return key;
      },
    },
    opts,
  );
  const index = openCentroidIndex(decodeCentroidList(built.centroidListBytes), opts.kernels);
  const blocks = new Map<number, ClusterBlock[]>();
  for (const bytes of objects.values()) {
    const reader = memoryRangeReader(bytes);
    for (const loc of await readClusterObjectTable(reader)) {
      const list = blocks.get(loc.clusterId) ?? [];
      list.push(await readClusterBlock(reader, loc, { withVectors: true }));
      blocks.set(loc.clusterId, list);
    }
  }
  return { built, index, objects, blocks, readCluster: async (c) => blocks.get(c) ?? [] };
}

/** Exact top-k seqs by the reference distance (brute force). */
export function exactTopK(
  query: Float32Array,
  data: Float32Array[],
  k: number,
  distance: (a: Float32Array, b: Float32Array) => number,
  keep: (seq: number) => boolean = () => true,
): number[] {
  const scored: [number, number][] = [];
  for (let i = 0; i < data.length; i++) if (keep(i)) scored.push([distance(query, data[i]), i]);
  scored.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return scored.slice(0, k).map((s) => s[1]);
}

export function recallAt(found: number[], truth: number[]): number {
  const t = new Set(truth);
  let hit = 0;
  for (const f of found) if (t.has(f)) hit++;
  return hit / truth.length;
}
