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
  /** [start, end] of each storage read, for counting sequential round trips. */
  storageSpans: [number, number][];
}

export function newIoStats(): IoStats {
  return { objectReads: 0, bytesRead: 0, memoryHits: 0, edgeHits: 0, storageReads: 0, storageBytes: 0, storageSpans: [] };
}

/**
 * Sequential round trips to storage: the most reads that happened one after another (each
 * starting after the previous ended), i.e. the dependency depth a cold request paid for.
 */
export function storageRoundTrips(s: IoStats): number {
  const spans = [...s.storageSpans].sort((a, b) => a[1] - b[1]);
  let trips = 0;
  let lastEnd = -Infinity;
  for (const [start, end] of spans) {
    if (start >= lastEnd) {
      trips++;
      lastEnd = end;
    }
  }
  return trips;
}

export function cacheHitRatio(s: IoStats): number {
  const total = s.memoryHits + s.edgeHits + s.storageReads;
  return total === 0 ? 1 : (s.memoryHits + s.edgeHits) / total;
}
