/**
 * BlobStore over an R2 bucket binding: the only module that touches R2Bucket.
 */
import type { BlobInfo, BlobStore, ByteRange, ListResult } from "./blob-store.ts";

export class R2BlobStore implements BlobStore {
  private readonly bucket: R2Bucket;
  constructor(bucket: R2Bucket) {
    this.bucket = bucket;
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array | null> {
    const obj = await this.bucket.get(key, range ? { range } : undefined);
    if (!obj) return null;
    return new Uint8Array(await obj.arrayBuffer());
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.bucket.put(key, bytes);
  }

  async head(key: string): Promise<BlobInfo | null> {
    const obj = await this.bucket.head(key);
    return obj ? { key, size: obj.size } : null;
  }

  async list(prefix: string, options: { cursor?: string; limit?: number; startAfter?: string } = {}): Promise<ListResult> {
    const res = await this.bucket.list({
      prefix,
      cursor: options.cursor,
      limit: options.limit ?? 1000,
      startAfter: options.startAfter,
    });
    return {
      objects: res.objects.map((o) => ({ key: o.key, size: o.size })),
      cursor: res.truncated ? res.cursor : undefined,
    };
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.bucket.delete(keys);
  }
}
