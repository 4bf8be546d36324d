/**
 * Orama (@orama/orama, in-process) as a benchmarked system: full-text (its BM25), vector (brute-force
 * cosine similarity) and hybrid search over the same data. Runs inside a peer child process; no
 * workload logic here.
 */
import { type AnyOrama, MODE_HYBRID_SEARCH, MODE_VECTOR_SEARCH, create, insertMultiple, search } from "@orama/orama";
import { stopwords as englishStopwords } from "@orama/stopwords/english";
import { reciprocalRankFusion } from "../../src/core/query/fusion.ts";
import type { BeirDataset } from "../lib/datasets.ts";
import type { VectorSet } from "../lib/vector-sets.ts";
import type { AnnResult, QualityResult } from "./results.ts";
import { type BeirVectors, type LoggedRunOptions, annSweep, qualityRun } from "./workloads.ts";

const QUALITY_TOP_K = 100;
/** Orama filters vector hits below a cosine similarity (default 0.8); 0 keeps every top-k candidate. */
const SIMILARITY = 0;

export async function oramaAnn(set: VectorSet, opts: LoggedRunOptions): Promise<AnnResult> {
  const db = create({ schema: { n: "number", embedding: `vector[${set.dims}]` } as const });
  const started = performance.now();
  for (const b of set.batches(10_000)) {
    const docs = Array.from({ length: b.data.length / set.dims }, (_, i) => ({
      id: String(b.start + i),
      n: b.start + i,
      embedding: Array.from(b.data.subarray(i * set.dims, (i + 1) * set.dims)),
    }));
    await insertMultiple(db, docs, 1000);
  }
  const loadSeconds = (performance.now() - started) / 1000;
  opts.log(`  loaded ${set.count} vectors in ${loadSeconds.toFixed(1)} s`);
  const points = await annSweep(set, [{ label: "exhaustive (only mode)", knobs: {} }], async (q) => {
    const res = await search(db, { mode: MODE_VECTOR_SEARCH, vector: { value: Array.from(q), property: "embedding" }, similarity: SIMILARITY, limit: 10, includeVectors: false });
    return { ids: res.hits.map((h) => Number(h.id)) };
  }, opts);
  return {
    system: "orama",
    dataset: set.key,
    datasetName: set.name,
    config: "brute-force cosine similarity",
    settings: { similarity: SIMILARITY, "insertMultiple batch": 1000 },
    ingest: { docs: set.count, loadSeconds, indexSeconds: 0 },
    points,
    memory: { peak: 0 },
  };
}

/** Stock: Orama's default tokenizer and search options. Tuned: english stemming and stopwords, any-term matching. */
const VARIANTS = {
  stock: { tokenizer: {}, threshold: undefined as number | undefined, describe: "defaults (no stemming, no stopwords, default threshold)" },
  english: { tokenizer: { language: "english", stemming: true, stopWords: englishStopwords }, threshold: 1, describe: "english stemmer + @orama/stopwords english, threshold 1 (any term, as by default)" },
} as const;

function corpusDb(variant: keyof typeof VARIANTS, dims?: number): AnyOrama {
  const schema: Record<string, string> = { title: "string", text: "string" };
  if (dims) schema.embedding = `vector[${dims}]`;
  return create({ schema, components: { tokenizer: VARIANTS[variant].tokenizer } } as Parameters<typeof create>[0]);
}

const CONFIGS: Record<string, string> = {
  dense: "brute-force cosine",
  "hybrid RRF": "its BM25 (english) + vector lists, RRF k=60 in the harness",
  "hybrid native": "hybrid mode (its own score fusion, default weights 0.5 / 0.5; not RRF)",
};

export async function oramaQuality(
  name: "scifact" | "cranfield",
  ds: BeirDataset,
  vectors: BeirVectors | undefined,
  opts: LoggedRunOptions,
): Promise<QualityResult[]> {
  const out: QualityResult[] = [];
  for (const variant of ["stock", "english"] as const) {
    const db = corpusDb(variant, vectors ? [...vectors.docs.values()][0].length : undefined);
    const started = performance.now();
    await insertMultiple(db, ds.docs.map((d) => ({ id: d.id, title: d.title, text: d.text, ...(vectors ? { embedding: Array.from(vectors.docs.get(d.id)!) } : {}) })), 1000);
    const ingest = { docs: ds.docs.length, loadSeconds: (performance.now() - started) / 1000, indexSeconds: 0 };
    const threshold = VARIANTS[variant].threshold;
    const runs: Record<string, (qid: string) => Promise<{ hits: { id: string }[] }>> = {
      bm25: (qid) => Promise.resolve(search(db, { term: ds.queries.get(qid)!, properties: ["title", "text"], limit: QUALITY_TOP_K, ...(threshold === undefined ? {} : { threshold }) })),
    };
    if (vectors && variant === "english") {
      runs.dense = (qid) => Promise.resolve(search(db, { mode: MODE_VECTOR_SEARCH, vector: { value: Array.from(vectors.queries.get(qid)!), property: "embedding" }, similarity: SIMILARITY, limit: QUALITY_TOP_K }));
      // Orama has no RRF: fuse its own two result lists in the harness, as the other systems fuse theirs.
      runs["hybrid RRF"] = async (qid) => {
        const [text, dense] = await Promise.all([runs.bm25(qid), runs.dense(qid)]);
        const fused = reciprocalRankFusion([{ ids: text.hits.map((h) => h.id) }, { ids: dense.hits.map((h) => h.id) }], { k: 60, topK: QUALITY_TOP_K });
        return { hits: fused.map((f) => ({ id: f.id })) };
      };
      runs["hybrid native"] = (qid) =>
        Promise.resolve(search(db, {
          mode: MODE_HYBRID_SEARCH,
          term: ds.queries.get(qid)!,
          properties: ["title", "text"],
          vector: { value: Array.from(vectors.queries.get(qid)!), property: "embedding" },
          similarity: SIMILARITY,
          threshold: 1,
          limit: QUALITY_TOP_K,
        }));
    }
    for (const [run, fn] of Object.entries(runs)) {
      const quality = await qualityRun(ds, async (qid) => ({ ids: (await fn(qid)).hits.map((h) => String(h.id)) }), opts);
      opts.log(`  ${variant} ${run}: nDCG@10 ${quality.ndcg10.toFixed(3)}, p50 ${quality.p50.toFixed(2)} ms`);
      out.push({
        system: "orama",
        dataset: name,
        run: run.startsWith("hybrid") ? "hybrid" : run,
        config: CONFIGS[run] ?? `BM25, ${variant === "stock" ? "stock settings" : "english analyzer"}`,
        settings: { analyzer: VARIANTS[variant].describe, fields: "title + text", top_k: QUALITY_TOP_K, similarity: SIMILARITY },
        quality,
        ingest,
        memory: { peak: 0 },
      });
    }
  }
  return out;
}
