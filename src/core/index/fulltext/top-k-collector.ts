/**
 * A bounded top-k collector shared by every source of one query (segments and the WAL tail), so that a
 * segment searched later prunes against the best scores found so far. Order: score descending, then seq
 * ascending; the ordering is total, so results never depend on search order. It does not score.
 */
import { BoundedHeap } from "../../query/top-k.ts";

export interface ScoredDoc {
  seq: number;
  score: number;
  /** Ordinal (row number) in the source segment; −1 for WAL-tail documents. */
  ord: number;
  /** Caller-chosen id of the source (e.g. the segment's index in the manifest; −1 for the tail). */
  source: number;
}

/** True when a ranks strictly before b. */
export function ranksBefore(a: { score: number; seq: number }, b: { score: number; seq: number }): boolean {
  return a.score > b.score || (a.score === b.score && a.seq < b.seq);
}

function byRank(a: ScoredDoc, b: ScoredDoc): number {
  return ranksBefore(a, b) ? -1 : ranksBefore(b, a) ? 1 : 0;
}

export class TopKCollector {
  private readonly heap: BoundedHeap<ScoredDoc>;

  constructor(k: number) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`top-k: k must be a positive integer, got ${k}`);
    this.heap = new BoundedHeap(k, byRank);
  }

  get k(): number {
    return this.heap.k;
  }

  get size(): number {
    return this.heap.size;
  }

  /** Score a new document must reach (ties then go by seq); −Infinity until k documents are held. */
  get threshold(): number {
    return this.heap.worst?.score ?? -Infinity;
  }

  /** Offers a document; returns true when it was kept. */
  offer(seq: number, score: number, ord: number, source: number): boolean {
    // Reject before allocating: most offers in a scoring loop lose.
    const worst = this.heap.worst;
    if (worst && !(score > worst.score || (score === worst.score && seq < worst.seq))) return false;
    return this.heap.offer({ seq, score, ord, source });
  }

  /** The kept documents, best first. */
  results(): ScoredDoc[] {
    return this.heap.sorted();
  }
}
