/**
 * Partitioning one cluster's members into parts with seeded k-means and encoding them against the
 * part centroids. Owns the shared core of a split (ivf-maintenance.ts) and of the build's
 * cluster-size refinement (ivf-build.ts); memory is the members plus their encoded blocks.
 */

import { InvalidArgumentError } from "../../errors.ts";
import { type CentroidList, openCentroidIndex } from "./centroid-list.ts";
import type { ClusterBlock } from "./cluster-block.ts";
import { type VectorRecord, createIvfEncoder, newBlockBuilder } from "./ivf-encoder.ts";
import type { VectorKernels } from "./kernels.ts";
import { trainKMeansOn } from "./kmeans.ts";
import type { Rotator } from "./rotation.ts";

export type IndexShape = Pick<
  CentroidList,
  "dim" | "paddedDim" | "metric" | "exBits" | "rotatorSeed" | "nprobe" | "targetRecall" | "targetClusterSize"
>;

export interface Partition {
  /** parts × paddedDim centroids in the rotated space. */
  centroids: Float32Array;
  assignment: Int32Array;
  sizes: Uint32Array;
}

/** k-means of the (prepared) members into `parts` parts, in the rotated space. */
export function partitionMembers(
  rotator: Rotator,
  kernels: VectorKernels,
  prepared: Float32Array[],
  parts: number,
  seed: number,
): Partition {
  const P = rotator.paddedDim;
  const n = prepared.length;
  const rotated = new Float32Array(n * P);
  const tmp = new Float64Array(P);
  for (let i = 0; i < n; i++) {
    rotator.rotate(prepared[i], tmp);
    for (let d = 0; d < P; d++) rotated[i * P + d] = tmp[d];
  }
  const km = trainKMeansOn(kernels.createMatrix(rotated, n, P), Math.min(parts, n), { seed, kernels });
  return { centroids: km.centroids, assignment: km.assignment, sizes: km.sizes };
}

/** Encodes members into one block per part; part j's block gets cluster id ids[j]. */
export function encodeMembers(
  shape: IndexShape,
  kernels: VectorKernels,
  partition: Partition,
  ids: number[],
  members: readonly { seq: number }[],
  prepared: Float32Array[],
  withVectors: boolean,
): { clusterId: number; bytes: Uint8Array; count: number }[] {
  const k = partition.sizes.length;
  const partIndex = openCentroidIndex(
    { ...shape, nlist: k, sizes: partition.sizes, centroids: partition.centroids },
    kernels,
  );
  const enc = createIvfEncoder(partIndex);
  const builders = ids.slice(0, k).map((id) => newBlockBuilder(shape, id, withVectors));
  for (let i = 0; i < members.length; i++) {
    const j = partition.assignment[i];
    builders[j].add(members[i].seq, enc.encode(prepared[i], j), prepared[i]);
  }
  return builders.map((b, j) => ({ clusterId: ids[j], bytes: b.finish(), count: b.count }));
}

/** Members (seq + vector view) of decoded blocks that carry their vectors part. */
export function blockMembers(blocks: ClusterBlock[], isLive: (seq: number) => boolean = () => true): VectorRecord[] {
  const out: VectorRecord[] = [];
  for (const b of blocks) {
    if (b.vectors === null) throw new InvalidArgumentError(`cluster-partition: cluster ${b.clusterId} block has no vectors part`);
    for (let e = 0; e < b.count; e++) {
      if (isLive(b.seqs[e])) out.push({ seq: b.seqs[e], vector: b.vectors.subarray(e * b.dim, (e + 1) * b.dim) });
    }
  }
  return out;
}
