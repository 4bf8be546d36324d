/**
 * The byte-range view of one immutable object (hyparquet's AsyncBuffer shape). Readers of Parquet
 * segments and of our own index blobs take a RangeReader, so every read goes through one cache path.
 */

export interface RangeReader {
  /** Total size of the object in bytes. */
  readonly byteLength: number;
  /** Bytes [start, end) of the object; `end` defaults to byteLength. */
  slice(start: number, end?: number): Promise<ArrayBuffer>;
}

/** A RangeReader over bytes already in memory (tests, benchmarks, freshly written blobs). */
export function memoryRangeReader(bytes: Uint8Array): RangeReader {
  return {
    byteLength: bytes.byteLength,
    async slice(start: number, end = bytes.byteLength): Promise<ArrayBuffer> {
      return bytes.slice(start, end).buffer as ArrayBuffer;
    },
  };
}

/** A RangeReader reading straight from a BlobStore (no caching: the Durable Object's occasional reads). */
export function blobRangeReader(store: { get(key: string, range?: { offset: number; length: number }): Promise<Uint8Array | null> }, key: string, size: number): RangeReader {
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      const bytes = await store.get(key, { offset: start, length: Math.max(0, Math.min(end, size) - start) });
      if (!bytes) throw new Error(`storage: object ${key} is missing`);
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.slice().buffer as ArrayBuffer);
    },
  };
}
