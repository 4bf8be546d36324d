/**
 * A least-recently-used map bounded by the total byte size of its values (the in-isolate cache tier).
 * Values are immutable objects and parsed headers; callers give each entry's size.
 */

export class ByteLru<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private total = 0;
  readonly capacityBytes: number;

  constructor(capacityBytes: number) {
    this.capacityBytes = capacityBytes;
  }

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.map.delete(key);
    this.map.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, bytes: number): void {
    if (bytes > this.capacityBytes) return;
    const old = this.map.get(key);
    if (old) {
      this.total -= old.bytes;
      this.map.delete(key);
    }
    this.map.set(key, { value, bytes });
    this.total += bytes;
    while (this.total > this.capacityBytes) {
      const oldest = this.map.keys().next().value as string;
      this.total -= this.map.get(oldest)!.bytes;
      this.map.delete(oldest);
    }
  }

  delete(key: string): void {
    const old = this.map.get(key);
    if (old) {
      this.total -= old.bytes;
      this.map.delete(key);
    }
  }

  get sizeBytes(): number {
    return this.total;
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }
}
