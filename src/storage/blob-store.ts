/**
 * The small object-storage interface the engine writes and reads through (R2 in production,
 * memory in Node benchmarks). Caching is a separate layer (object-cache.ts).
 */

export interface ByteRange {
  offset: number;
  length: number;
}

export interface BlobInfo {
  key: string;
  size: number;
  /** When the object was written (epoch ms), where the store reports it (listings do). */
  uploaded?: number;
}

export interface ListResult {
  objects: BlobInfo[];
  /** Pass back to continue; absent on the last page. */
  cursor?: string;
}

/**
 * Writes one object piece by piece (large segments are streamed, never held whole). Nothing is
 * visible under the key until close() resolves.
 */
export interface BlobWriter {
  write(bytes: Uint8Array): Promise<void>;
  /** Completes the object; returns its size. */
  close(): Promise<number>;
  /** Abandons the object (best effort). */
  abort(): Promise<void>;
}

export interface BlobStore {
  get(key: string, range?: ByteRange): Promise<Uint8Array | null>;
  put(key: string, bytes: Uint8Array): Promise<void>;
  createWriter(key: string): BlobWriter;
  head(key: string): Promise<BlobInfo | null>;
  list(prefix: string, options?: { cursor?: string; limit?: number; startAfter?: string }): Promise<ListResult>;
  /** Deletes up to 1000 keys; missing keys are fine. */
  delete(keys: string[]): Promise<void>;
}
