/**
 * `npm run bench:fts`: full-text search through the HTTP API on the local server (wrangler dev, local
 * DO/R2/D1). Retrieval quality on SciFact and Cranfield (BM25 alone, dense, hybrid RRF with the MiniLM
 * embeddings), then latency (warm and cold), build throughput and index size on generated corpora.
 *
 * Env: BENCH_FTS_SIZES (generated corpus sizes, default "100000"; add 1000000 for the 1M run),
 * DATASETS (default ../shared/datasets).
 */
import { resolve } from "node:path";
import { TextGenerator } from "./lib/corpus.ts";
import { DATASETS, type BeirDataset, loadBeir, loadSciFactEmbeddings } from "./lib/datasets.ts";
import { evaluate } from "./lib/ir.ts";
import { type LocalServer, call, ingest, startServer, waitIdle } from "./lib/server.ts";
import { fmt, median, mib, peakLive, percentile, printTable } from "./lib/stats.ts";

const SIZES = (process.env.BENCH_FTS_SIZES ?? "100000").split(",").map(Number);
const ANALYZER = { language: "english", stemming: true, remove_stopwords: true };

async function loadDataset(server: LocalServer, ns: string, ds: BeirDataset, vectors?: Map<string, Float32Array>): Promise<void> {
  const schema: Record<string, unknown> = {
    attributes: { title: { type: "string", full_text: ANALYZER }, text: { type: "string", full_text: ANALYZER } },
  };
  if (vectors) schema.vector = { dimensions: 128, metric: "cosine" };
  const r = await call(server, "PUT", `/v1/namespaces/${ns}`, { schema: { ...schema, id_type: "string" } });
  if (r.status !== 201) throw new Error(`create ${ns}: ${r.status} ${JSON.stringify(r.body)}`);
  await ingest(server, ns, ds.docs.map((d) => ({ id: d.id, ...(vectors ? { vector: Array.from(vectors.get(d.id)!) } : {}), attributes: { title: d.title, text: d.text } })));
  await waitIdle(server, ns);
}

async function run(server: LocalServer, ns: string, ds: BeirDataset, body: (qid: string) => unknown): Promise<{ ndcg: number; recall: number; p50: number; p99: number }> {
  const runs = new Map<string, string[]>();
  const ms: number[] = [];
  for (const qid of ds.qrels.keys()) {
    const r = await call(server, "POST", `/v1/namespaces/${ns}/query`, { top_k: 100, include_attributes: false, ...(body(qid) as object) });
    if (r.status !== 200) throw new Error(`query: ${r.status} ${JSON.stringify(r.body)}`);
    runs.set(qid, r.body.results.map((x: { id: string }) => String(x.id)));
    ms.push(r.body.performance.server_ms);
  }
  return { ...evaluate(runs, ds.qrels), p50: median(ms), p99: percentile(ms, 99) };
}

async function quality(server: LocalServer): Promise<void> {
  const rows: (string | number)[][] = [];
  const row = (dataset: string, name: string, r: Awaited<ReturnType<typeof run>>) =>
    rows.push([dataset, name, r.ndcg.toFixed(3), r.recall.toFixed(3), fmt(r.p50), fmt(r.p99)]);

  const sci = loadBeir(resolve(DATASETS, "scifact"));
  const emb = loadSciFactEmbeddings();
  if (!sci) console.log(`SciFact not found under ${DATASETS}: skipped`);
  else {
    const vectors = emb ? new Map(emb.docIds.map((id, i) => [id, emb.base[i]])) : undefined;
    const queryVectors = emb ? new Map(emb.queryIds.map((id, i) => [id, Array.from(emb.queries[i])])) : undefined;
    await loadDataset(server, "scifact", sci, vectors);
    const text = (fields: Record<string, number>) => (qid: string) => ({ full_text: { query: sci.queries.get(qid)!, fields } });
    row("SciFact", "BM25 title 1 + text 1", await run(server, "scifact", sci, text({ title: 1, text: 1 })));
    row("SciFact", "BM25 title 0.5 + text 1", await run(server, "scifact", sci, text({ title: 0.5, text: 1 })));
    if (queryVectors) {
      row("SciFact", "dense MiniLM-128 (exact)", await run(server, "scifact", sci, (qid) => ({ vector: queryVectors.get(qid) })));
      for (const fields of [{ title: 1, text: 1 }, { title: 0.5, text: 1 }]) {
        row("SciFact", `hybrid RRF k=60: dense + BM25 title ${fields.title} + text ${fields.text}`, await run(server, "scifact", sci, (qid) => ({
          vector: queryVectors.get(qid),
          full_text: { query: sci.queries.get(qid)!, fields },
          hybrid: { method: "rrf", k: 60 },
        })));
      }
    } else console.log("SciFact embeddings not found: dense and hybrid skipped");
  }
  const cran = loadBeir(resolve(DATASETS, "cranfield/beir"));
  if (!cran) console.log(`Cranfield not found under ${DATASETS}: skipped`);
  else {
    await loadDataset(server, "cranfield", cran);
    for (const fields of [{ title: 1, text: 1 }, { title: 0.5, text: 1 }]) {
      row("Cranfield", `BM25 title ${fields.title} + text ${fields.text}`, await run(server, "cranfield", cran, (qid) => ({ full_text: { query: cran.queries.get(qid)!, fields } })));
    }
  }
  printTable(
    `Retrieval quality through the API (english analyzer: stemming + stopwords; SciFact ${sci?.qrels.size ?? 0} test queries, Cranfield ${cran?.qrels.size ?? 0}; top_k 100)`,
    ["dataset", "run", "nDCG@10", "recall@100", "server p50 ms", "server p99 ms"],
    rows,
  );
}

async function scale(server: LocalServer): Promise<void> {
  const rows: (string | number)[][] = [];
  const ns = "generated";
  await call(server, "PUT", `/v1/namespaces/${ns}`, { schema: { attributes: { body: { type: "string", full_text: true } } } });
  const gen = new TextGenerator(7);
  let loaded = 0;
  for (const size of SIZES) {
    const started = performance.now();
    const docs = function* () {
      for (; loaded < size; loaded++) yield { id: loaded, attributes: { body: gen.document() } };
    };
    server.resetPeak();
    const acked = await ingest(server, ns, docs(), 1000, 2);
    const desc = await waitIdle(server, ns);
    const built = size / ((performance.now() - started) / 1000);
    const ingestMem = server.memory();
    const ingestLive = await server.isolateLive();
    const qgen = new TextGenerator(42);
    const queries = Array.from({ length: 200 }, () => qgen.query());
    const q = async (text: string) => {
      const r = await call(server, "POST", `/v1/namespaces/${ns}/query`, { full_text: { query: text }, top_k: 10, include_attributes: false });
      if (r.status !== 200) throw new Error(`query: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.performance;
    };
    // First pass: each query new to the isolate (its terms' blocks may still be cached from
    // earlier queries); warm = the same queries again, their blocks in the isolate cache.
    const first: number[] = [];
    for (const text of queries) first.push((await q(text)).server_ms);
    const warm: number[] = [];
    const reads: number[] = [];
    for (const text of queries) {
      const p = await q(text);
      warm.push(p.server_ms);
      reads.push(p.object_reads);
    }
    const cold: number[] = [];
    const coldReads: number[] = [];
    for (const text of queries.slice(0, 50)) {
      await call(server, "POST", "/admin/cache/clear");
      const p = await q(text);
      cold.push(p.server_ms);
      coldReads.push(p.cache.storage_reads);
    }
    rows.push([
      size, desc.segments, fmt(acked, 0), fmt(built, 0), (desc.storage.bytes.full_text / desc.documents).toFixed(1),
      fmt(median(first)), fmt(median(warm)), fmt(percentile(warm, 99)), fmt(median(cold)), fmt(percentile(cold, 99)), fmt(median(coldReads), 0), mib(ingestMem.peak), mib(server.memory().peak),
      peakLive(ingestMem.isolatePeak, ingestLive), peakLive(server.memory().isolatePeak, await server.isolateLive()),
    ]);
  }
  printTable(
    "Generated corpus (Zipf s=1.07 over 200,000 words, 10–90 words/doc, default analyzer; top-10; 200 queries of 1–4 terms; first pass = each query once, then warm = the same queries again; cold = isolate cache cleared; Cache API off throughout)",
    ["docs", "segments", "acked docs/s", "indexed docs/s", "index bytes/doc", "first pass p50 ms", "warm p50 ms", "warm p99 ms", "cold p50 ms", "cold p99 ms", "cold R2 reads", "peak RSS ingest", "peak RSS total", "isolate ingest: peak / live", "isolate total: peak / live"],
    rows,
  );
}

const server = await startServer({ vars: { ELACSYM_EDGE_CACHE: "0" } });
try {
  console.log(`bench:fts — local server ${server.endpoint}, datasets ${DATASETS}`);
  await quality(server);
  await scale(server);
} finally {
  await server.stop();
}
