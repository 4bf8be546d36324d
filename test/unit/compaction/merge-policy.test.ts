import { describe, expect, it } from "vitest";
import { DEFAULT_COMPACTION_POLICY, pickCompaction, segmentsPerTier } from "../../../src/core/compaction/merge-policy.ts";
import type { SegmentInfo } from "../../../src/core/segment/manifest.ts";
import { createRng } from "../../../src/core/index/vector/seeded-rng.ts";

const seg = (rows: number): SegmentInfo => ({ rows }) as SegmentInfo;
const noDead = () => 0;

/** Appends flushed segments of the given sizes, compacting to a fixed point after each flush. */
function simulate(flushes: number[]): { sizes: number[]; rewritten: number; mostSegments: number } {
  let sizes: number[] = [];
  let rewritten = 0;
  let mostSegments = 0;
  for (const rows of flushes) {
    sizes.push(rows);
    for (let c = pickCompaction(sizes.map(seg), noDead); c; c = pickCompaction(sizes.map(seg), noDead)) {
      const merged = sizes.slice(c.first, c.first + c.count).reduce((a, b) => a + b, 0);
      rewritten += merged;
      sizes = [...sizes.slice(0, c.first), merged, ...sizes.slice(c.first + c.count)];
    }
    mostSegments = Math.max(mostSegments, sizes.length);
  }
  return { sizes, rewritten, mostSegments };
}

describe("compaction policy", () => {
  it("merges the oldest balanced run of consecutive segments, longest first", () => {
    expect(pickCompaction([100, 10, 10, 10].map(seg), noDead)).toBeNull(); // 100 > half of 130
    expect(pickCompaction([100, 10, 10, 10, 10].map(seg), noDead)).toEqual({ first: 1, count: 4, reason: "size" });
    expect(pickCompaction([30, 10, 10, 10, 10].map(seg), noDead)).toEqual({ first: 0, count: 5, reason: "size" });
    expect(pickCompaction(Array.from({ length: 14 }, () => seg(5)), noDead)).toEqual({ first: 0, count: 10, reason: "size" });
    expect(pickCompaction([10, 10, 10].map(seg), noDead)).toBeNull();
  });

  it("never grows a segment past maxSegmentRows and counts live rows only", () => {
    const p = { ...DEFAULT_COMPACTION_POLICY, maxSegmentRows: 35 };
    expect(pickCompaction([10, 10, 10, 10].map(seg), noDead, p)).toBeNull();
    // segment 0 is mostly dead: live 3 + 10 + 10 + 10 fits
    expect(pickCompaction([10, 10, 10, 10].map(seg), (i) => (i === 0 ? 7 : 0), p)).toEqual({ first: 0, count: 4, reason: "size" });
  });

  it("rewrites a mostly dead segment when no merge is due", () => {
    expect(pickCompaction([100, 10].map(seg), (i) => (i === 0 ? 60 : 0))).toEqual({ first: 0, count: 1, reason: "dead" });
  });

  // Flush sizes straddling a size boundary stalled the earlier tiered policy at 71 segments per 1M rows.
  it.each([
    [1_000, 3_000],
    [3_000, 15_000],
    [8_000, 12_000],
    [100, 50_000],
  ])("keeps 1M rows flushed in %i–%i row segments in few segments with bounded rewriting", (lo, hi) => {
    const rng = createRng(lo + hi);
    const flushes: number[] = [];
    for (let total = 0; total < 1_000_000; total += flushes[flushes.length - 1]) flushes.push(Math.round(lo + rng.next() * (hi - lo)));
    const { sizes, rewritten, mostSegments } = simulate(flushes);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(flushes.reduce((a, b) => a + b, 0));
    expect(sizes.every((s) => s <= DEFAULT_COMPACTION_POLICY.maxSegmentRows)).toBe(true);
    expect(mostSegments).toBeLessThanOrEqual(14);
    // each rewrite at least doubles a row's segment: at most log2(250k / lo) rewrites per row
    expect(rewritten / 1_000_000).toBeLessThanOrEqual(Math.log2(DEFAULT_COMPACTION_POLICY.maxSegmentRows / lo));
  });

  it("reports segments per size class", () => {
    expect(segmentsPerTier([5_000, 9_999, 10_000, 39_999, 40_000, 250_000].map(seg), noDead)).toEqual({ "0": 2, "1": 2, "2": 1, "3": 1 });
  });
});
