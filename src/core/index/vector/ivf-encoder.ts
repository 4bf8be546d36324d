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
   * assign for several prepared vectors at once (the same answers, faster: one pass over the
   * centroids serves several vectors); keeps their rotations for encodeInto.
   */
  assignBatch(prepared: Float32Array[], out: Int32Array): void;
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
  // The rotations of the last assignBatch, so encodeInto does not rotate those vectors again.
  let batch: Float32Array[] = [];
  let batchRotated = new Float64Array(0);
  let batchRotated32 = new Float32Array(0);
  let batchDist = new Float32Array(0);
  const rotate = (prepared: Float32Array): void => {
    if (lastRotated === prepared) return;
    const k = batch.indexOf(prepared);
    if (k >= 0) {
      rotated.set(batchRotated.subarray(k * P, (k + 1) * P));
    } else {
      index.rotator.rotate(prepared, rotated);
    }
    for (let i = 0; i < P; i++) rotated32[i] = rotated[i];
    lastRotated = prepared;
  };
  const nearest = (d: Float32Array, off: number): number => {
    let best = 0;
    for (let j = 1; j < index.nlist; j++) if (d[off + j] < d[off + best]) best = j;
    return best;
  };
  return {
    prepare: (vector) => prepareVector(vector, index.dim, index.metric),
    assign(prepared) {
      rotate(prepared);
      index.matrix.l2(rotated32, dist);
      return nearest(dist, 0);
    },
    assignBatch(prepared, out) {
      const n = prepared.length;
      if (batchRotated.length < n * P) {
        batchRotated = new Float64Array(n * P);
        batchRotated32 = new Float32Array(n * P);
        batchDist = new Float32Array(n * index.nlist);
      }
      for (let k = 0; k < n; k++) {
        const r = batchRotated.subarray(k * P, (k + 1) * P);
        index.rotator.rotate(prepared[k], r);
        for (let i = 0; i < P; i++) batchRotated32[k * P + i] = r[i];
      }
      batch = prepared.slice();
      lastRotated = null;
      index.matrix.l2Batch(batchRotated32, n, batchDist);
      for (let k = 0; k < n; k++) out[k] = nearest(batchDist, k * index.nlist);
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
/** Vectors assigned together (F32Matrix.l2Batch serves several queries per pass over the centroids). */
export const ASSIGN_BATCH = 16;

export function encodeDeltaFragment(
  index: CentroidIndex,
  records: Iterable<VectorRecord>,
  opts: { withVectors?: boolean; onEncoded?: (seq: number, prepared: Float32Array, clusterId: number) => void } = {},
): { bytes: Uint8Array; locations: ClusterBlockLocation[] } {
  const withVectors = opts.withVectors ?? true;
  const enc = createIvfEncoder(index);
  const builders = new Map<number, ClusterBlockBuilder>();
  const pending: VectorRecord[] = [];
  const clusters = new Int32Array(ASSIGN_BATCH);
  const encodePending = (): void => {
    const prepared = pending.map((r) => enc.prepare(r.vector));
    enc.assignBatch(prepared, clusters);
    for (let k = 0; k < pending.length; k++) {
      const c = clusters[k];
      let b = builders.get(c);
      if (!b) {
        b = newBlockBuilder(index, c, withVectors);
        builders.set(c, b);
      }
      enc.encodeInto(b, pending[k].seq, prepared[k], c);
      opts.onEncoded?.(pending[k].seq, prepared[k], c);
    }
    pending.length = 0;
  };
  for (const r of records) {
    pending.push(r);
    if (pending.length === ASSIGN_BATCH) encodePending();
  }
  encodePending();
  const ids = [...builders.keys()].sort((a, b) => a - b);
  return encodeClusterObject(ids.map((id) => builders.get(id)!.finish()));
}

/** Entries per cluster in a set of blocks (what a centroid list's `sizes` should say). */
export function countEntries(blocks: Iterable<ClusterBlock>): Map<number, number> {
  const m = new Map<number, number>();
  for (const b of blocks) m.set(b.clusterId, (m.get(b.clusterId) ?? 0) + b.count);
  return m;
}
