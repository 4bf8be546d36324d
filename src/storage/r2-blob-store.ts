/**
 * BlobStore over an R2 bucket binding: the only module that touches R2Bucket.
 */
import type { BlobInfo, BlobStore, BlobWriter, ByteRange, ListResult } from "./blob-store.ts";

/** R2 multipart parts must be ≥ 5 MiB and all but the last of equal size. */
export const MULTIPART_PART_BYTES = 8 << 20;

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

  createWriter(key: string): BlobWriter {
    return new R2BlobWriter(this.bucket, key);
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
      objects: res.objects.map((o) => ({ key: o.key, size: o.size, uploaded: o.uploaded.getTime() })),
      cursor: res.truncated ? res.cursor : undefined,
    };
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.bucket.delete(keys);
  }
}

/**
 * Streams an object into R2: small objects become one put at close; larger ones a multipart upload
 * of equal-sized parts. At most one part is buffered.
 */
class R2BlobWriter implements BlobWriter {
  private readonly bucket: R2Bucket;
  private readonly key: string;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private total = 0;
  private upload: R2MultipartUpload | null = null;
  private readonly parts: R2UploadedPart[] = [];

  constructor(bucket: R2Bucket, key: string) {
    this.bucket = bucket;
    this.key = key;
  }

  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const head = this.chunks[0];
      const k = Math.min(head.byteLength, n - off);
      out.set(head.subarray(0, k), off);
      off += k;
      if (k === head.byteLength) this.chunks.shift();
      else this.chunks[0] = head.subarray(k);
    }
    this.buffered -= n;
    return out;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength === 0) return;
    this.chunks.push(bytes.slice());
    this.buffered += bytes.byteLength;
    this.total += bytes.byteLength;
    while (this.buffered >= MULTIPART_PART_BYTES + 1) {
      this.upload ??= await this.bucket.createMultipartUpload(this.key);
      const part = this.take(MULTIPART_PART_BYTES);
      this.parts.push(await this.upload.uploadPart(this.parts.length + 1, part));
    }
  }

  async close(): Promise<number> {
    const rest = this.take(this.buffered);
    if (!this.upload) {
      await this.bucket.put(this.key, rest);
      return this.total;
    }
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, rest));
    await this.upload.complete(this.parts);
    return this.total;
  }

  async abort(): Promise<void> {
    this.chunks = [];
    if (this.upload) await this.upload.abort().catch(() => {});
  }
}
