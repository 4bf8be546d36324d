/**
 * Fault injection for crash-safety tests: a BlobStore wrapper that fails chosen operations and
 * named crash points inside flush and compaction. Production code calls `hit()`, which is a no-op
 * unless a test armed a fault through `runInDurableObject`.
 */
import type { BlobInfo, BlobStore, BlobWriter, ByteRange, ListResult } from "../src/storage/blob-store.ts";

export type FaultPoint =
  | "flush:after-plan"
  | "flush:after-segment"
  | "flush:after-deletes"
  | "flush:after-manifest"
  | "flush:before-commit"
  | "compaction:after-plan"
  | "compaction:after-segment"
  | "compaction:after-fts"
  | "compaction:after-deletes"
  | "compaction:after-manifest"
  | "compaction:before-commit"
  | "gc:after-delete"
  | "vector:before-manifest"
  | "vector:before-commit"
  | "vector:build-started"
  | "vector:build-encoded"
  | "vector:build-merged";

export class Faults {
  private readonly points = new Set<string>();
  /** Keys (substring match) whose next put fails once. */
  private readonly failPuts: string[] = [];

  arm(point: FaultPoint): void {
    this.points.add(point);
  }

  failNextPut(keyContains: string): void {
    this.failPuts.push(keyContains);
  }

  /** Faults armed that have not fired yet. */
  get pending(): number {
    return this.points.size + this.failPuts.length;
  }

  clear(): void {
    this.points.clear();
    this.failPuts.length = 0;
  }

  /** Throws once at an armed point (the fault disarms itself, as a crash does not repeat). */
  hit(point: FaultPoint): void {
    if (this.points.delete(point)) throw new Error(`injected fault at ${point}`);
  }

  checkPut(key: string): void {
    const i = this.failPuts.findIndex((s) => key.includes(s));
    if (i >= 0) {
      this.failPuts.splice(i, 1);
      throw new Error(`injected put failure for ${key}`);
    }
  }
}

export class FaultyBlobStore implements BlobStore {
  private readonly inner: BlobStore;
  private readonly faults: Faults;
  constructor(inner: BlobStore, faults: Faults) {
    this.inner = inner;
    this.faults = faults;
  }
  get(key: string, range?: ByteRange): Promise<Uint8Array | null> {
    return this.inner.get(key, range);
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.faults.checkPut(key);
    return this.inner.put(key, bytes);
  }
  createWriter(key: string): BlobWriter {
    const inner = this.inner.createWriter(key);
    return {
      write: (bytes) => inner.write(bytes),
      close: async () => {
        this.faults.checkPut(key);
        return inner.close();
      },
      abort: () => inner.abort(),
    };
  }
  head(key: string): Promise<BlobInfo | null> {
    return this.inner.head(key);
  }
  list(prefix: string, options?: { cursor?: string; limit?: number; startAfter?: string }): Promise<ListResult> {
    return this.inner.list(prefix, options);
  }
  delete(keys: string[]): Promise<void> {
    return this.inner.delete(keys);
  }
}
