/**
 * Bounded collectors of the k best items: a generic heap ordered by a comparator, and TopK, the
 * numeric one (smallest score first, ties by key). O(log k) per offer, memory O(k).
 */

/** A bounded max-heap on "worst kept": `compare(a, b) < 0` when a ranks before b. */
export class BoundedHeap<T> {
  private readonly heap: T[] = [];
  readonly k: number;
  private readonly compare: (a: T, b: T) => number;

  constructor(k: number, compare: (a: T, b: T) => number) {
    this.k = k;
    this.compare = compare;
  }

  get size(): number {
    return this.heap.length;
  }

  /** The worst kept item once k are kept, else undefined. */
  get worst(): T | undefined {
    return this.heap.length < this.k ? undefined : this.heap[0];
  }

  offer(item: T): boolean {
    if (this.k <= 0) return false;
    const h = this.heap;
    if (h.length < this.k) {
      h.push(item);
      this.up(h.length - 1);
      return true;
    }
    if (this.compare(item, h[0]) >= 0) return false;
    h[0] = item;
    this.down(0);
    return true;
  }

  /** The kept items, best first. */
  sorted(): T[] {
    return [...this.heap].sort(this.compare);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.compare(h[i], h[p]) <= 0) break;
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
      if (l < h.length && this.compare(h[l], h[m]) > 0) m = l;
      if (r < h.length && this.compare(h[r], h[m]) > 0) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

export interface Scored<T> {
  score: number;
  /** Tie-breaker giving a total, deterministic order (e.g. the id key). */
  key: string;
  item: T;
}

function byScoreThenKey<T>(a: Scored<T>, b: Scored<T>): number {
  return a.score - b.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** The k smallest scores (ties by key). */
export class TopK<T> {
  private readonly heap: BoundedHeap<Scored<T>>;

  constructor(k: number) {
    this.heap = new BoundedHeap<Scored<T>>(k, byScoreThenKey);
  }

  get k(): number {
    return this.heap.k;
  }

  get size(): number {
    return this.heap.size;
  }

  /** The score a candidate must beat to enter (Infinity until k are kept). */
  get threshold(): number {
    return this.heap.worst?.score ?? Infinity;
  }

  offer(score: number, key: string, item: T): boolean {
    return this.heap.offer({ score, key, item });
  }

  /** The kept candidates, best first. */
  sorted(): Scored<T>[] {
    return this.heap.sorted();
  }
}
