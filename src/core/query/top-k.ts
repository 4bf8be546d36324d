/**
 * A bounded collector of the k best candidates (smallest score first, ties by key) as a binary
 * max-heap on the worst kept candidate: O(log k) per offer, memory O(k).
 */

export interface Scored<T> {
  score: number;
  /** Tie-breaker giving a total, deterministic order (e.g. the id key). */
  key: string;
  item: T;
}

function worse<T>(a: Scored<T>, b: Scored<T>): boolean {
  return a.score > b.score || (a.score === b.score && a.key > b.key);
}

export class TopK<T> {
  private readonly heap: Scored<T>[] = [];
  readonly k: number;

  constructor(k: number) {
    this.k = k;
  }

  get size(): number {
    return this.heap.length;
  }

  /** The score a candidate must beat to enter (Infinity until k are kept). */
  get threshold(): number {
    return this.heap.length < this.k ? Infinity : this.heap[0].score;
  }

  offer(score: number, key: string, item: T): boolean {
    if (this.k <= 0) return false;
    const c = { score, key, item };
    const h = this.heap;
    if (h.length < this.k) {
      h.push(c);
      this.up(h.length - 1);
      return true;
    }
    if (!worse(h[0], c)) return false;
    h[0] = c;
    this.down(0);
    return true;
  }

  /** The kept candidates, best first. */
  sorted(): Scored<T>[] {
    return [...this.heap].sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(h[i], h[p])) break;
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
      if (l < h.length && worse(h[l], h[m])) m = l;
      if (r < h.length && worse(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
