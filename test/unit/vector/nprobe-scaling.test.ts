import { describe, expect, it } from "vitest";
import { scaledNprobe } from "../../../durable-objects/vector-index.ts";
import type { VectorIndexInfo } from "../../../src/core/segment/manifest.ts";

const built = (nlist: number, nprobe: number): VectorIndexInfo => ({
  directory: { key: "d", bytes: 1 },
  centroids: { key: "c", bytes: 1 },
  nlist,
  entries: 24_000,
  nprobe,
  calibrated_at: 24_000,
  calibrated_nlist: nlist,
  calibrated_nprobe: nprobe,
});

describe("default nprobe as clusters split", () => {
  it("grows with √nlist from the calibration, however many steps the splits take", () => {
    // one split (one more cluster) per maintenance step, as the Durable Object does
    let info = built(47, 2);
    for (let nlist = 48; nlist <= 118; nlist++) info = { ...info, nlist, nprobe: scaledNprobe(info, nlist) };
    expect(info.nprobe).toBe(Math.ceil(2 * Math.sqrt(118 / 47))); // 4, not 48
    expect(scaledNprobe(built(47, 2), 47)).toBe(2);
    expect(scaledNprobe(built(10, 10), 12)).toBe(11);
    expect(scaledNprobe(built(4, 4), 4)).toBe(4); // never more than nlist
  });

  it("scales from the current value in manifests written before the calibration was recorded", () => {
    const old: VectorIndexInfo = { ...built(47, 2), calibrated_nlist: undefined, calibrated_nprobe: undefined };
    expect(scaledNprobe(old, 188)).toBe(4);
  });
});
