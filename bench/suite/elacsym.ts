/**
 * Elacsym as a benchmarked system: loads datasets through the HTTP API of a local server (wrangler
 * dev, its own workerd process per job) and answers the workloads' searches with the API's own
 * timing and I/O figures, for `npm run bench`; no workload logic here.
 */
import { type BeirDataset } from "../lib/datasets.ts";
import { type LocalServer, call, ingest, startServer, waitIdle } from "../lib/server.ts";
import { median, percentile } from "../lib/stats.ts";
import type { VectorSet } from "../lib/vector-sets.ts";
import type { AnnResult, ColdFigures, Ingest, QualityResult } from "./results.ts";
import { type Answer, type BeirVectors, type RunOptions, type SweepPoint, annSweep, qualityRun } from "./workloads.ts";

/**
 * Cache API off so that "cold" means storage reads. The small real sets (4,500 and 5,183 vectors)
 * sit just below the default index threshold (5,000 live vectors): lowered so the index is measured.
 */
export const ANN_SERVER_VARS = { ELACSYM_EDGE_CACHE: "0", ELACSYM_VECTOR_INDEX_MIN_ROWS: "1000" };
export const ANALYZER = { language: "english", stemming: true, remove_stopwords: true };
export const FIELDS = { title: 1, text: 1 };
/** Quality runs rank 100 documents (recall@100; nDCG@10 reads the first 10). */
export const QUALITY_TOP_K = 100;

export async function query(server: LocalServer, ns: string, body: Record<string, unknown>): Promise<any> {
  const r = await call(server, "POST", `/v1/namespaces/${ns}/query`, { top_k: 10, include_attributes: false, ...body });
  if (r.status !== 200) throw new Error(`query ${ns}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** 9 significant digits give back the same float32, so Elacsym indexes the bytes the peers get. */
export const jsonVector = (v: Float32Array): number[] => Array.from(v, (x) => Number(x.toPrecision(9)));

function* vectorDocs(set: VectorSet): Iterable<{ id: number; vector: number[] }> {
  for (const b of set.batches(10_000)) {
    for (let i = 0; i < b.data.length / set.dims; i++) yield { id: b.start + i, vector: jsonVector(b.data.subarray(i * set.dims, (i + 1) * set.dims)) };
  }
}

/** Creates the namespace, upserts the set and waits until it is flushed, indexed and compacted. */
export async function loadVectorSet(server: LocalServer, ns: string, set: VectorSet): Promise<Ingest & { ackedPerSecond: number; describe: any }> {
  const r = await call(server, "PUT", `/v1/namespaces/${ns}`, { schema: { vector: { dimensions: set.dims, metric: set.metric } } });
  if (r.status !== 201 && r.status !== 200) throw new Error(`create ${ns}: ${r.status} ${JSON.stringify(r.body)}`);
  const started = performance.now();
  const ackedPerSecond = await ingest(server, ns, vectorDocs(set), set.dims > 256 ? 500 : 1000, 2);
  const loaded = performance.now();
  const describe = await waitIdle(server, ns, 4 * 60 * 60_000);
  return { docs: set.count, loadSeconds: (loaded - started) / 1000, indexSeconds: (performance.now() - loaded) / 1000, ackedPerSecond, describe };
}

/**
 * nprobe values to sweep: powers of two up to every cluster (the line stops once recall is high
 * enough), and the calibrated default as a line of its own so that it is always measured.
 */
export function nprobePoints(defaultProbe: number, clusters: number): SweepPoint[] {
  const values = new Set<number>();
  for (let n = 1; n < clusters; n *= 2) values.add(n);
  values.add(clusters);
  const points: SweepPoint[] = [...values].map((n) => ({ label: `nprobe ${n}`, knobs: { nprobe: n }, line: "nprobe" }));
  return [{ label: `nprobe ${defaultProbe} (default)`, knobs: { nprobe: defaultProbe }, line: "default" }, ...points];
}

export function vectorSearch(server: LocalServer, ns: string): (q: Float32Array, point: SweepPoint) => Promise<Answer<number>> {
  return async (q, point) => {
    const res = await query(server, ns, { vector: jsonVector(q), ...point.knobs });
    const p = res.performance;
    return {
      ids: res.results.map((r: { id: number }) => r.id),
      serverMs: p.server_ms,
      extra: { object_reads: p.object_reads, bytes_read: p.bytes_read, index_candidates: p.index_candidates, clusters_probed: p.clusters_probed },
    };
  };
}

/** Each body run once after clearing the isolate cache (the Cache API is off): storage round trips. */
export async function coldRuns(server: LocalServer, ns: string, bodies: Record<string, unknown>[]): Promise<ColdFigures> {
  const ms: number[] = [];
  const trips: number[] = [];
  const bytes: number[] = [];
  for (const body of bodies) {
    const clear = await call(server, "POST", "/admin/cache/clear");
    if (clear.status !== 200) throw new Error(`cache clear: ${clear.status} ${JSON.stringify(clear.body)}`);
    const p = (await query(server, ns, body)).performance;
    ms.push(p.server_ms);
    trips.push(p.storage_round_trips);
    bytes.push(p.cache.storage_bytes);
  }
  return { queries: bodies.length, p50: median(ms), p99: percentile(ms, 99), roundTrips: median(trips), storageBytes: median(bytes) };
}

/** One server per job, so that its workerd peak memory belongs to that job alone. */
async function withServer<T>(port: number, vars: Record<string, string>, fn: (server: LocalServer) => Promise<T>): Promise<T> {
  const server = await startServer({ port, vars });
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}

export async function elacsymAnn(set: VectorSet, opts: RunOptions & { coldQueries: number; port: number; log: (s: string) => void }): Promise<AnnResult> {
  return withServer(opts.port, ANN_SERVER_VARS, async (server) => {
    const ns = `ann-${set.key}`;
    server.resetPeak();
    const loaded = await loadVectorSet(server, ns, set);
    const ingestPeak = server.memory().peak;
    opts.log(`  loaded ${set.count} vectors: ${loaded.ackedPerSecond.toFixed(0)} docs/s acknowledged, idle after ${(loaded.loadSeconds + loaded.indexSeconds).toFixed(0)} s`);
    server.resetPeak();
    const probe = (await query(server, ns, { vector: jsonVector(set.queries[0]) })).performance;
    // Probing "everything" reports how many clusters there are.
    const clusters = (await query(server, ns, { vector: jsonVector(set.queries[0]), nprobe: 1_000_000 })).performance.clusters_probed;
    const points = nprobePoints(probe.clusters_probed, clusters);
    const sweep = await annSweep(set, points, vectorSearch(server, ns), opts);
    const cold = await coldRuns(server, ns, set.queries.slice(0, opts.coldQueries).map((q) => ({ vector: jsonVector(q) })));
    const { ackedPerSecond, describe, ...ingestFigures } = loaded;
    return {
      system: "elacsym",
      dataset: set.key,
      datasetName: set.name,
      config: "IVF + RaBitQ (1 + ex bits), namespace-level index",
      settings: {
        index: "engine defaults; default nprobe calibrated at build time",
        "swept at query time": "nprobe: the default, and powers of two up to every cluster",
        "server vars": Object.entries(ANN_SERVER_VARS).map(([k, v]) => `${k}=${v}`).join(" "),
        "upsert batches": `${set.dims > 256 ? 500 : 1000} documents, 2 concurrent writers`,
      },
      figures: { "default nprobe": probe.clusters_probed, clusters, segments: describe.segments },
      ingest: ingestFigures,
      points: sweep,
      memory: { peak: Math.max(ingestPeak, server.memory().peak), queryPeak: server.memory().peak },
      cold,
    };
  });
}

/** Creates a namespace with title and text as full-text fields (and the vectors when given) and loads the corpus. */
export async function loadBeirNamespace(server: LocalServer, ns: string, ds: BeirDataset, vectors?: Map<string, Float32Array>): Promise<Ingest> {
  const schema: Record<string, unknown> = {
    id_type: "string",
    attributes: { title: { type: "string", full_text: ANALYZER }, text: { type: "string", full_text: ANALYZER } },
  };
  if (vectors) schema.vector = { dimensions: [...vectors.values()][0].length, metric: "cosine" };
  const r = await call(server, "PUT", `/v1/namespaces/${ns}`, { schema });
  if (r.status !== 201) throw new Error(`create ${ns}: ${r.status} ${JSON.stringify(r.body)}`);
  const started = performance.now();
  const docs = ds.docs.map((d) => ({ id: d.id, ...(vectors ? { vector: jsonVector(vectors.get(d.id)!) } : {}), attributes: { title: d.title, text: d.text } }));
  await ingest(server, ns, docs);
  const loaded = performance.now();
  await waitIdle(server, ns);
  return { docs: ds.docs.length, loadSeconds: (loaded - started) / 1000, indexSeconds: (performance.now() - loaded) / 1000 };
}

/** Request bodies of the quality runs, by run name; vectors only where the dataset has embeddings. */
export function qualityBodies(ds: BeirDataset, queryVectors?: Map<string, Float32Array>): Record<string, (qid: string) => Record<string, unknown>> {
  const text = (qid: string) => ({ full_text: { query: ds.queries.get(qid)!, fields: FIELDS } });
  const out: Record<string, (qid: string) => Record<string, unknown>> = { bm25: text };
  if (queryVectors) {
    out.dense = (qid) => ({ vector: jsonVector(queryVectors.get(qid)!) });
    out.hybrid = (qid) => ({ ...text(qid), vector: jsonVector(queryVectors.get(qid)!), hybrid: { method: "rrf", k: 60 } });
  }
  return out;
}

export function textSearch(server: LocalServer, ns: string, body: (qid: string) => Record<string, unknown>): (qid: string) => Promise<Answer<string>> {
  return async (qid) => {
    const res = await query(server, ns, { top_k: QUALITY_TOP_K, ...body(qid) });
    return { ids: res.results.map((r: { id: string }) => String(r.id)), serverMs: res.performance.server_ms };
  };
}

export async function elacsymQuality(
  name: "scifact" | "cranfield",
  ds: BeirDataset,
  vectors: BeirVectors | undefined,
  opts: RunOptions & { coldQueries: number; port: number; log: (s: string) => void },
): Promise<QualityResult[]> {
  return withServer(opts.port, { ELACSYM_EDGE_CACHE: "0" }, async (server) => {
    server.resetPeak();
    const ingestFigures = await loadBeirNamespace(server, name, ds, vectors?.docs);
    const out: QualityResult[] = [];
    for (const [run, body] of Object.entries(qualityBodies(ds, vectors?.queries))) {
      const quality = await qualityRun(ds, textSearch(server, name, body), opts);
      opts.log(`  ${run}: nDCG@10 ${quality.ndcg10.toFixed(3)}, p50 ${quality.p50.toFixed(2)} ms`);
      const cold = await coldRuns(server, name, [...ds.qrels.keys()].slice(0, opts.coldQueries).map((qid) => ({ top_k: QUALITY_TOP_K, ...body(qid) })));
      out.push({
        system: "elacsym",
        dataset: name,
        run,
        config: run === "bm25" ? "BM25 (block-max MaxScore)" : run === "dense" ? "vector (default index settings)" : "RRF k=60, server-side",
        settings: {
          ...(run === "dense" ? {} : { analyzer: "english: stemming + stopwords", fields: "title 1 + text 1" }),
          ...(run === "bm25" ? {} : { vectors: "cosine, engine defaults (index and default nprobe)" }),
          top_k: QUALITY_TOP_K,
        },
        quality,
        ingest: ingestFigures,
        memory: { peak: server.memory().peak },
        cold,
      });
    }
    return out;
  });
}
