/**
 * The read path for immutable objects: in-isolate LRU → Cache API (edge) → object storage.
 * Whole small objects are cached as such; large ones in fixed-size blocks so range reads
 * (Parquet pages, index clusters) hit the cache too. Keys are never reused, so nothing expires.
 */
import type { BlobStore } from "./blob-store.ts";
import type { IoStats } from "./io-stats.ts";
import { ByteLru } from "./lru.ts";
import type { RangeReader } from "./range-reader.ts";

export const CACHE_BLOCK_BYTES = 512 << 10;

/** The per-data-centre tier (Cache API in Workers). */
export interface EdgeCache {
  match(key: string): Promise<Uint8Array | null>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

export interface ObjectCacheOptions {
  store: BlobStore;
  memory: ByteLru<Uint8Array>;
  edge?: EdgeCache | null;
  /** Runs a promise after the response (ctx.waitUntil); defaults to fire-and-forget. */
  defer?: (p: Promise<unknown>) => void;
}

export class ObjectCache {
  private readonly store: BlobStore;
  private readonly memory: ByteLru<Uint8Array>;
  private readonly edge: EdgeCache | null;
  private readonly defer: (p: Promise<unknown>) => void;

  constructor(options: ObjectCacheOptions) {
    this.store = options.store;
    this.memory = options.memory;
    this.edge = options.edge ?? null;
    this.defer = options.defer ?? ((p) => void p.catch(() => {}));
  }

  /** A whole immutable object, or null if it does not exist. */
  async getObject(key: string, stats: IoStats): Promise<Uint8Array | null> {
    stats.objectReads++;
    const mem = this.memory.get(key);
    if (mem) {
      stats.memoryHits++;
      stats.bytesRead += mem.byteLength;
      return mem;
    }
    if (this.edge) {
      const hit = await this.edge.match(key);
      if (hit) {
        stats.edgeHits++;
        stats.bytesRead += hit.byteLength;
        this.memory.set(key, hit, hit.byteLength);
        return hit;
      }
    }
    const bytes = await this.store.get(key);
    if (!bytes) return null;
    stats.storageReads++;
    stats.storageBytes += bytes.byteLength;
    stats.bytesRead += bytes.byteLength;
    this.memory.set(key, bytes, bytes.byteLength);
    if (this.edge) this.defer(this.edge.put(key, bytes));
    return bytes;
  }

  /**
   * A RangeReader over an object of known size whose reads go through the block cache. Readers kept
   * across requests pass a function returning the current request's stats.
   */
  rangeReader(key: string, size: number, statsOf: IoStats | (() => IoStats)): RangeReader {
    return {
      byteLength: size,
      slice: async (start: number, end = size) => {
        const stats = typeof statsOf === "function" ? statsOf() : statsOf;
        stats.objectReads++;
        const bytes = await this.readRange(key, size, start, Math.min(end, size), stats);
        stats.bytesRead += bytes.byteLength;
        return bytes.buffer.byteLength === bytes.byteLength
          ? (bytes.buffer as ArrayBuffer)
          : (bytes.slice().buffer as ArrayBuffer);
      },
    };
  }

  private async readRange(key: string, size: number, start: number, end: number, stats: IoStats): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array(0);
    const first = Math.floor(start / CACHE_BLOCK_BYTES);
    const last = Math.floor((end - 1) / CACHE_BLOCK_BYTES);
    const blocks = new Array<Uint8Array | undefined>(last - first + 1);

    await Promise.all(
      blocks.map(async (_, i) => {
        const blockKey = `${key}#${first + i}`;
        const mem = this.memory.get(blockKey);
        if (mem) {
          stats.memoryHits++;
          blocks[i] = mem;
          return;
        }
        if (this.edge) {
          const hit = await this.edge.match(blockKey);
          if (hit) {
            stats.edgeHits++;
            this.memory.set(blockKey, hit, hit.byteLength);
            blocks[i] = hit;
          }
        }
      }),
    );

    // Fetch each run of missing blocks with one ranged GET.
    const fetches: Promise<void>[] = [];
    for (let i = 0; i < blocks.length; ) {
      if (blocks[i]) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < blocks.length && !blocks[j + 1]) j++;
      const runStart = (first + i) * CACHE_BLOCK_BYTES;
      const runEnd = Math.min(size, (first + j + 1) * CACHE_BLOCK_BYTES);
      const from = i;
      const to = j;
      fetches.push(
        this.store.get(key, { offset: runStart, length: runEnd - runStart }).then((bytes) => {
          if (!bytes) throw new Error(`storage: object ${key} is missing`);
          stats.storageReads++;
          stats.storageBytes += bytes.byteLength;
          for (let b = from; b <= to; b++) {
            const off = (b - from) * CACHE_BLOCK_BYTES;
            const block = bytes.subarray(off, Math.min(bytes.byteLength, off + CACHE_BLOCK_BYTES));
            const copy = block.byteLength === bytes.byteLength ? bytes : block.slice();
            blocks[b] = copy;
            const blockKey = `${key}#${first + b}`;
            this.memory.set(blockKey, copy, copy.byteLength);
            if (this.edge) this.defer(this.edge.put(blockKey, copy));
          }
        }),
      );
      i = j + 1;
    }
    await Promise.all(fetches);

    const out = new Uint8Array(end - start);
    for (let i = 0; i < blocks.length; i++) {
      const blockStart = (first + i) * CACHE_BLOCK_BYTES;
      const block = blocks[i]!;
      const from = Math.max(start, blockStart) - blockStart;
      const to = Math.min(end, blockStart + block.byteLength) - blockStart;
      out.set(block.subarray(from, to), blockStart + from - start);
    }
    return out;
  }
}
