/**
 * Which segments to compact next (size-tiered, LSM style): runs of consecutive segments of the same
 * size tier merge into one, and segments that are mostly dead are rewritten. Merging only
 * consecutive segments keeps every segment's seq range disjoint from the others'.
 */
import type { SegmentInfo } from "../segment/manifest.ts";

export interface CompactionPolicy {
  /** Segments below this many rows are tier 0; each tier is `tierFactor` times larger. */
  baseRows: number;
  tierFactor: number;
  /** How many segments of one tier make a merge. */
  minMerge: number;
  /** Most segments merged at once. */
  maxMerge: number;
  /** Merges stop growing a segment past this many live rows (bounds compaction memory and time). */
  maxSegmentRows: number;
  /** A segment with at least this fraction of dead rows is rewritten. */
  deadRatio: number;
}

export const DEFAULT_COMPACTION_POLICY: CompactionPolicy = {
  baseRows: 10_000,
  tierFactor: 4,
  minMerge: 4,
  maxMerge: 10,
  maxSegmentRows: 250_000,
  deadRatio: 0.5,
};

export function tierOf(rows: number, p: CompactionPolicy): number {
  if (rows < p.baseRows) return 0;
  return 1 + Math.floor(Math.log(rows / p.baseRows) / Math.log(p.tierFactor));
}

export interface CompactionChoice {
  /** Indexes into the manifest's segments: a consecutive run. */
  first: number;
  count: number;
  reason: "tier" | "dead";
}

/** The next compaction, or null when the segments are in shape. `deadIn(i)` = dead rows of segment i. */
export function pickCompaction(segments: SegmentInfo[], deadIn: (i: number) => number, p: CompactionPolicy = DEFAULT_COMPACTION_POLICY): CompactionChoice | null {
  const live = (i: number) => segments[i].rows - deadIn(i);
  // 1. A run of at least minMerge consecutive segments of one tier, oldest first.
  for (let i = 0; i < segments.length; ) {
    const tier = tierOf(live(i), p);
    let j = i;
    let rows = 0;
    while (j < segments.length && j - i < p.maxMerge && tierOf(live(j), p) === tier && rows + live(j) <= p.maxSegmentRows) {
      rows += live(j);
      j++;
    }
    if (j - i >= p.minMerge) return { first: i, count: j - i, reason: "tier" };
    i = Math.max(j, i + 1);
  }
  // 2. A segment that is mostly dead.
  for (let i = 0; i < segments.length; i++) {
    if (segments[i].rows > 0 && deadIn(i) / segments[i].rows >= p.deadRatio) return { first: i, count: 1, reason: "dead" };
  }
  return null;
}

/** Segments per tier, for namespace stats. */
export function segmentsPerTier(segments: SegmentInfo[], deadIn: (i: number) => number, p: CompactionPolicy = DEFAULT_COMPACTION_POLICY): Record<string, number> {
  const out: Record<string, number> = {};
  segments.forEach((s, i) => {
    const t = String(tierOf(s.rows - deadIn(i), p));
    out[t] = (out[t] ?? 0) + 1;
  });
  return out;
}
