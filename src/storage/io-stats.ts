/**
 * Per-request I/O accounting: how many object reads a request made, how many bytes it read, and
 * which cache tier served them. Reported in every query response's `performance`.
 */

export interface IoStats {
  /** Logical reads: one per whole-object get or byte-range slice. */
  objectReads: number;
  /** Bytes the engine consumed, from any tier. */
  bytesRead: number;
  /** Cache blocks or objects served by the in-isolate cache. */
  memoryHits: number;
  /** … by the Cache API (per data centre). */
  edgeHits: number;
  /** … fetched from object storage (R2). */
  storageReads: number;
  storageBytes: number;
}

export function newIoStats(): IoStats {
  return { objectReads: 0, bytesRead: 0, memoryHits: 0, edgeHits: 0, storageReads: 0, storageBytes: 0 };
}

export function cacheHitRatio(s: IoStats): number {
  const total = s.memoryHits + s.edgeHits + s.storageReads;
  return total === 0 ? 1 : (s.memoryHits + s.edgeHits) / total;
}
