import { seededRandom } from "../../helpers/random.ts";
import { describe, expect, it } from "vitest";
import { createAnalyzer } from "../../../src/core/index/fulltext/analyzer.ts";
import { resolveFullTextConfig, type FullTextConfig } from "../../../src/core/index/fulltext/full-text-config.ts";
import { mergeStats, type FullTextStats } from "../../../src/core/index/fulltext/full-text-stats.ts";
import { planFullTextQuery, type FullTextQuery } from "../../../src/core/index/fulltext/full-text-query.ts";
import { FullTextIndexReader } from "../../../src/core/index/fulltext/index-reader.ts";
import { FullTextIndexWriter } from "../../../src/core/index/fulltext/index-writer.ts";
import { collectSegmentStats, searchSegment } from "../../../src/core/index/fulltext/segment-search.ts";
import { MemoryFullTextIndex, scoreTailMatches } from "../../../src/core/index/fulltext/tail-index.ts";
import { TopKCollector, type ScoredDoc } from "../../../src/core/index/fulltext/top-k-collector.ts";
import { memoryRangeReader } from "../../../src/storage/range-reader.ts";
import { countingReader, randomText, zipfPicker } from "./corpus.ts";

type Fields = { title: string | null; body: string | string[] | null };

const CONFIGS: Record<string, FullTextConfig> = {
  title: resolveFullTextConfig({ stemming: true, remove_stopwords: true, k1: 1.5, b: 0.6 }),
  body: resolveFullTextConfig({}),
};

/** A namespace's history: writes flushed into segments (last write per id per flush) plus a WAL tail. */
async function buildNamespace(seed: number, opts = { ids: 300, ops: 1200, flushes: 4 }) {
  const rnd = seededRandom(seed);
  const pick = zipfPicker(rnd);
  let seq = 1000;
  const latest = new Map<number, { seq: number; fields: Fields } | null>(); // id → live version or deleted
  const segments: Array<{ reader: FullTextIndexReader; seqs: number[] }> = [];
  const segmentOfSeq = new Map<number, number>();
  const opsPerFlush = Math.floor(opts.ops / (opts.flushes + 1));
  let pending = new Map<number, { seq: number; fields: Fields } | null>();
  const flush = async () => {
    const rows = [...pending.values()].filter((v) => v !== null).sort((a, b) => a!.seq - b!.seq) as Array<{ seq: number; fields: Fields }>;
    pending = new Map();
    if (rows.length === 0) return;
    const w = new FullTextIndexWriter(CONFIGS);
    for (const r of rows) w.addDocument(r.seq, r.fields);
    const reader = await FullTextIndexReader.open(memoryRangeReader(w.finish()));
    for (const r of rows) segmentOfSeq.set(r.seq, segments.length);
    segments.push({ reader, seqs: rows.map((r) => r.seq) });
  };
  for (let op = 0; op < opts.ops; op++) {
    const id = Math.floor(rnd() * opts.ids);
    seq += 1 + Math.floor(rnd() * 3);
    if (rnd() < 0.1) {
      latest.set(id, null);
      pending.set(id, null);
    } else {
      const fields: Fields = {
        title: rnd() < 0.15 ? null : randomText(rnd, pick, 1, 6),
        body: rnd() < 0.1 ? [randomText(rnd, pick, 0, 10), randomText(rnd, pick, 0, 10)] : randomText(rnd, pick, 0, 40),
      };
      latest.set(id, { seq, fields });
      pending.set(id, { seq, fields });
    }
    if ((op + 1) % opsPerFlush === 0 && segments.length < opts.flushes) await flush();
  }
  // What is left in `pending` is the unflushed tail.
  const tail = new MemoryFullTextIndex(CONFIGS);
  for (const v of pending.values()) if (v !== null) tail.add(v.seq, v.fields);
  const live = new Map<number, Fields>();
  for (const v of latest.values()) if (v !== null) live.set(v.seq, v.fields);
  const dead = new Set<number>();
  for (const s of segments) for (const q of s.seqs) if (!live.has(q)) dead.add(q);
  return { segments, tail, live, dead, rnd, pick };
}

/** Straightforward BM25 from the formula, over every live document, written independently of src/. */
function referenceScores(live: Map<number, Fields>, text: string, weights: Record<string, number>): Map<number, number> {
  const scores = new Map<number, number>();
  for (const [field, fieldWeight] of Object.entries(weights)) {
    const cfg = CONFIGS[field];
    const analyzer = createAnalyzer(cfg);
    const docs = [...live].map(([seq, f]) => ({ seq, tokens: analyzer.terms(f[field as keyof Fields]) }));
    const withField = docs.filter((d) => d.tokens.length > 0);
    const N = withField.length;
    const avgdl = withField.reduce((s, d) => s + d.tokens.length, 0) / N;
    const qtf = new Map<string, number>();
    for (const t of analyzer.terms(text)) qtf.set(t, (qtf.get(t) ?? 0) + 1);
    for (const [term, q] of qtf) {
      const n = withField.filter((d) => d.tokens.includes(term)).length;
      if (n === 0) continue;
      const idf = Math.log(1 + (N - n + 0.5) / (n + 0.5));
      const qWeight = (q * (cfg.k3 + 1)) / (cfg.k3 + q);
      for (const d of withField) {
        const tf = d.tokens.filter((t) => t === term).length;
        if (tf === 0) continue;
        const dl = d.tokens.length;
        const part = (tf * (cfg.k1 + 1)) / (tf + cfg.k1 * (1 - cfg.b + (cfg.b * dl) / avgdl));
        scores.set(d.seq, (scores.get(d.seq) ?? 0) + fieldWeight * qWeight * idf * part);
      }
    }
  }
  return scores;
}

type Ns = Awaited<ReturnType<typeof buildNamespace>>;

async function gatherStats(ns: Ns, query: FullTextQuery): Promise<FullTextStats> {
  const parts = await Promise.all(ns.segments.map((s) => collectSegmentStats(s.reader, query, ns.dead)));
  return mergeStats([...parts, ns.tail.collect(query).stats]);
}

async function engineSearch(
  ns: Ns, query: FullTextQuery, k: number, exhaustive = false, acceptSeq?: (seq: number) => boolean,
): Promise<ScoredDoc[]> {
  const stats = await gatherStats(ns, query);
  const collector = new TopKCollector(k);
  for (let i = 0; i < ns.segments.length; i++) {
    const { reader, seqs } = ns.segments[i];
    const accept = acceptSeq === undefined ? undefined : (ord: number) => acceptSeq(seqs[ord]);
    await searchSegment(reader, query, stats, collector, { dead: ns.dead, source: i, exhaustive, accept });
  }
  scoreTailMatches(ns.tail.collect(query, acceptSeq), query, stats, collector);
  return collector.results();
}

describe("BM25 over segments + WAL tail with dead documents", () => {
  it("the namespace under test really spreads over segments, tail and dead versions", async () => {
    const ns = await buildNamespace(1);
    expect(ns.segments.length).toBe(4);
    expect(ns.tail.size).toBeGreaterThan(20);
    expect(ns.dead.size).toBeGreaterThan(50);
  });

  it("statistics equal the live collection's", async () => {
    const ns = await buildNamespace(2);
    const query = planFullTextQuery("search index the running", { title: 1, body: 1 }, CONFIGS);
    const stats = await gatherStats(ns, query);
    for (const field of ["title", "body"] as const) {
      const a = createAnalyzer(CONFIGS[field]);
      const toks = [...ns.live.values()].map((f) => a.terms(f[field])).filter((t) => t.length > 0);
      expect(stats[field].docCount).toBe(toks.length);
      expect(stats[field].totalLength).toBe(toks.reduce((s, t) => s + t.length, 0));
      for (const term of Object.keys(stats[field].df)) {
        expect(stats[field].df[term]).toBe(toks.filter((t) => t.includes(term)).length);
      }
    }
  });

  it("scores equal the reference implementation to 1e-6 (single field, multi-field, repeated terms)", async () => {
    const ns = await buildNamespace(3);
    const cases: Array<[string, Record<string, number>]> = [
      ["search", { body: 1 }],
      ["the index of the segment", { body: 1 }],
      ["Running runs RAN ranking", { title: 1 }],
      ["cache cache cache durable", { title: 2, body: 1 }],
      ["vector query storage merge tail flush", { title: 0.5, body: 1.5 }],
    ];
    for (const [text, weights] of cases) {
      const ref = referenceScores(ns.live, text, weights);
      const got = await engineSearch(ns, planFullTextQuery(text, weights, CONFIGS), 100000);
      expect(got.length).toBe(ref.size);
      for (const r of got) expect(Math.abs(r.score - ref.get(r.seq)!)).toBeLessThan(1e-6);
      // Rank order agrees with the reference (ties by seq ascending).
      const refOrder = [...ref].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 10);
      got.slice(0, 10).forEach((r, i) => expect(Math.abs(r.score - refOrder[i][1])).toBeLessThan(1e-6));
    }
  });

  it("a document scores identically whether it sits in a segment or in the tail", async () => {
    const configs = { body: CONFIGS.body };
    const docs = ["alpha beta", "beta gamma gamma", "alpha alpha delta", "gamma"];
    const query = planFullTextQuery("alpha gamma", "body", configs);
    const scoreWith = async (inTail: number) => {
      const w = new FullTextIndexWriter(configs);
      const tail = new MemoryFullTextIndex(configs);
      docs.forEach((t, i) => (i === inTail ? tail.add(i + 1, { body: t }) : w.addDocument(i + 1, { body: t })));
      const reader = await FullTextIndexReader.open(memoryRangeReader(w.finish()));
      const stats = mergeStats([await collectSegmentStats(reader, query), tail.collect(query).stats]);
      const c = new TopKCollector(10);
      await searchSegment(reader, query, stats, c);
      scoreTailMatches(tail.collect(query), query, stats, c);
      return new Map(c.results().map((r) => [r.seq, r.score]));
    };
    const base = await scoreWith(-1);
    for (let i = 0; i < docs.length; i++) expect(await scoreWith(i)).toEqual(base);
  });

  it("filters apply inside the search without changing statistics", async () => {
    const ns = await buildNamespace(4);
    const accept = (seq: number) => seq % 3 !== 0;
    const text = "index segment cache";
    const ref = referenceScores(ns.live, text, { body: 1 });
    const got = await engineSearch(ns, planFullTextQuery(text, "body", CONFIGS), 100000, false, accept);
    expect(got.length).toBe([...ref.keys()].filter(accept).length);
    for (const r of got) expect(Math.abs(r.score - ref.get(r.seq)!)).toBeLessThan(1e-6);
  });

  it("pruned top-k equals exhaustive top-k on many random queries", async () => {
    const ns = await buildNamespace(5, { ids: 2000, ops: 5000, flushes: 5 });
    let skipped = 0;
    for (let q = 0; q < 150; q++) {
      const text = randomText(ns.rnd, ns.pick, 1, 8);
      const weights: Record<string, number> = q % 3 === 0 ? { title: 1 + ns.rnd() * 2, body: 1 } : { body: 1 };
      const query = planFullTextQuery(text, weights, CONFIGS);
      const k = [1, 5, 10, 50][q % 4];
      const pruned = await engineSearch(ns, query, k);
      const exhaustive = await engineSearch(ns, query, k, true);
      expect(pruned).toEqual(exhaustive);
      if (pruned.length === k) skipped++;
    }
    expect(skipped).toBeGreaterThan(100);
  });

  it("pruning scores fewer documents than exhaustive search", async () => {
    const rnd = seededRandom(77);
    const pick = zipfPicker(rnd);
    const w = new FullTextIndexWriter({ body: CONFIGS.body });
    for (let i = 0; i < 20000; i++) w.addDocument(i, { body: randomText(rnd, pick, 5, 30) });
    const reader = await FullTextIndexReader.open(memoryRangeReader(w.finish()));
    const query = planFullTextQuery("the search cache tenant", "body", { body: CONFIGS.body });
    const stats = await collectSegmentStats(reader, query);
    const a = await searchSegment(reader, query, stats, new TopKCollector(10));
    const b = await searchSegment(reader, query, stats, new TopKCollector(10), { exhaustive: true });
    expect(a.scored * 4).toBeLessThan(b.scored);
  });
});

describe("reads per query", () => {
  it("are bounded by terms and fields, not by documents, and zero when warm", async () => {
    for (const docs of [2000, 20000]) {
      const rnd = seededRandom(docs);
      const pick = zipfPicker(rnd);
      const w = new FullTextIndexWriter(CONFIGS);
      for (let i = 0; i < docs; i++) w.addDocument(i, { title: randomText(rnd, pick, 1, 5), body: randomText(rnd, pick, 5, 30) });
      const rr = countingReader(w.finish());
      const reader = await FullTextIndexReader.open(rr);
      expect(rr.reads).toBe(1); // footer + directory in one tail read
      const query = planFullTextQuery("search cache durable tenant", { title: 1, body: 1 }, CONFIGS);
      const terms = query.fields.reduce((s, f) => s + f.terms.length, 0);
      const dead = new Set([3, 5, 8]);
      const stats = await collectSegmentStats(reader, query, dead);
      await searchSegment(reader, query, stats, new TopKCollector(10), { dead });
      // ≤ one dictionary block and one postings region per (field, term), one fieldnorms per field, one seq table.
      expect(rr.reads - 1).toBeLessThanOrEqual(2 * terms + query.fields.length + 1);
      const cold = rr.reads;
      const stats2 = await collectSegmentStats(reader, query, dead);
      await searchSegment(reader, query, stats2, new TopKCollector(10), { dead });
      expect(rr.reads).toBe(cold);
    }
  });
});
