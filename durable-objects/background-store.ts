/**
 * The blob store a Durable Object's background work (alarm: flush, compaction, vector index,
 * garbage collection, purges) writes and reads through: before every storage operation it waits
 * for `gate` (see src/core/foreground.ts), so requests that arrived meanwhile run first.
 */
import type { BlobInfo, BlobStore, BlobWriter, ByteRange, ListResult } from "../src/storage/blob-store.ts";

export class GatedBlobStore implements BlobStore {
  private readonly inner: () => BlobStore;
  private readonly gate: () => Promise<void> | null;

  /** `inner` is looked up on every call (tests swap the object's store). */
  constructor(inner: () => BlobStore, gate: () => Promise<void> | null) {
    this.inner = inner;
    this.gate = gate;
  }

  private async pass(): Promise<void> {
    const wait = this.gate();
    if (wait) await wait;
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array | null> {
    await this.pass();
    return this.inner().get(key, range);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.pass();
    return this.inner().put(key, bytes);
  }

  createWriter(key: string): BlobWriter {
    const inner = this.inner().createWriter(key);
    return {
      write: async (bytes) => {
        await this.pass();
        return inner.write(bytes);
      },
      close: async () => {
        await this.pass();
        return inner.close();
      },
      abort: () => inner.abort(),
    };
  }

  async head(key: string): Promise<BlobInfo | null> {
    await this.pass();
    return this.inner().head(key);
  }

  async list(prefix: string, options?: { cursor?: string; limit?: number; startAfter?: string }): Promise<ListResult> {
    await this.pass();
    return this.inner().list(prefix, options);
  }

  async delete(keys: string[]): Promise<void> {
    await this.pass();
    return this.inner().delete(keys);
  }
}
