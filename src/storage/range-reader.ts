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
