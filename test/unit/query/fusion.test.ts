import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../src/core/errors.ts";
import { reciprocalRankFusion } from "../../../src/core/query/fusion.ts";

describe("reciprocal rank fusion", () => {
  it("sums weight / (k + rank) over arms (hand-checked)", () => {
    const fused = reciprocalRankFusion([{ ids: ["a", "b", "c"] }, { ids: ["c", "a", "d"] }]);
    // a: 1/61 + 1/62, c: 1/63 + 1/61, b: 1/62, d: 1/63
    expect(fused.map((r) => r.id)).toEqual(["a", "c", "b", "d"]);
    expect(fused[0].score).toBeCloseTo(1 / 61 + 1 / 62, 15);
    expect(fused[1].score).toBeCloseTo(1 / 63 + 1 / 61, 15);
    expect(fused[2].score).toBeCloseTo(1 / 62, 15);
    expect(fused[3].score).toBeCloseTo(1 / 63, 15);
  });

  it("honours k and per-arm weights", () => {
    const fused = reciprocalRankFusion([{ ids: [1, 2], weight: 1 }, { ids: [2, 1], weight: 3 }], { k: 1 });
    // 1: 1/2 + 3/3 = 1.5 ; 2: 1/3 + 3/2 = 1.8333
    expect(fused).toEqual([{ id: 2, score: 1 / 3 + 3 / 2 }, { id: 1, score: 1 / 2 + 3 / 3 }]);
    const vectorOnly = reciprocalRankFusion([{ ids: [1, 2], weight: 0 }, { ids: [2, 1] }]);
    expect(vectorOnly.map((r) => r.id)).toEqual([2, 1]);
  });

  it("breaks ties by best rank, then arm order, then id", () => {
    // x: rank 1 in arm 0 and rank 3 in arm 1; y: rank 3 in arm 0, rank 1 in arm 1 → equal scores, same best
    // rank; x reached rank 1 in the earlier arm.
    const fused = reciprocalRankFusion([{ ids: ["x", "m", "y"] }, { ids: ["y", "n", "x"] }]);
    expect(fused.map((r) => r.id)).toEqual(["x", "y", "m", "n"]);
    // Same score and best rank: the arm listed first wins.
    expect(reciprocalRankFusion([{ ids: [10] }, { ids: [9] }]).map((r) => r.id)).toEqual([10, 9]);
    expect(reciprocalRankFusion([{ ids: [10, 2] }, { ids: [9, 3] }]).map((r) => r.id)).toEqual([10, 9, 2, 3]);
    expect(reciprocalRankFusion([{ ids: [] }, { ids: [10, 9] }, { ids: [9, 10] }]).map((r) => r.id)).toEqual([10, 9]);
  });

  it("ignores duplicate ids within an arm and truncates to topK", () => {
    const fused = reciprocalRankFusion([{ ids: ["a", "a", "b"] }], { topK: 1 });
    expect(fused).toEqual([{ id: "a", score: 1 / 61 }]);
    expect(reciprocalRankFusion([{ ids: ["a", "a", "b"] }])[1]).toEqual({ id: "b", score: 1 / 62 });
  });

  it("rejects bad parameters", () => {
    expect(() => reciprocalRankFusion([{ ids: [1] }], { k: 0 })).toThrow(InvalidArgumentError);
    expect(() => reciprocalRankFusion([{ ids: [1], weight: -1 }])).toThrow(InvalidArgumentError);
    expect(() => reciprocalRankFusion([{ ids: [1], weight: Number.NaN }])).toThrow(InvalidArgumentError);
  });
});
