import { seededRandom } from "../../helpers/random.ts";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../../src/core/errors.ts";
import { resolveFullTextConfig } from "../../../src/core/index/fulltext/full-text-config.ts";
import { mergeFullTextIndexes } from "../../../src/core/index/fulltext/index-merge.ts";
import { FullTextIndexWriter, type TextValue } from "../../../src/core/index/fulltext/index-writer.ts";
import { memoryRangeReader } from "../../../src/storage/range-reader.ts";
import { countingReader, randomText, zipfPicker } from "./corpus.ts";

const CONFIGS = { title: resolveFullTextConfig({ stemming: true }), body: resolveFullTextConfig({}) };
type Row = { seq: number; values: Record<string, TextValue> };

function build(rows: readonly Row[], configs: typeof CONFIGS = CONFIGS): Uint8Array {
  const w = new FullTextIndexWriter(configs);
  for (const r of [...rows].sort((a, b) => a.seq - b.seq)) w.addDocument(r.seq, r.values);
  return w.finish();
}

function rowsOf(seed: number, seqs: number[]): Row[] {
  const rnd = seededRandom(seed);
  const pick = zipfPicker(rnd);
  return seqs.map((seq) => ({
    seq,
    values: { title: rnd() < 0.2 ? null : randomText(rnd, pick, 1, 5), body: randomText(rnd, pick, 0, 300) },
  }));
}

describe("merging segment indexes (compaction)", () => {
  it("equals, byte for byte, the index rebuilt from the live rows", async () => {
    const a = rowsOf(1, Array.from({ length: 400 }, (_, i) => 10 + i * 2));
    const b = rowsOf(2, Array.from({ length: 300 }, (_, i) => 2000 + i));
    const c = rowsOf(3, Array.from({ length: 50 }, (_, i) => 5000 + i * 7));
    const dead = new Set([12, 14, 2001, 2299, 5000, ...a.slice(100, 180).map((r) => r.seq)]);
    const merged = await mergeFullTextIndexes(
      [a, b, c].map((rows) => ({ reader: memoryRangeReader(build(rows)), dead })),
      CONFIGS,
    );
    const liveRows = [...a, ...b, ...c].filter((r) => !dead.has(r.seq));
    expect(merged).toEqual(build(liveRows));
  });

  it("handles inputs whose seq ranges interleave and drops terms only dead docs held", async () => {
    const a: Row[] = [{ seq: 1, values: { body: "alpha beta" } }, { seq: 4, values: { body: "beta onlydead" } }, { seq: 5, values: { body: "gamma" } }];
    const b: Row[] = [{ seq: 2, values: { body: "alpha" } }, { seq: 3, values: { title: "Runs", body: "beta beta" } }];
    const dead = new Set([4]);
    const merged = await mergeFullTextIndexes([{ reader: memoryRangeReader(build(a)), dead }, { reader: memoryRangeReader(build(b)) }], CONFIGS);
    expect(merged).toEqual(build([a[0], a[2], ...b]));
  });

  it("reads inputs in a few large sequential chunks", async () => {
    const rows = rowsOf(4, Array.from({ length: 3000 }, (_, i) => i));
    const rr = countingReader(build(rows));
    await mergeFullTextIndexes([{ reader: rr }], CONFIGS);
    // open + seq table + fieldnorms per field + per field one dictionary and one postings stream (≤ 4 MB each).
    expect(rr.reads).toBeLessThanOrEqual(12);
  });

  it("refuses inputs indexed with other analysis options", async () => {
    const other = { title: resolveFullTextConfig({ stemming: false }), body: CONFIGS.body };
    const bytes = build([{ seq: 1, values: { title: "x" } }], other);
    await expect(mergeFullTextIndexes([{ reader: memoryRangeReader(bytes) }], CONFIGS)).rejects.toThrow(InvalidArgumentError);
  });
});
