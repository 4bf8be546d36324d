/**
 * Which segments to compact next: balanced runs of consecutive segments merge into one, and
 * segments that are mostly dead are rewritten. Merging only consecutive segments keeps every
 * segment's seq range disjoint from the others'. Owns the choice; not the merge itself.
 */
import type { SegmentInfo } from "../segment/manifest.ts";

export interface CompactionPolicy {
  /** Fewest segments merged at once. */
  minMerge: number;
  /** Most segments merged at once. */
  maxMerge: number;
  /** Merges stop growing a segment past this many live rows (bounds compaction memory and time). */
  maxSegmentRows: number;
  /** A segment with at least this fraction of dead rows is rewritten. */
  deadRatio: number;
}

export const DEFAULT_COMPACTION_POLICY: CompactionPolicy = {
  minMerge: 4,
  maxMerge: 10,
  maxSegmentRows: 250_000,
  deadRatio: 0.5,
};

export interface CompactionChoice {
  /** Indexes into the manifest's segments: a consecutive run. */
  first: number;
  count: number;
  reason: "size" | "dead";
}

/**
 * The next compaction, or null when the segments are in shape. `deadIn(i)` = dead rows of segment i.
 *
 * A run qualifies when no segment in it holds more than half of its live rows. Then every row a
 * merge rewrites lands in a segment at least twice as large as the one it left, so a row is
 * rewritten at most log2(maxSegmentRows / flushed rows) times, whatever sizes flushes produce.
 * (Size tiers — merge runs of one tier — stall when flush sizes straddle a tier boundary: measured
 * 71 segments at 1M documents where this rule leaves about 9.)
 */
export function pickCompaction(segments: SegmentInfo[], deadIn: (i: number) => number, p: CompactionPolicy = DEFAULT_COMPACTION_POLICY): CompactionChoice | null {
  const live = segments.map((s, i) => s.rows - deadIn(i));
  // 1. The oldest balanced run of minMerge..maxMerge consecutive segments, longest first.
  for (let i = 0; i + p.minMerge <= segments.length; i++) {
    let total = 0;
    let largest = 0;
    let best = 0;
    for (let j = i; j < segments.length && j - i < p.maxMerge; j++) {
      total += live[j];
      largest = Math.max(largest, live[j]);
      if (total > p.maxSegmentRows) break;
      if (j - i + 1 >= p.minMerge && 2 * largest <= total) best = j - i + 1;
    }
    if (best > 0) return { first: i, count: best, reason: "size" };
  }
  // 2. A segment that is mostly dead.
  for (let i = 0; i < segments.length; i++) {
    if (segments[i].rows > 0 && deadIn(i) / segments[i].rows >= p.deadRatio) return { first: i, count: 1, reason: "dead" };
  }
  return null;
}

/** Size class of a segment for stats: 0 below 10,000 live rows, then one class per factor of 4. */
export function sizeClassOf(rows: number): number {
  if (rows < 10_000) return 0;
  return 1 + Math.floor(Math.log(rows / 10_000) / Math.log(4));
}

/** Segments per size class, for namespace stats. */
export function segmentsPerTier(segments: SegmentInfo[], deadIn: (i: number) => number): Record<string, number> {
  const out: Record<string, number> = {};
  segments.forEach((s, i) => {
    const t = String(sizeClassOf(s.rows - deadIn(i)));
    out[t] = (out[t] ?? 0) + 1;
  });
  return out;
}
