/**
 * A bounded top-k collector shared by every source of one query (segments and the WAL tail), so that a
 * segment searched later prunes against the best scores found so far. Order: score descending, then seq
 * ascending; the ordering is total, so results never depend on search order. It does not score.
 */

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

export class TopKCollector {
  readonly k: number;
  /** Min-heap on rank: heap[0] is the worst kept document. */
  private readonly heap: ScoredDoc[] = [];

  constructor(k: number) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`top-k: k must be a positive integer, got ${k}`);
    this.k = k;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Score a new document must reach (ties then go by seq); −Infinity until k documents are held. */
  get threshold(): number {
    return this.heap.length < this.k ? -Infinity : this.heap[0].score;
  }

  /** Offers a document; returns true when it was kept. */
  offer(seq: number, score: number, ord: number, source: number): boolean {
    const heap = this.heap;
    if (heap.length < this.k) {
      heap.push({ seq, score, ord, source });
      this.up(heap.length - 1);
      return true;
    }
    const worst = heap[0];
    if (!(score > worst.score || (score === worst.score && seq < worst.seq))) return false;
    heap[0] = { seq, score, ord, source };
    this.down(0);
    return true;
  }

  /** The kept documents, best first. */
  results(): ScoredDoc[] {
    return [...this.heap].sort((a, b) => (ranksBefore(a, b) ? -1 : ranksBefore(b, a) ? 1 : 0));
  }

  private worse(i: number, j: number): boolean {
    return ranksBefore(this.heap[j], this.heap[i]);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.worse(i, p)) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.worse(l, m)) m = l;
      if (r < h.length && this.worse(r, m)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
