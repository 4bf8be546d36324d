/**
 * Bounded max-heap of the best `capacity` candidates by distance (smallest kept), with a payload
 * (block index, entry) so a rerank can find the entry again. Owns top-k collection for the vector
 * scan only; ties break on the smaller seq so results are deterministic.
 */

export interface Candidate {
  seq: number;
  distance: number;
  /** Index of the block in the search's block list and entry inside it (−1 when unknown). */
  block: number;
  entry: number;
}

export class CandidateHeap {
  readonly capacity: number;
  private size = 0;
  private readonly dist: Float64Array;
  private readonly seq: Float64Array;
  private readonly block: Int32Array;
  private readonly entry: Int32Array;

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
    this.dist = new Float64Array(this.capacity);
    this.seq = new Float64Array(this.capacity);
    this.block = new Int32Array(this.capacity);
    this.entry = new Int32Array(this.capacity);
  }

  get length(): number {
    return this.size;
  }

  clear(): void {
    this.size = 0;
  }

  /** Distance a new candidate must beat to enter (Infinity until full). */
  threshold(): number {
    return this.size < this.capacity ? Infinity : this.dist[0];
  }

  private worse(i: number, j: number): boolean {
    return this.dist[i] > this.dist[j] || (this.dist[i] === this.dist[j] && this.seq[i] > this.seq[j]);
  }

  private swap(i: number, j: number): void {
    const d = this.dist[i];
    this.dist[i] = this.dist[j];
    this.dist[j] = d;
    const s = this.seq[i];
    this.seq[i] = this.seq[j];
    this.seq[j] = s;
    const b = this.block[i];
    this.block[i] = this.block[j];
    this.block[j] = b;
    const e = this.entry[i];
    this.entry[i] = this.entry[j];
    this.entry[j] = e;
  }

  push(seq: number, distance: number, block = -1, entry = -1): boolean {
    if (this.size === this.capacity) {
      if (distance > this.dist[0] || (distance === this.dist[0] && seq >= this.seq[0])) return false;
      this.dist[0] = distance;
      this.seq[0] = seq;
      this.block[0] = block;
      this.entry[0] = entry;
      this.siftDown(0);
      return true;
    }
    let i = this.size++;
    this.dist[i] = distance;
    this.seq[i] = seq;
    this.block[i] = block;
    this.entry[i] = entry;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.worse(i, p)) break;
      this.swap(i, p);
      i = p;
    }
    return true;
  }

  private siftDown(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) return;
      let c = l;
      if (l + 1 < this.size && this.worse(l + 1, l)) c = l + 1;
      if (!this.worse(c, i)) return;
      this.swap(c, i);
      i = c;
    }
  }

  /** The candidates, best first. */
  sorted(): Candidate[] {
    const out: Candidate[] = [];
    for (let i = 0; i < this.size; i++) {
      out.push({ seq: this.seq[i], distance: this.dist[i], block: this.block[i], entry: this.entry[i] });
    }
    return out.sort((a, b) => a.distance - b.distance || a.seq - b.seq);
  }
}
