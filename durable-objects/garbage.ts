/**
 * Garbage collection of R2 objects: keys a new manifest stopped referencing are recorded with the
 * time, and deleted once older than the grace period (readers holding an older manifest keep working
 * until then). Objects nothing ever referenced are the orphan sweep's (orphan-sweep.ts).
 */
import type { Manifest } from "../src/core/segment/manifest.ts";
import type { BlobStore } from "../src/storage/blob-store.ts";

/** Keys of every object a manifest references. */
export function manifestObjects(m: Manifest): string[] {
  const keys: string[] = [];
  for (const s of m.segments) {
    keys.push(s.key);
    if (s.fts) keys.push(s.fts.key);
  }
  for (const d of m.deletes) keys.push(d.key);
  // Cluster objects are listed inside the directory; index maintenance tracks them itself.
  if (m.vector_index) keys.push(m.vector_index.directory.key, m.vector_index.centroids.key);
  return keys;
}

/** Keys `before` references that `after` does not. */
export function unreferenced(before: Manifest, after: Manifest): string[] {
  const keep = new Set(manifestObjects(after));
  return manifestObjects(before).filter((k) => !keep.has(k));
}

export class GarbageTable {
  private readonly sql: SqlStorage;
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Call inside the transaction that commits the manifest which stopped referencing `keys`. */
  add(keys: string[], now: number): void {
    for (const key of keys) {
      this.sql.exec("INSERT INTO garbage (key, since) VALUES (?, ?) ON CONFLICT(key) DO NOTHING", key, now);
    }
  }

  stats(): { objects: number; oldest: number | null } {
    const row = this.sql.exec<{ n: number; oldest: number | null }>("SELECT count(*) AS n, min(since) AS oldest FROM garbage").one();
    return { objects: row.n, oldest: row.oldest };
  }

  has(key: string): boolean {
    return this.sql.exec("SELECT 1 FROM garbage WHERE key = ?", key).toArray().length > 0;
  }

  /** Deletes up to `limit` objects recorded before `cutoff`; returns how many it deleted. */
  async collect(store: BlobStore, cutoff: number, limit = 1000): Promise<number> {
    const keys = this.sql
      .exec<{ key: string }>("SELECT key FROM garbage WHERE since <= ? ORDER BY since LIMIT ?", cutoff, limit)
      .toArray()
      .map((r) => r.key);
    if (keys.length === 0) return 0;
    await store.delete(keys);
    // R2 deletes are idempotent: a crash here repeats the delete, which is harmless.
    this.sql.exec("DELETE FROM garbage WHERE key IN (SELECT value FROM json_each(?))", JSON.stringify(keys));
    return keys.length;
  }

  clear(): void {
    this.sql.exec("DELETE FROM garbage");
  }
}
