/**
 * Bounded uniform sample of a stream (Vitter's algorithm R, seeded): the k-means sample of a build
 * and the member sample of a split. Owns only the sampling; memory is `capacity` vectors whatever
 * the stream length.
 */

import { createRng } from "./seeded-rng.ts";

export class VectorReservoir {
  readonly capacity: number;
  readonly dim: number;
  /** Rows; the first `size` are the sample. Grows by doubling up to capacity (small streams stay small). */
  data: Float32Array;
  seqs: Float64Array;
  private seen = 0;
  private readonly rng: ReturnType<typeof createRng>;

  constructor(capacity: number, dim: number, seed: number) {
    this.capacity = Math.max(1, capacity);
    this.dim = dim;
    const initial = Math.min(this.capacity, 1024);
    this.data = new Float32Array(initial * dim);
    this.seqs = new Float64Array(initial);
    this.rng = createRng(seed);
  }

  /** Number of vectors offered so far. */
  get offered(): number {
    return this.seen;
  }

  get size(): number {
    return Math.min(this.seen, this.capacity);
  }

  offer(seq: number, v: ArrayLike<number>): void {
    const i = this.seen++;
    let slot = i;
    if (i >= this.capacity) {
      slot = Math.floor(this.rng.next() * (i + 1));
      if (slot >= this.capacity) return;
    } else if (slot >= this.seqs.length) {
      const rows = Math.min(this.capacity, this.seqs.length * 2);
      const data = new Float32Array(rows * this.dim);
      data.set(this.data);
      this.data = data;
      const seqs = new Float64Array(rows);
      seqs.set(this.seqs);
      this.seqs = seqs;
    }
    for (let d = 0; d < this.dim; d++) this.data[slot * this.dim + d] = v[d];
    this.seqs[slot] = seq;
  }

  /** The sample rows (a view). */
  rows(): Float32Array {
    return this.data.subarray(0, this.size * this.dim);
  }
}
