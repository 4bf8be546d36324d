/**
 * An in-memory BlobStore (the tantivy RamDirectory analogue) for Node benchmarks of the core.
 * A real implementation with R2's semantics for get/put/list/delete, not a mock.
 */
import type { BlobInfo, BlobStore, BlobWriter, ByteRange, ListResult } from "./blob-store.ts";

export class MemoryBlobStore implements BlobStore {
  private readonly objects = new Map<string, Uint8Array>();
  private readonly uploaded = new Map<string, number>();

  async get(key: string, range?: ByteRange): Promise<Uint8Array | null> {
    const obj = this.objects.get(key);
    if (!obj) return null;
    if (!range) return obj.slice();
    return obj.slice(range.offset, range.offset + range.length);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.objects.set(key, bytes.slice());
    this.uploaded.set(key, Date.now());
  }

  createWriter(key: string): BlobWriter {
    const chunks: Uint8Array[] = [];
    return {
      write: async (bytes) => void chunks.push(bytes.slice()),
      close: async () => {
        const total = chunks.reduce((n, c) => n + c.byteLength, 0);
        const out = new Uint8Array(total);
        let off = 0;
        for (const c of chunks) {
          out.set(c, off);
          off += c.byteLength;
        }
        this.objects.set(key, out);
        this.uploaded.set(key, Date.now());
        return total;
      },
      abort: async () => void (chunks.length = 0),
    };
  }

  async head(key: string): Promise<BlobInfo | null> {
    const obj = this.objects.get(key);
    return obj ? { key, size: obj.byteLength } : null;
  }

  async list(prefix: string, options: { cursor?: string; limit?: number; startAfter?: string } = {}): Promise<ListResult> {
    const limit = options.limit ?? 1000;
    const after = options.cursor ?? options.startAfter ?? "";
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, limit);
    return {
      objects: page.map((key) => ({ key, size: this.objects.get(key)!.byteLength, uploaded: this.uploaded.get(key) })),
      cursor: keys.length > limit ? page[page.length - 1] : undefined,
    };
  }

  async delete(keys: string[]): Promise<void> {
    for (const k of keys) {
      this.objects.delete(k);
      this.uploaded.delete(k);
    }
  }
}
