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
/** Objects up to this size are read in blocks even by exactRangeReader (measured: sift5k's first queries 4 → 45 ms with exact reads). */
export const EXACT_MIN_OBJECT_BYTES = 4 << 20;

/** Blocks being fetched from storage right now, shared by every reader of the isolate. */
const inflight = new Map<string, Promise<Uint8Array>>();
/** Parsed ranges being read and parsed right now (see parsedRange). */
const inflightParsed = new Map<string, Promise<object>>();

/**
 * What the isolate tier holds: object bytes (whole objects, blocks, exact ranges) and, for ranges
 * read through parsedRange, their parsed form in place of the bytes.
 */
export type MemoryEntry = Uint8Array | object;

/** The per-data-centre tier (Cache API in Workers). */
export interface EdgeCache {
  match(key: string): Promise<Uint8Array | null>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

export interface ObjectCacheOptions {
  store: BlobStore;
  memory: ByteLru<MemoryEntry>;
  edge?: EdgeCache | null;
  /** Runs a promise after the response (ctx.waitUntil); defaults to fire-and-forget. */
  defer?: (p: Promise<unknown>) => void;
}

export class ObjectCache {
  private readonly store: BlobStore;
  private readonly memory: ByteLru<MemoryEntry>;
  private readonly edge: EdgeCache | null;
  private readonly defer: (p: Promise<unknown>) => void;

  constructor(options: ObjectCacheOptions) {
    this.store = options.store;
    this.memory = options.memory;
    this.edge = options.edge ?? null;
    this.defer = options.defer ?? ((p) => void p.catch(() => {}));
  }

  /** The cached bytes under `key` (keys of bytes and of parsed entries never collide). */
  private bytesOf(key: string): Uint8Array | undefined {
    return this.memory.get(key) as Uint8Array | undefined;
  }

  /** A whole immutable object, or null if it does not exist. */
  async getObject(key: string, stats: IoStats): Promise<Uint8Array | null> {
    stats.objectReads++;
    const mem = this.bytesOf(key);
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
    const bytes = await this.fetch(key, undefined, stats);
    if (!bytes) return null;
    stats.bytesRead += bytes.byteLength;
    this.memory.set(key, bytes, bytes.byteLength);
    if (this.edge) this.defer(this.edge.put(key, bytes));
    return bytes;
  }

  /** One read from object storage, counted in `stats` (its span gives the round-trip count). */
  private async fetch(key: string, range: { offset: number; length: number } | undefined, stats: IoStats): Promise<Uint8Array | null> {
    const started = performance.now();
    const bytes = await this.store.get(key, range);
    if (!bytes) return null;
    stats.storageSpans.push([started, performance.now()]);
    stats.storageReads++;
    stats.storageBytes += bytes.byteLength;
    return bytes;
  }

  /**
   * A RangeReader over an object of known size whose reads go through the block cache. Readers kept
   * across requests pass a function returning the current request's stats.
   */
  rangeReader(key: string, size: number, statsOf: IoStats | (() => IoStats), blockBytes = CACHE_BLOCK_BYTES): RangeReader {
    return this.reader(key, size, statsOf, (start, end, stats) => this.readRange(key, size, start, end, stats, blockBytes));
  }

  /**
   * The parsed form of bytes [start, end) of an immutable object, kept in the isolate tier in place
   * of the bytes, so that what parsing costs (a block head's checksum and views) is paid once per
   * isolate, not per query. `parse` may view its input in place; the entry is charged `end − start`.
   */
  async parsedRange<T extends object>(key: string, size: number, start: number, end: number, parse: (bytes: Uint8Array) => T, stats: IoStats): Promise<T> {
    stats.objectReads++;
    stats.bytesRead += end - start;
    const parsedKey = `${key}@${start}-${end}:parsed`;
    const mem = this.memory.get(parsedKey);
    if (mem) {
      stats.memoryHits++;
      return mem as T;
    }
    const pending = inflightParsed.get(parsedKey);
    if (pending) {
      stats.memoryHits++;
      return pending as Promise<T>;
    }
    const p = (async () => {
      const bytes = size <= EXACT_MIN_OBJECT_BYTES ? await this.readRange(key, size, start, end, stats, CACHE_BLOCK_BYTES) : await this.readExact(key, start, end, stats);
      const value = parse(bytes);
      // the parsed value views these bytes: keep them once, under the parsed key
      this.memory.delete(`${key}@${start}-${end}`);
      this.memory.set(parsedKey, value, end - start);
      return value;
    })();
    inflightParsed.set(parsedKey, p);
    p.catch(() => {}).finally(() => inflightParsed.delete(parsedKey));
    return p;
  }

  /**
   * A RangeReader for small scattered reads (single vector rows for a rerank): a range not already
   * inside cached blocks is fetched and cached exactly, not as the 512 KiB blocks around it, so
   * thirty rows cost thirty small reads in one round instead of up to 15 MiB. Objects of at most
   * EXACT_MIN_OBJECT_BYTES are still read in blocks.
   */
  exactRangeReader(key: string, size: number, statsOf: IoStats | (() => IoStats)): RangeReader {
    // A small object's blocks are soon all cached and serve every later read: keep reading blocks.
    if (size <= EXACT_MIN_OBJECT_BYTES) return this.rangeReader(key, size, statsOf);
    // a copy: the cached range itself must not reach a caller that might write into it
    return this.reader(key, size, statsOf, async (start, end, stats) => (await this.readExact(key, start, end, stats)).slice());
  }

  private reader(key: string, size: number, statsOf: IoStats | (() => IoStats), read: (start: number, end: number, stats: IoStats) => Promise<Uint8Array>): RangeReader {
    return {
      byteLength: size,
      slice: async (start: number, end = size) => {
        const stats = typeof statsOf === "function" ? statsOf() : statsOf;
        stats.objectReads++;
        const bytes = await read(start, Math.min(end, size), stats);
        stats.bytesRead += bytes.byteLength;
        return bytes.buffer.byteLength === bytes.byteLength
          ? (bytes.buffer as ArrayBuffer)
          : (bytes.slice().buffer as ArrayBuffer);
      },
    };
  }

  private async readExact(key: string, start: number, end: number, stats: IoStats): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array(0);
    const first = Math.floor(start / CACHE_BLOCK_BYTES);
    const last = Math.floor((end - 1) / CACHE_BLOCK_BYTES);
    const covering: Uint8Array[] = [];
    for (let i = first; i <= last; i++) {
      const block = this.bytesOf(blockKey(key, i, CACHE_BLOCK_BYTES));
      if (!block) break;
      covering.push(block);
    }
    if (covering.length === last - first + 1) {
      stats.memoryHits++;
      return assemble(covering, first, start, end, CACHE_BLOCK_BYTES);
    }
    const rangeKey = `${key}@${start}-${end}`;
    const mem = this.bytesOf(rangeKey);
    if (mem) {
      stats.memoryHits++;
      return mem;
    }
    const pending = inflight.get(rangeKey);
    if (pending) {
      stats.memoryHits++;
      return pending;
    }
    const p = this.fetchExact(key, rangeKey, start, end, stats);
    inflight.set(rangeKey, p);
    p.catch(() => {}).finally(() => inflight.delete(rangeKey));
    return p;
  }

  private async fetchExact(key: string, rangeKey: string, start: number, end: number, stats: IoStats): Promise<Uint8Array> {
    if (this.edge) {
      const hit = await this.edge.match(rangeKey).catch(() => null);
      if (hit) {
        stats.edgeHits++;
        this.memory.set(rangeKey, hit, hit.byteLength);
        return hit;
      }
    }
    const bytes = await this.fetch(key, { offset: start, length: end - start }, stats);
    if (!bytes) throw new Error(`storage: object ${key} is missing`);
    this.memory.set(rangeKey, bytes, bytes.byteLength);
    if (this.edge) this.defer(this.edge.put(rangeKey, bytes));
    return bytes;
  }

  private async readRange(key: string, size: number, start: number, end: number, stats: IoStats, blockBytes: number): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array(0);
    const first = Math.floor(start / blockBytes);
    const last = Math.floor((end - 1) / blockBytes);
    const count = last - first + 1;
    const blocks = new Array<Promise<Uint8Array>>(count);
    // Synchronously (no await before registering): memory hits, blocks other reads are already
    // fetching, and the rest, registered as in flight so concurrent reads wait instead of refetching.
    const missing: { index: number; resolve: (b: Uint8Array) => void; reject: (e: unknown) => void }[] = [];
    for (let i = 0; i < count; i++) {
      const bk = blockKey(key, first + i, blockBytes);
      const mem = this.bytesOf(bk);
      if (mem) {
        stats.memoryHits++;
        blocks[i] = Promise.resolve(mem);
        continue;
      }
      const pending = inflight.get(bk);
      if (pending) {
        // Joined another read's fetch: served without a storage read of its own.
        stats.memoryHits++;
        blocks[i] = pending;
        continue;
      }
      let resolve!: (b: Uint8Array) => void;
      let reject!: (e: unknown) => void;
      const p = new Promise<Uint8Array>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      p.catch(() => {}).finally(() => inflight.delete(bk));
      inflight.set(bk, p);
      blocks[i] = p;
      missing.push({ index: i, resolve, reject });
    }
    if (missing.length > 0) void this.fill(key, size, first, missing, stats, blockBytes);

    return assemble(await Promise.all(blocks), first, start, end, blockBytes);
  }

  /** Resolves missing blocks from the edge, then fetches each run of the rest with one ranged GET. */
  private async fill(key: string, size: number, first: number, missing: { index: number; resolve: (b: Uint8Array) => void; reject: (e: unknown) => void }[], stats: IoStats, blockBytes: number): Promise<void> {
    const store = (m: (typeof missing)[number], block: Uint8Array) => {
      this.memory.set(blockKey(key, first + m.index, blockBytes), block, block.byteLength);
      m.resolve(block);
    };
    let rest = missing;
    if (this.edge) {
      const hits = await Promise.all(missing.map((m) => this.edge!.match(blockKey(key, first + m.index, blockBytes)).catch(() => null)));
      rest = [];
      missing.forEach((m, i) => {
        const hit = hits[i];
        if (hit) {
          stats.edgeHits++;
          store(m, hit);
        } else rest.push(m);
      });
    }
    const runs: (typeof missing)[] = [];
    for (let a = 0; a < rest.length; ) {
      let b = a;
      while (b + 1 < rest.length && rest[b + 1].index === rest[b].index + 1) b++;
      runs.push(rest.slice(a, b + 1));
      a = b + 1;
    }
    await Promise.all(runs.map(async (run) => {
      const runStart = (first + run[0].index) * blockBytes;
      const runEnd = Math.min(size, (first + run[run.length - 1].index + 1) * blockBytes);
      try {
        const bytes = await this.fetch(key, { offset: runStart, length: runEnd - runStart }, stats);
        if (!bytes) throw new Error(`storage: object ${key} is missing`);
        run.forEach((m, k) => {
          const part = bytes.subarray(k * blockBytes, Math.min(bytes.byteLength, (k + 1) * blockBytes));
          const block = part.byteLength === bytes.byteLength ? bytes : part.slice();
          store(m, block);
          if (this.edge) this.defer(this.edge.put(blockKey(key, first + m.index, blockBytes), block));
        });
      } catch (err) {
        for (const m of run) m.reject(err);
      }
    }));
  }
}

/** Cache key of block `i` of an object cut into blocks of `blockBytes`. */
function blockKey(key: string, i: number, blockBytes: number): string {
  return blockBytes === CACHE_BLOCK_BYTES ? `${key}#${i}` : `${key}#${i}/${blockBytes}`;
}

/** Bytes [start, end) of an object from its consecutive cache blocks, the first being block `first`. */
function assemble(blocks: Uint8Array[], first: number, start: number, end: number, blockBytes: number): Uint8Array {
  const out = new Uint8Array(end - start);
  for (let i = 0; i < blocks.length; i++) {
    const blockStart = (first + i) * blockBytes;
    const block = blocks[i];
    const from = Math.max(start, blockStart) - blockStart;
    const to = Math.min(end, blockStart + block.byteLength) - blockStart;
    out.set(block.subarray(from, to), blockStart + from - start);
  }
  return out;
}
