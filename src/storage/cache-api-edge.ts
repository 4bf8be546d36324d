/**
 * The Cache API tier: caches immutable objects and blocks per data centre. Only keys that are never
 * reused pass through here, so entries are marked immutable for a year.
 */
import type { EdgeCache } from "./object-cache.ts";

const ORIGIN = "https://objects.elacsym.internal/";

export class CacheApiEdge implements EdgeCache {
  private readonly cache: Cache;
  constructor(cache: Cache) {
    this.cache = cache;
  }

  private url(key: string): string {
    return ORIGIN + encodeURIComponent(key);
  }

  async match(key: string): Promise<Uint8Array | null> {
    const res = await this.cache.match(this.url(key));
    if (!res) return null;
    return new Uint8Array(await res.arrayBuffer());
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.cache.put(
      this.url(key),
      new Response(bytes, {
        headers: {
          "content-type": "application/octet-stream",
          "cache-control": "public, max-age=31536000, immutable",
        },
      }),
    );
  }
}
