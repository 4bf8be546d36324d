/**
 * Assigns vectors to their nearest centroid and encodes them into cluster blocks. Owns the path
 * from a raw (seq, vector) to a block entry: prepare (normalise for cosine) → rotate → nearest
 * centroid → RaBitQ-encode the residual. Used by the build, by delta fragments and by splits.
 */

import { type ClusterBlock, ClusterBlockBuilder } from "./cluster-block.ts";
import { type ClusterBlockLocation, FragmentBuilder } from "./cluster-object.ts";
import type { CentroidIndex, CentroidList } from "./centroid-list.ts";
import { prepareVector } from "./distance.ts";
import { type EntryCode, type RabitqEncoder, createRabitqEncoder } from "./rabitq-encoder.ts";

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
   * The code of the prepared vector against centroid row `centroidRow` of this encoder's index (a
   * split encodes against a small index of just the new centroids); scratch reused by the next call.
   */
  encode(prepared: Float32Array, centroidRow: number): EntryCode;
}

export function createIvfEncoder(index: CentroidIndex): IvfEncoder {
  const P = index.paddedDim;
  const rotated = new Float64Array(P);
  const rotated32 = new Float32Array(P);
  const one = new Int32Array(1);
  const encoder: RabitqEncoder = createRabitqEncoder(P, index.exBits, index.metric, index.kernels);
  let lastRotated: Float32Array | null = null;
  // The rotations of the last assignBatch, so encode does not rotate those vectors again.
  let batch: Float32Array[] = [];
  let batchRotated = new Float64Array(0);
  let batchRotated32 = new Float32Array(0);
  const rotate = (prepared: Float32Array): void => {
    if (lastRotated === prepared) return;
    const k = batch.indexOf(prepared);
    if (k >= 0) rotated.set(batchRotated.subarray(k * P, (k + 1) * P));
    else index.rotator.rotate(prepared, rotated);
    lastRotated = prepared;
  };
  return {
    prepare: (vector) => prepareVector(vector, index.dim, index.metric),
    assign(prepared) {
      rotate(prepared);
      rotated32.set(rotated);
      index.matrix.nearest(rotated32, 1, one);
      return one[0];
    },
    assignBatch(prepared, out) {
      const n = prepared.length;
      if (batchRotated.length < n * P) {
        batchRotated = new Float64Array(n * P);
        batchRotated32 = new Float32Array(n * P);
      }
      for (let k = 0; k < n; k++) index.rotator.rotate(prepared[k], batchRotated.subarray(k * P, (k + 1) * P));
      batchRotated32.set(batchRotated.subarray(0, n * P));
      batch = prepared.slice();
      lastRotated = null;
      index.matrix.nearest(batchRotated32, n, out);
    },
    encode(prepared, centroidRow) {
      rotate(prepared);
      return encoder.encode(rotated, index.centroids.subarray(centroidRow * P, (centroidRow + 1) * P));
    },
  };
}

type IndexParams = Pick<CentroidList, "dim" | "paddedDim" | "exBits" | "metric">;

export function newBlockBuilder(index: IndexParams, clusterId: number, withVectors: boolean): ClusterBlockBuilder {
  const { dim, paddedDim, exBits, metric } = index;
  return new ClusterBlockBuilder({ clusterId, dim, paddedDim, exBits, metric, withVectors });
}

export function newFragmentBuilder(index: IndexParams, withVectors: boolean): FragmentBuilder {
  const { dim, paddedDim, exBits, metric } = index;
  return new FragmentBuilder({ dim, paddedDim, exBits, metric, withVectors });
}

/** Vectors assigned together (F32Matrix.nearest serves several queries per pass over the centroids). */
export const ASSIGN_BATCH = 16;

/**
 * Encodes a batch of new vectors against existing centroids as one delta fragment: a cluster
 * object with one block per touched cluster (ascending ids). Memory: the batch's encoded entries.
 */
export function encodeDeltaFragment(
  index: CentroidIndex,
  records: Iterable<VectorRecord>,
  opts: { withVectors?: boolean; onEncoded?: (seq: number, prepared: Float32Array, clusterId: number) => void } = {},
): { bytes: Uint8Array; locations: ClusterBlockLocation[] } {
  const enc = createIvfEncoder(index);
  const fragment = newFragmentBuilder(index, opts.withVectors ?? true);
  const pending: VectorRecord[] = [];
  const clusters = new Int32Array(ASSIGN_BATCH);
  const encodePending = (): void => {
    const prepared = pending.map((r) => enc.prepare(r.vector));
    enc.assignBatch(prepared, clusters);
    for (let k = 0; k < pending.length; k++) {
      fragment.addTo(clusters[k], pending[k].seq, enc.encode(prepared[k], clusters[k]), prepared[k]);
      opts.onEncoded?.(pending[k].seq, prepared[k], clusters[k]);
    }
    pending.length = 0;
  };
  for (const r of records) {
    pending.push(r);
    if (pending.length === ASSIGN_BATCH) encodePending();
  }
  encodePending();
  return fragment.finishObject();
}

/** Entries per cluster in a set of blocks (what a centroid list's `sizes` should say). */
export function countEntries(blocks: Iterable<ClusterBlock>): Map<number, number> {
  const m = new Map<number, number>();
  for (const b of blocks) m.set(b.clusterId, (m.get(b.clusterId) ?? 0) + b.count);
  return m;
}
