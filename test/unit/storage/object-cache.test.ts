import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CacheApiEdge } from "../../../src/storage/cache-api-edge.ts";
import { newIoStats } from "../../../src/storage/io-stats.ts";
import { ByteLru } from "../../../src/storage/lru.ts";
import { CACHE_BLOCK_BYTES, EXACT_MIN_OBJECT_BYTES, ObjectCache } from "../../../src/storage/object-cache.ts";
import { R2BlobStore } from "../../../src/storage/r2-blob-store.ts";

const SIZE = 3 * CACHE_BLOCK_BYTES + 1234;
const bytes = new Uint8Array(SIZE).map((_, i) => (i * 7) % 251);

async function setup(key: string, edge: boolean) {
  const store = new R2BlobStore(env.BUCKET);
  await store.put(key, bytes);
  const cache = new ObjectCache({ store, memory: new ByteLru(64 << 20), edge: edge ? new CacheApiEdge(await caches.open(`test-${key}`)) : null });
  return { store, cache };
}

describe("object cache", () => {
  it("returns exact ranges across block boundaries", async () => {
    const { cache } = await setup("oc-ranges", false);
    const r = cache.rangeReader("oc-ranges", SIZE, newIoStats());
    for (const [a, b] of [[0, 10], [CACHE_BLOCK_BYTES - 5, CACHE_BLOCK_BYTES + 5], [100, SIZE], [SIZE - 3, SIZE]]) {
      expect(new Uint8Array(await r.slice(a, b))).toEqual(bytes.slice(a, b));
    }
  });

  it("serves repeated reads from memory and fetches concurrent misses once", async () => {
    const { cache } = await setup("oc-memory", false);
    const cold = newIoStats();
    const r = cache.rangeReader("oc-memory", SIZE, cold);
    await Promise.all([r.slice(10, 20), r.slice(30, 40), r.slice(CACHE_BLOCK_BYTES * 2 + 1, CACHE_BLOCK_BYTES * 2 + 9)]);
    expect(cold.storageReads).toBe(2); // blocks 0 and 2, each once
    const warm = newIoStats();
    const w = cache.rangeReader("oc-memory", SIZE, warm);
    await Promise.all([w.slice(10, 20), w.slice(CACHE_BLOCK_BYTES * 2 + 1, CACHE_BLOCK_BYTES * 2 + 9)]);
    expect(warm.storageReads).toBe(0);
    expect(warm.memoryHits).toBe(2);
  });

  it("falls back to the Cache API tier when the isolate forgot a block", async () => {
    const key = "oc-edge";
    const { store } = await setup(key, true);
    const edge = new CacheApiEdge(await caches.open(`test-${key}`));
    const first = new ObjectCache({ store, memory: new ByteLru(64 << 20), edge, defer: () => {} });
    const s1 = newIoStats();
    await first.rangeReader(key, SIZE, s1).slice(0, 100);
    expect(s1.storageReads).toBe(1);
    // The edge put is deferred; wait for it the way waitUntil would.
    await new Promise((r) => setTimeout(r, 50));
    const second = new ObjectCache({ store, memory: new ByteLru(64 << 20), edge });
    const s2 = newIoStats();
    expect(new Uint8Array(await second.rangeReader(key, SIZE, s2).slice(0, 100))).toEqual(bytes.slice(0, 100));
    expect(s2.edgeHits).toBe(1);
    expect(s2.storageReads).toBe(0);
  });

  it("reads small scattered ranges of a large object exactly, from cached blocks when they are there", async () => {
    const key = "oc-exact";
    const BIG = EXACT_MIN_OBJECT_BYTES + 1234;
    const big = new Uint8Array(BIG).map((_, i) => (i * 13) % 251);
    const store = new R2BlobStore(env.BUCKET);
    await store.put(key, big);
    const cache = new ObjectCache({ store, memory: new ByteLru(64 << 20) });
    const cold = newIoStats();
    const r = cache.exactRangeReader(key, BIG, cold);
    const ranges = [[10, 3082], [CACHE_BLOCK_BYTES - 5, CACHE_BLOCK_BYTES + 5], [BIG - 3, BIG]];
    const got = await Promise.all([...ranges, ranges[0]].map(([a, b]) => r.slice(a, b)));
    got.forEach((g, i) => expect(new Uint8Array(g)).toEqual(big.slice(...ranges[i % 3])));
    expect(cold.storageReads).toBe(3); // the repeated range joined the first fetch
    expect(cold.storageBytes).toBe(3072 + 10 + 3); // not whole 512 KiB blocks
    // A caller writing into what it got does not change the cached range.
    new Uint8Array(got[0]).fill(0);
    const warm = newIoStats();
    expect(new Uint8Array(await cache.exactRangeReader(key, BIG, warm).slice(10, 3082))).toEqual(big.slice(10, 3082));
    expect(warm.storageReads).toBe(0);
    // Once a block is cached (a scan read it), exact reads inside it are served from it.
    await cache.rangeReader(key, BIG, newIoStats()).slice(2 * CACHE_BLOCK_BYTES, 2 * CACHE_BLOCK_BYTES + 1);
    const inBlock = newIoStats();
    expect(new Uint8Array(await cache.exactRangeReader(key, BIG, inBlock).slice(2 * CACHE_BLOCK_BYTES + 7, 2 * CACHE_BLOCK_BYTES + 99))).toEqual(
      big.slice(2 * CACHE_BLOCK_BYTES + 7, 2 * CACHE_BLOCK_BYTES + 99),
    );
    expect(inBlock.storageReads).toBe(0);
    expect(inBlock.memoryHits).toBe(1);
    // A small object is read in blocks (they soon hold all of it).
    const { cache: smallCache } = await setup("oc-exact-small", false);
    const small = newIoStats();
    await smallCache.exactRangeReader("oc-exact-small", SIZE, small).slice(100, 200);
    expect(small.storageBytes).toBe(CACHE_BLOCK_BYTES);
  });

  it("keeps a parsed range in place of its bytes, parsing it once per isolate", async () => {
    const key = "oc-parsed";
    const BIG = EXACT_MIN_OBJECT_BYTES + 4096;
    const big = new Uint8Array(BIG).map((_, i) => (i * 17) % 251);
    const store = new R2BlobStore(env.BUCKET);
    await store.put(key, big);
    const memory = new ByteLru<object>(64 << 20);
    const cache = new ObjectCache({ store, memory });
    let parses = 0;
    const parse = (b: Uint8Array) => {
      parses++;
      return { sum: b.reduce((a, x) => a + x, 0), view: b };
    };
    const cold = newIoStats();
    // concurrent readers of one range share its read and its parse
    const [a, b] = await Promise.all([cache.parsedRange(key, BIG, 1000, 3000, parse, cold), cache.parsedRange(key, BIG, 1000, 3000, parse, cold)]);
    expect(b).toBe(a);
    expect(parses).toBe(1);
    expect(cold.storageReads).toBe(1);
    expect(cold.storageBytes).toBe(2000);
    expect(a.sum).toBe(big.slice(1000, 3000).reduce((x, y) => x + y, 0));
    // charged once: the bytes are not also kept under their own key
    expect(memory.sizeBytes).toBe(2000);
    const warm = newIoStats();
    expect(await cache.parsedRange(key, BIG, 1000, 3000, parse, warm)).toBe(a);
    expect(parses).toBe(1);
    expect(warm.storageReads).toBe(0);
    expect(warm.memoryHits).toBe(1);
    expect(warm.bytesRead).toBe(2000);
    // a failed read is not cached: the next call tries again
    await expect(cache.parsedRange("oc-parsed-missing", BIG, 0, 10, parse, newIoStats())).rejects.toThrow(/missing/);
    await expect(cache.parsedRange("oc-parsed-missing", BIG, 0, 10, parse, newIoStats())).rejects.toThrow(/missing/);
  });

  it("propagates a missing object as an error", async () => {
    const cache = new ObjectCache({ store: new R2BlobStore(env.BUCKET), memory: new ByteLru(1 << 20) });
    await expect(cache.rangeReader("nope", 100, newIoStats()).slice(0, 10)).rejects.toThrow(/missing/);
    await expect(cache.exactRangeReader("nope", 100, newIoStats()).slice(0, 10)).rejects.toThrow(/missing/);
  });
});
