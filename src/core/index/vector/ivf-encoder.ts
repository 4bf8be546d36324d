/**
 * Assigns vectors to their nearest centroid and encodes them into cluster blocks. Owns the path
 * from a raw (seq, vector) to a block entry: prepare (normalise for cosine) → rotate → nearest
 * centroid → RaBitQ-encode the residual. Used by the build, by delta fragments and by splits.
 */

import { type ClusterBlock, ClusterBlockBuilder } from "./cluster-block.ts";
import { type ClusterBlockLocation, encodeClusterObject } from "./cluster-object.ts";
import type { CentroidIndex, CentroidList } from "./centroid-list.ts";
import { prepareVector } from "./distance.ts";
import { type RabitqEncoder, createRabitqEncoder } from "./rabitq-encoder.ts";

export interface VectorRecord {
  /** Unsigned integer < 2^53 naming one document version. */
  seq: number;
  vector: ArrayLike<number>;
}

export interface IvfEncoder {
  /** Prepared (normalised for cosine) float32 copy of the record's vector. */
  prepare(vector: ArrayLike<number>): Float32Array;
  /** Nearest centroid of a prepared vector; also leaves its rotation in `rotated`. */
  assign(prepared: Float32Array): number;
  /**
   * Encodes the prepared vector against centroid row `centroidRow` of this encoder's index into
   * `builder` (whose own clusterId is what the block records; a split encodes against a small
   * index of just the new centroids).
   */
  encodeInto(builder: ClusterBlockBuilder, seq: number, prepared: Float32Array, centroidRow: number): void;
}

export function createIvfEncoder(index: CentroidIndex): IvfEncoder {
  const P = index.paddedDim;
  const rotated = new Float64Array(P);
  const rotated32 = new Float32Array(P);
  const residual = new Float64Array(P);
  const dist = new Float32Array(index.nlist);
  const encoder: RabitqEncoder = createRabitqEncoder(P, index.exBits, index.metric);
  let lastRotated: Float32Array | null = null;
  const rotate = (prepared: Float32Array): void => {
    if (lastRotated === prepared) return;
    index.rotator.rotate(prepared, rotated);
    for (let i = 0; i < P; i++) rotated32[i] = rotated[i];
    lastRotated = prepared;
  };
  return {
    prepare: (vector) => prepareVector(vector, index.dim, index.metric),
    assign(prepared) {
      rotate(prepared);
      index.matrix.l2(rotated32, dist);
      let best = 0;
      for (let j = 1; j < index.nlist; j++) if (dist[j] < dist[best]) best = j;
      return best;
    },
    encodeInto(builder, seq, prepared, centroidRow) {
      rotate(prepared);
      const c = index.centroids.subarray(centroidRow * P, (centroidRow + 1) * P);
      let cDotR = 0;
      for (let i = 0; i < P; i++) {
        residual[i] = rotated[i] - c[i];
        cDotR += c[i] * residual[i];
      }
      builder.add(seq, encoder.encode(residual, cDotR), builder.withVectors ? prepared : null);
    },
  };
}

export function newBlockBuilder(
  index: Pick<CentroidList, "dim" | "paddedDim" | "exBits" | "metric">,
  clusterId: number,
  withVectors: boolean,
): ClusterBlockBuilder {
  return new ClusterBlockBuilder({
    clusterId,
    dim: index.dim,
    paddedDim: index.paddedDim,
    exBits: index.exBits,
    metric: index.metric,
    withVectors,
  });
}

/**
 * Encodes a batch of new vectors against existing centroids as one delta fragment: a cluster
 * object with one block per touched cluster (ascending ids). Memory: the batch's encoded entries.
 */
export function encodeDeltaFragment(
  index: CentroidIndex,
  records: Iterable<VectorRecord>,
  opts: { withVectors?: boolean } = {},
): { bytes: Uint8Array; locations: ClusterBlockLocation[] } {
  const withVectors = opts.withVectors ?? true;
  const enc = createIvfEncoder(index);
  const builders = new Map<number, ClusterBlockBuilder>();
  for (const r of records) {
    const v = enc.prepare(r.vector);
    const c = enc.assign(v);
    let b = builders.get(c);
    if (!b) {
      b = newBlockBuilder(index, c, withVectors);
      builders.set(c, b);
    }
    enc.encodeInto(b, r.seq, v, c);
  }
  const ids = [...builders.keys()].sort((a, b) => a - b);
  return encodeClusterObject(ids.map((id) => builders.get(id)!.finish()));
}

/** Entries per cluster in a set of blocks (what a centroid list's `sizes` should say). */
export function countEntries(blocks: Iterable<ClusterBlock>): Map<number, number> {
  const m = new Map<number, number>();
  for (const b of blocks) m.set(b.clusterId, (m.get(b.clusterId) ?? 0) + b.count);
  return m;
}
