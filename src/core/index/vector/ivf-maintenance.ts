/**
 * Incremental maintenance of a namespace-level IVF index, one cluster at a time: rewrite a cluster
 * from its base block and delta blocks minus dead seqs (codes are copied, not re-encoded: the
 * centroid did not move), and split an oversized cluster in two (SPFresh style) with k-means on its
 * members, re-encoding them against the new centroids. Owns these pure transformations; when they
 * run and which objects they replace is the caller's (manifest) business.
 */

import { InvalidArgumentError } from "../../errors.ts";
import type { CentroidIndex, CentroidList } from "./centroid-list.ts";
import type { ClusterBlock } from "./cluster-block.ts";
import { blockMembers, encodeMembers, partitionMembers } from "./cluster-partition.ts";
import { type VectorRecord, createIvfEncoder, newBlockBuilder } from "./ivf-encoder.ts";

/** A cluster is split when its live entries exceed this multiple of the target size. */
export const SPLIT_FACTOR = 2;

export function shouldSplit(liveCount: number, list: Pick<CentroidList, "targetClusterSize">): boolean {
  return liveCount > SPLIT_FACTOR * list.targetClusterSize;
}

/**
 * Rewrites one cluster: the live entries of all its blocks (base first, then deltas in order) as a
 * single block. With `withVectors`, every input block must carry its vectors part.
 */
export function mergeClusterBlocks(p: {
  index: CentroidList;
  clusterId: number;
  blocks: ClusterBlock[];
  isLive: (seq: number) => boolean;
  withVectors?: boolean;
}): { bytes: Uint8Array; count: number } {
  const withVectors = p.withVectors ?? p.blocks.every((b) => b.vectors !== null);
  const out = newBlockBuilder(p.index, p.clusterId, withVectors);
  for (const b of p.blocks) {
    if (b.clusterId !== p.clusterId) {
      throw new InvalidArgumentError(`vector-maintenance: block of cluster ${b.clusterId} given to merge ${p.clusterId}`);
    }
    if (withVectors && b.vectors === null) {
      throw new InvalidArgumentError(`vector-maintenance: a block of cluster ${p.clusterId} was decoded without its vectors part`);
    }
    for (let e = 0; e < b.count; e++) if (p.isLive(b.seqs[e])) out.addFrom(b, e, null);
  }
  return { bytes: out.finish(), count: out.count };
}

/** The live (seq, vector) members of a cluster, from blocks decoded with their vectors part. */
export function liveMembers(blocks: ClusterBlock[], isLive: (seq: number) => boolean): VectorRecord[] {
  for (const b of blocks) {
    if (b.vectors === null) throw new InvalidArgumentError(`vector-maintenance: cluster ${b.clusterId} block has no vectors`);
  }
  return blockMembers(blocks, isLive);
}

export interface SplitResult {
  /** The next centroid list: row clusterId replaced, the other parts appended as new ids. */
  centroidList: CentroidList;
  /** One block per part: the first keeps clusterId, the others get ids nlist, nlist+1, … */
  blocks: { clusterId: number; bytes: Uint8Array; count: number }[];
}

/**
 * Splits cluster `clusterId` into `parts` (default 2) with seeded k-means over its members.
 * Memory: the members' vectors and their encoded blocks (bounded by the split threshold).
 */
export function splitCluster(p: {
  index: CentroidIndex;
  clusterId: number;
  members: VectorRecord[];
  parts?: number;
  seed?: number;
  withVectors?: boolean;
}): SplitResult {
  const ci = p.index;
  const parts = Math.max(2, p.parts ?? 2);
  const n = p.members.length;
  if (n < parts) throw new InvalidArgumentError(`vector-maintenance: cannot split ${n} members into ${parts}`);
  if (p.clusterId < 0 || p.clusterId >= ci.nlist) throw new InvalidArgumentError(`vector-maintenance: no cluster ${p.clusterId}`);
  const P = ci.paddedDim;
  const enc0 = createIvfEncoder(ci);
  const prepared = p.members.map((m) => enc0.prepare(m.vector));
  const part = partitionMembers(ci.rotator, ci.kernels, prepared, parts, p.seed ?? p.clusterId + 1);
  const k = part.sizes.length;
  const ids = [p.clusterId];
  for (let j = 1; j < k; j++) ids.push(ci.nlist + j - 1);

  const nlist = ci.nlist + k - 1;
  const centroids = new Float32Array(nlist * P);
  centroids.set(ci.centroids);
  for (let j = 0; j < k; j++) centroids.set(part.centroids.subarray(j * P, (j + 1) * P), ids[j] * P);
  const sizes = new Uint32Array(nlist);
  sizes.set(ci.sizes);
  for (let j = 0; j < k; j++) sizes[ids[j]] = part.sizes[j];
  const next: CentroidList = {
    nlist,
    dim: ci.dim,
    paddedDim: P,
    metric: ci.metric,
    exBits: ci.exBits,
    rotatorSeed: ci.rotatorSeed,
    // the caller owns the default as the index grows (scaled from its calibration, not per split)
    nprobe: ci.nprobe,
    targetRecall: ci.targetRecall,
    targetClusterSize: ci.targetClusterSize,
    sizes,
    centroids,
  };
  const blocks = encodeMembers(next, ci.kernels, part, ids, p.members, prepared, p.withVectors ?? true);
  return { centroidList: next, blocks };
}
