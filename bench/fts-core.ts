// Benchmark of the full-text engine core, in-process in Node (no workerd, no R2): retrieval quality on
// SciFact and Cranfield (BM25, dense, hybrid RRF), then latency / build throughput / size / memory on
// generated Zipfian corpora. Run with `npm run bench:fts-core` (add `-- --quick` to skip the 1M-doc run).
// Datasets are read from ../shared/datasets (override with DATASETS=...); missing datasets are skipped.

import { resolve } from "node:path";
import { TextGenerator, VOCAB, ZIPF_S } from "./lib/corpus.ts";
import { type BeirDataset, DATASETS, loadBeir, loadSciFactEmbeddings } from "./lib/datasets.ts";
import { evaluate } from "./lib/ir.ts";
import { resolveFullTextConfig, type FullTextConfig, type FullTextConfigInput } from "../src/core/index/fulltext/full-text-config.ts";
import { mergeStats } from "../src/core/index/fulltext/full-text-stats.ts";
import { planFullTextQuery } from "../src/core/index/fulltext/full-text-query.ts";
import { FullTextIndexReader } from "../src/core/index/fulltext/index-reader.ts";
import { FullTextIndexWriter } from "../src/core/index/fulltext/index-writer.ts";
import { collectSegmentStats, searchSegment } from "../src/core/index/fulltext/segment-search.ts";
import { TopKCollector } from "../src/core/index/fulltext/top-k-collector.ts";
import { reciprocalRankFusion } from "../src/core/query/fusion.ts";
import { memoryRangeReader } from "../src/storage/range-reader.ts";

const QUICK = process.argv.includes("--quick");
const SEGMENT_DOCS = 100_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function table(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === "number" ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  console.log(`\n${title}`);
  const line = (r: Array<string | number>) => "| " + r.map((c, i) => String(c).padEnd(widths[i])).join(" | ") + " |";
  console.log(line(header));
  console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  for (const r of cells.slice(1)) console.log(line(r));
}

function fmt(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(3);
}

// ---------------------------------------------------------------- BM25 runs over a dataset

interface Variant {
  name: string;
  config: FullTextConfigInput;
  /** "split": fields title and text with weights; "combined": one field holding title + text. */
  layout: "split" | "combined";
  weights?: { title: number; text: number };
}

async function bm25Run(ds: BeirDataset, v: Variant, depth: number): Promise<Map<string, string[]>> {
  const config = resolveFullTextConfig(v.config);
  const configs: Record<string, FullTextConfig> = v.layout === "combined" ? { all: config } : { title: config, text: config };
  const w = new FullTextIndexWriter(configs);
  ds.docs.forEach((d, i) =>
    w.addDocument(i, v.layout === "combined" ? { all: `${d.title} ${d.text}` } : { title: d.title, text: d.text }),
  );
  const reader = await FullTextIndexReader.open(memoryRangeReader(w.finish()));
  const fields = v.layout === "combined" ? { all: 1 } : (v.weights ?? { title: 1, text: 1 });
  const runs = new Map<string, string[]>();
  for (const q of ds.qrels.keys()) {
    const query = planFullTextQuery(ds.queries.get(q) ?? "", fields, configs);
    const stats = await collectSegmentStats(reader, query);
    const c = new TopKCollector(depth);
    await searchSegment(reader, query, stats, c);
    runs.set(q, c.results().map((r) => ds.docs[r.seq].id));
  }
  return runs;
}

/** Exact cosine top-`depth` (the vectors are unit-norm, so a dot product). */
function denseRun(dir: string, ds: BeirDataset, depth: number): Map<string, string[]> | undefined {
  const emb = loadSciFactEmbeddings(dir);
  if (!emb) return undefined;
  const runs = new Map<string, string[]>();
  emb.queryIds.forEach((qid, qi) => {
    if (!ds.qrels.has(qid)) return;
    const q = emb.queries[qi];
    const scored = emb.base.map((v, i) => {
      let s = 0;
      for (let j = 0; j < v.length; j++) s += v[j] * q[j];
      return [s, i] as const;
    });
    scored.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    runs.set(qid, scored.slice(0, depth).map(([, i]) => emb.docIds[i]));
  });
  return runs;
}

async function qualitySection(): Promise<void> {
  const variants: Variant[] = [
    { name: "defaults (no stem, stopwords kept), title 1 + text 1", config: {}, layout: "split" },
    { name: "stem + stopwords, title 1 + text 1", config: { stemming: true, remove_stopwords: true }, layout: "split" },
    { name: "stem + stopwords, title 0.5 + text 1", config: { stemming: true, remove_stopwords: true }, layout: "split", weights: { title: 0.5, text: 1 } },
    { name: "stem + stopwords, title 2 + text 1", config: { stemming: true, remove_stopwords: true }, layout: "split", weights: { title: 2, text: 1 } },
    { name: "stem + stopwords, one field (title + text)", config: { stemming: true, remove_stopwords: true }, layout: "combined" },
    { name: "defaults, one field (title + text)", config: {}, layout: "combined" },
    { name: "stem + stopwords, one field, k1 0.9 b 0.4", config: { stemming: true, remove_stopwords: true, k1: 0.9, b: 0.4 }, layout: "combined" },
  ];
  const results: Array<Array<string | number>> = [];
  const sci = loadBeir(resolve(DATASETS, "scifact"));
  const cran = loadBeir(resolve(DATASETS, "cranfield/beir"));
  if (sci === undefined && cran === undefined) {
    console.log(`\n(no datasets under ${DATASETS}: quality tables skipped)`);
    return;
  }
  const sciRuns = new Map<string, Map<string, string[]>>();
  for (const v of variants) {
    const row: Array<string | number> = [v.name];
    for (const ds of [sci, cran]) {
      if (ds === undefined) {
        row.push("-", "-");
        continue;
      }
      const runs = await bm25Run(ds, v, 1000);
      if (ds === sci) sciRuns.set(v.name, runs);
      const m = evaluate(runs, ds.qrels);
      row.push(m.ndcg, m.recall);
    }
    results.push(row);
  }
  table(
    `BM25 retrieval quality (SciFact: ${sci?.qrels.size ?? 0} test queries; Cranfield: ${cran?.qrels.size ?? 0} queries)`,
    ["variant", "SciFact nDCG@10", "SciFact R@100", "Cranfield nDCG@10", "Cranfield R@100"],
    results,
  );
  if (sci === undefined) return;
  const dense = denseRun(resolve(DATASETS, "scifact"), sci, 1000);
  if (dense === undefined) return;
  const rows: Array<Array<string | number>> = [];
  const d = evaluate(dense, sci.qrels);
  rows.push(["dense MiniLM-128 exact cosine", "-", d.ndcg, d.recall]);
  for (const name of [variants[0].name, variants[1].name, variants[4].name]) {
    const bm25 = sciRuns.get(name)!;
    for (const depth of [100, 1000]) {
      const fused = new Map<string, string[]>();
      for (const q of sci.qrels.keys()) {
        const f = reciprocalRankFusion([{ ids: (dense.get(q) ?? []).slice(0, depth) }, { ids: (bm25.get(q) ?? []).slice(0, depth) }], { k: 60 });
        fused.set(q, f.map((r) => r.id));
      }
      const m = evaluate(fused, sci.qrels);
      rows.push([`RRF k=60: dense + BM25 ${name}`, depth, m.ndcg, m.recall]);
    }
  }
  table("SciFact hybrid (RRF, equal weights)", ["run", "depth per arm", "nDCG@10", "R@100"], rows);
}

// ---------------------------------------------------------------- generated corpora: latency, build, size, memory

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const heapMb = () => process.memoryUsage().heapUsed / 1e6;
const externalMb = () => process.memoryUsage().arrayBuffers / 1e6;

async function scaleSection(totalDocs: number): Promise<Array<string | number>[]> {
  const gen = new TextGenerator(totalDocs);
  const configs = { body: resolveFullTextConfig({}) };
  const objects: Uint8Array[] = [];
  let buildMs = 0;
  let peakBuildMb = 0;
  for (let s = 0; s * SEGMENT_DOCS < totalDocs; s++) {
    const n = Math.min(SEGMENT_DOCS, totalDocs - s * SEGMENT_DOCS);
    const docs = Array.from({ length: n }, () => gen.document());
    gc();
    const before = heapMb() + externalMb();
    const t0 = performance.now();
    const w = new FullTextIndexWriter(configs);
    for (let i = 0; i < n; i++) w.addDocument(s * SEGMENT_DOCS + i, { body: docs[i] });
    const addMs = performance.now() - t0;
    gc();
    const mid = heapMb() + externalMb();
    const t1 = performance.now();
    const bytes = w.finish();
    buildMs += addMs + performance.now() - t1;
    gc();
    const after = heapMb() + externalMb();
    peakBuildMb = Math.max(peakBuildMb, mid - before, after - before);
    objects.push(bytes);
  }
  const totalBytes = objects.reduce((s, o) => s + o.length, 0);

  // Queries: 1-4 terms, ranks log-uniform over the vocabulary (common and rare words mixed).
  const qgen = new TextGenerator(42);
  const queries = Array.from({ length: 200 }, () => qgen.query());
  const runQuery = async (readers: FullTextIndexReader[], text: string) => {
    const query = planFullTextQuery(text, "body", configs);
    const stats = mergeStats(await Promise.all(readers.map((r) => collectSegmentStats(r, query))));
    const c = new TopKCollector(10);
    for (let i = 0; i < readers.length; i++) await searchSegment(readers[i], query, stats, c, { source: i });
    return c.results();
  };
  gc();
  const baseQueryMem = heapMb() + externalMb();
  const readers = await Promise.all(objects.map((o) => FullTextIndexReader.open(memoryRangeReader(o))));
  for (const q of queries) await runQuery(readers, q); // warm-up: postings decoded and cached
  const warm: number[] = [];
  for (const q of queries) {
    const t0 = performance.now();
    await runQuery(readers, q);
    warm.push(performance.now() - t0);
  }
  const warmMem = readers.reduce((s, r) => s + r.memoryBytes, 0) / 1e6;
  void baseQueryMem;
  const cold: number[] = [];
  for (const q of queries.slice(0, 100)) {
    const t0 = performance.now();
    const fresh = await Promise.all(objects.map((o) => FullTextIndexReader.open(memoryRangeReader(o))));
    await runQuery(fresh, q);
    cold.push(performance.now() - t0);
  }
  warm.sort((a, b) => a - b);
  cold.sort((a, b) => a - b);
  return [[
    totalDocs, objects.length, Math.round(totalDocs / (buildMs / 1000)), totalBytes / totalDocs,
    percentile(warm, 50), percentile(warm, 99), percentile(cold, 50), percentile(cold, 99), peakBuildMb, warmMem,
  ]];
}

async function main(): Promise<void> {
  console.log(`fts-core benchmark — node ${process.version}, datasets ${DATASETS}${QUICK ? " (quick)" : ""}`);
  await qualitySection();
  const rows: Array<Array<string | number>> = [];
  for (const n of QUICK ? [100_000] : [100_000, 1_000_000]) rows.push(...(await scaleSection(n)));
  table(
    `Generated corpus (Zipf s=${ZIPF_S}, ${VOCAB.toLocaleString("en-US")}-word vocabulary, 10-90 words/doc, ${SEGMENT_DOCS.toLocaleString("en-US")} docs/segment, defaults analyzer, top-10, 200 queries of 1-4 terms)`,
    ["docs", "segments", "build docs/s", "index bytes/doc", "warm p50 ms", "warm p99 ms", "cold p50 ms", "cold p99 ms", "build live MB", "warm reader MB"],
    rows,
  );
  console.log("cold = fresh readers per query over in-memory bytes (decode cost, no network); warm = readers and decoded postings kept.");
  console.log("build live MB = live heap + ArrayBuffers of one segment build after adding rows and after finish() (gc'd checkpoints; finish() briefly adds 6 bytes per posting for its sort); warm reader MB = bytes the kept readers hold after all queries (FullTextIndexReader.memoryBytes).");
}

await main();
