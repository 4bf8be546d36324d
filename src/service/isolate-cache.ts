/**
 * What a Worker isolate keeps between requests: the in-memory cache tier for object bytes, parsed
 * objects (Parquet footers, dead sets), the latest manifest seen per namespace, and verified API keys.
 * Module-level so that every request of the isolate shares it; bounded in bytes or entries.
 */
import { ByteLru } from "../storage/lru.ts";
import type { MemoryEntry } from "../storage/object-cache.ts";

let blocks: ByteLru<MemoryEntry> | null = null;
const PARSED_BYTES = 16 << 20;
const parsed = new ByteLru<unknown>(PARSED_BYTES);

export function blockCache(capacityBytes: number): ByteLru<MemoryEntry> {
  if (!blocks || blocks.capacityBytes !== capacityBytes) blocks = new ByteLru<MemoryEntry>(capacityBytes);
  return blocks;
}

export function parsedCache(): ByteLru<unknown> {
  return parsed;
}

/** A count-bounded LRU for small per-namespace entries. */
export class EntryLru<V> {
  private readonly map = new Map<string, V>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  clear(): void {
    this.map.clear();
  }
  entries(): [string, V][] {
    return [...this.map.entries()];
  }
}

const clearHooks: (() => void)[] = [];

/** Registers another isolate-level cache with clearIsolateCaches. */
export function onClearIsolateCaches(hook: () => void): void {
  clearHooks.push(hook);
}

/** Clears every isolate cache of object bytes and parsed objects (cold-read measurements). */
export function clearIsolateCaches(): void {
  blocks?.clear();
  parsed.clear();
  for (const hook of clearHooks) hook();
}
