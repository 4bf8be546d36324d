/**
 * Exact top-k by brute force over (seq, vector) records: the WAL tail, small segments, and the
 * fallback when a filter is so selective that the approximate index would miss results. Owns the
 * exact path only (float64 reference distances); filters and liveness apply before scoring.
 */

import { CandidateHeap } from "./candidate-heap.ts";
import { type VectorMetric, prepareVector, preparedDistance } from "./distance.ts";
import type { VectorRecord } from "./ivf-encoder.ts";

export interface FlatSearchParams {
  query: ArrayLike<number>;
  k: number;
  metric: VectorMetric;
  dim: number;
  records: Iterable<VectorRecord>;
  /** Records are raw (default) or already prepared (unit length under cosine). */
  prepared?: boolean;
  isLive?: (seq: number) => boolean;
  filter?: (seq: number) => boolean;
}

export function flatSearch(p: FlatSearchParams): { results: { seq: number; distance: number }[]; scanned: number } {
  const q = prepareVector(p.query, p.dim, p.metric);
  const heap = new CandidateHeap(p.k);
  let scanned = 0;
  for (const r of p.records) {
    if ((p.isLive && !p.isLive(r.seq)) || (p.filter && !p.filter(r.seq))) continue;
    const v = p.prepared ? r.vector : prepareVector(r.vector, p.dim, p.metric);
    heap.push(r.seq, preparedDistance(q, v, p.metric));
    scanned++;
  }
  return { results: heap.sorted().map((c) => ({ seq: c.seq, distance: c.distance })), scanned };
}
