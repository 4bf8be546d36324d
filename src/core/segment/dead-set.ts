/**
 * The set of dead row versions a query must skip: the manifest's deletion files (one sorted array,
 * built once per manifest version and cached) plus the versions the unflushed WAL tail supersedes.
 */

export class DeadSet {
  private readonly sorted: Float64Array;
  private readonly extra: Set<number> | null;

  constructor(sorted: Float64Array, extra: Set<number> | null = null) {
    this.sorted = sorted;
    this.extra = extra && extra.size > 0 ? extra : null;
  }

  static empty(): DeadSet {
    return new DeadSet(new Float64Array(0));
  }

  /** Merges sorted arrays into one sorted, de-duplicated set. */
  static union(parts: Float64Array[]): DeadSet {
    if (parts.length === 1) return new DeadSet(parts[0]);
    let total = 0;
    for (const p of parts) total += p.length;
    const all = new Float64Array(total);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    all.sort();
    let n = 0;
    for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[n++] = all[i];
    return new DeadSet(all.subarray(0, n));
  }

  /** This set plus a few more dead versions (the tail's), sharing the sorted array. */
  with(extra: Iterable<number>): DeadSet {
    return new DeadSet(this.sorted, new Set(extra));
  }

  get size(): number {
    return this.sorted.length + (this.extra?.size ?? 0);
  }

  has(seq: number): boolean {
    if (this.extra?.has(seq)) return true;
    const a = this.sorted;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = a[mid];
      if (v === seq) return true;
      if (v < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** The versions in the set, ascending. */
  values(): number[] {
    if (!this.extra) return Array.from(this.sorted);
    return [...new Set([...this.sorted, ...this.extra])].sort((a, b) => a - b);
  }

  /** The dead versions within [min, max] (one segment's range), as a Set. */
  inRange(min: number, max: number): Set<number> {
    const a = this.sorted;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] < min) lo = mid + 1;
      else hi = mid;
    }
    const out = new Set<number>();
    for (let i = lo; i < a.length && a[i] <= max; i++) out.add(a[i]);
    if (this.extra) for (const s of this.extra) if (s >= min && s <= max) out.add(s);
    return out;
  }

  get byteSize(): number {
    return this.sorted.byteLength;
  }
}
