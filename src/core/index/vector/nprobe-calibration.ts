/**
 * Automatic nprobe: during the build's streaming pass, exact top-k neighbours of a few sampled
 * data points ("calibration queries") are tracked together with the cluster each neighbour went
 * to; afterwards, the smallest nprobe whose probed clusters hold the target share of those
 * neighbours becomes the index default. Owns that bookkeeping; not the search.
 *
 * The probe target is stricter than the recall target (half the miss budget) because quantization
 * without a rerank loses another ~1–2 % (measured, docs/vector-index.md); real queries may also sit
 * off the data distribution, so a safety factor scales the result.
 */

import type { CentroidIndex } from "./centroid-list.ts";
import { CandidateHeap } from "./candidate-heap.ts";
import type { VectorMetric } from "./distance.ts";
import type { F32Matrix, VectorKernels } from "./kernels.ts";
import { rankCentroids } from "./ivf-search.ts";

export const CALIBRATION_K = 10;
/** Share of the recall miss budget left for probing (the rest is for quantization). */
const PROBE_MISS_SHARE = 0.2;
/** Multiplier on the measured nprobe for queries unlike the data. */
const NPROBE_SAFETY = 1.25;

/** A calibrator's progress: each query's neighbours so far and their clusters (JSON-serializable). */
export interface CalibratorState {
  neighbours: { seq: number; distance: number; cluster: number }[][];
}

export class NprobeCalibrator {
  readonly queries: Float32Array[];
  readonly querySeqs: number[];
  private readonly metric: VectorMetric;
  private readonly heaps: CandidateHeap[];
  private readonly clusterOf = new Map<number, number>();
  private readonly matrix: F32Matrix | null;
  private readonly dist: Float32Array;

  constructor(queries: Float32Array[], querySeqs: number[], metric: VectorMetric, kernels: VectorKernels, from?: CalibratorState) {
    this.queries = queries;
    this.querySeqs = querySeqs;
    this.metric = metric;
    this.heaps = queries.map(() => new CandidateHeap(CALIBRATION_K));
    from?.neighbours.forEach((list, q) => {
      for (const n of list) {
        this.heaps[q].push(n.seq, n.distance);
        this.clusterOf.set(n.seq, n.cluster);
      }
    });
    const dim = queries.length > 0 ? queries[0].length : 0;
    const all = new Float32Array(queries.length * dim);
    queries.forEach((q, i) => all.set(q, i * dim));
    this.matrix = queries.length > 0 ? kernels.createMatrix(all, queries.length, dim) : null;
    this.dist = new Float32Array(queries.length);
  }

  /** Offers one prepared data vector and the cluster it was assigned to (float32 distances). */
  offer(seq: number, prepared: Float32Array, clusterId: number): void {
    if (this.matrix === null) return;
    const d = this.dist;
    if (this.metric === "euclidean_squared") {
      this.matrix.l2(prepared, d);
    } else {
      this.matrix.dot(prepared, d);
      for (let q = 0; q < d.length; q++) d[q] = this.metric === "cosine" ? 1 - d[q] : -d[q];
    }
    for (let q = 0; q < d.length; q++) {
      if (seq === this.querySeqs[q]) continue;
      if (d[q] < this.heaps[q].threshold() && this.heaps[q].push(seq, d[q])) this.clusterOf.set(seq, clusterId);
    }
  }

  /** The neighbours tracked so far, to continue in another calibrator (a build resumed later). */
  snapshot(): CalibratorState {
    return { neighbours: this.heaps.map((h) => h.sorted().map((c) => ({ seq: c.seq, distance: c.distance, cluster: this.clusterOf.get(c.seq) ?? -1 }))) };
  }

  /** Mean share of true neighbours inside the first `np` probed clusters, for np = 1..nlist. */
  probeRecallCurve(index: CentroidIndex): Float64Array {
    const curve = new Float64Array(index.nlist + 1);
    let used = 0;
    for (let q = 0; q < this.queries.length; q++) {
      const nn = this.heaps[q].sorted();
      if (nn.length === 0) continue;
      used++;
      const rotated = index.rotator.rotate(this.queries[q], new Float64Array(index.paddedDim));
      const order = rankCentroids(index, rotated, index.nlist);
      const rank = new Map<number, number>();
      order.forEach((c, i) => rank.set(c, i));
      const hitsAt = new Float64Array(index.nlist + 1);
      for (const n of nn) hitsAt[(rank.get(this.clusterOf.get(n.seq) ?? -1) ?? index.nlist - 1) + 1] += 1 / nn.length;
      let acc = 0;
      for (let np = 1; np <= index.nlist; np++) {
        acc += hitsAt[np];
        curve[np] += acc;
      }
    }
    if (used > 0) for (let np = 1; np <= index.nlist; np++) curve[np] /= used;
    return curve;
  }

  /** Default nprobe for a recall target. */
  chooseNprobe(index: CentroidIndex, targetRecall: number): number {
    if (this.queries.length === 0) return Math.max(1, Math.ceil(index.nlist / 16));
    const curve = this.probeRecallCurve(index);
    const probeTarget = 1 - (1 - targetRecall) * PROBE_MISS_SHARE;
    let np = index.nlist;
    for (let i = 1; i <= index.nlist; i++) {
      if (curve[i] >= probeTarget - 1e-9) {
        np = i;
        break;
      }
    }
    return Math.min(index.nlist, Math.max(1, Math.ceil(np * NPROBE_SAFETY)));
  }
}
