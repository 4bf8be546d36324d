/**
 * `npm run bench:ann`: the vector index through the HTTP API on the local server (wrangler dev).
 * Per dataset: recall@10 and server latency (p50/p99, warm and cold) against nprobe, object reads,
 * bytes read, sequential storage round trips when cold, cache hit ratio, and the workerd process's
 * memory during ingest/index maintenance and queries.
 *
 * Datasets: ngt_sift5k (euclidean), scifact MiniLM (cosine) from ../shared/datasets when present,
 * and generated clustered 768-d vectors at each size of BENCH_ANN_SIZES (default "100000").
 * The small datasets sit below the default index threshold (5,000 vectors), so the benchmark lowers
 * it to 1,000 to measure the index itself (with the default, they are searched exactly: recall 1).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { VectorGenerator } from "./lib/data.ts";
import { DATASETS, readFvecs, readIvecs } from "./lib/datasets.ts";
import { exactTopK } from "./lib/exact.ts";
import { loadWasmKernels } from "./load-kernels.ts";
import { type LocalServer, call, ingest, startServer, waitIdle } from "./lib/server.ts";
import { fmt, median, mib, peakLive, percentile, printTable } from "./lib/stats.ts";

const SIZES = (process.env.BENCH_ANN_SIZES ?? "100000").split(",").filter(Boolean).map(Number);
const QUERIES = Number(process.env.BENCH_ANN_QUERIES ?? 100);
const COLD_QUERIES = Number(process.env.BENCH_ANN_COLD_QUERIES ?? 20);

interface Dataset {
  name: string;
  metric: "cosine" | "euclidean_squared";
  dims: number;
  count: number;
  base: () => Iterable<{ id: number; vector: number[] }>;
  queries: number[][];
  /** Exact top-10 ids per query. */
  truth: number[][];
}

function loadSift(): Dataset | undefined {
  const dir = resolve(DATASETS, "ngt_sift5k");
  if (!existsSync(resolve(dir, "sift5k_split4500_base.fvecs"))) return undefined;
  const base = readFvecs(resolve(dir, "sift5k_split4500_base.fvecs"));
  return {
    name: "ngt_sift5k (4,500 × 128, euclidean)",
    metric: "euclidean_squared",
    dims: 128,
    count: base.length,
    base: () => base.map((v, id) => ({ id, vector: Array.from(v) })),
    queries: readFvecs(resolve(dir, "sift5k_split4500_query.fvecs")).slice(0, QUERIES).map((q) => Array.from(q)),
    truth: readIvecs(resolve(dir, "sift5k_split4500_groundtruth.ivecs")).slice(0, QUERIES).map((g) => Array.from(g.slice(0, 10))),
  };
}

function loadSciFact(): Dataset | undefined {
  const dir = resolve(DATASETS, "scifact", "embeddings_minilm");
  if (!existsSync(resolve(dir, "scifact_minilm128_base.fvecs"))) return undefined;
  const base = readFvecs(resolve(dir, "scifact_minilm128_base.fvecs"));
  return {
    name: "scifact MiniLM (5,183 × 128, cosine)",
    metric: "cosine",
    dims: 128,
    count: base.length,
    base: () => base.map((v, id) => ({ id, vector: Array.from(v) })),
    queries: readFvecs(resolve(dir, "scifact_minilm128_query.fvecs")).slice(0, QUERIES).map((q) => Array.from(q)),
    truth: readIvecs(resolve(dir, "scifact_minilm128_groundtruth.ivecs")).slice(0, QUERIES).map((g) => Array.from(g.slice(0, 10))),
  };
}

async function generated(count: number): Promise<Dataset> {
  const base = function* () {
    const gen = new VectorGenerator(768, 256, 42);
    for (let id = 0; id < count; id++) yield { id, vector: gen.next() };
  };
  // Same centres, another point stream: queries are new points, not copies of stored ones.
  const points = new VectorGenerator(768, 256, 42, 4242);
  const queries = Array.from({ length: QUERIES }, () => points.next());
  // Ground truth by brute force here, not through the server (an exact query per query there is
  // slow at this size and would test the server against itself).
  const truth = exactTopK(await loadWasmKernels(), { metric: "cosine", dim: 768, source: function* () {
    for (const r of base()) yield { seq: r.id, vector: r.vector };
  } }, queries.map((q) => Float32Array.from(q)), 10);
  return { name: `generated (${count.toLocaleString("en-US")} × 768, cosine)`, metric: "cosine", dims: 768, count, base, queries, truth };
}

async function query(server: LocalServer, ns: string, body: Record<string, unknown>) {
  const r = await call(server, "POST", `/v1/namespaces/${ns}/query`, { top_k: 10, include_attributes: false, ...body });
  if (r.status !== 200) throw new Error(`query: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function run(server: LocalServer, ds: Dataset, rows: (string | number)[][], memRows: (string | number)[][]): Promise<void> {
  const ns = `ann-${rows.length}-${ds.dims}-${ds.count}`;
  await call(server, "PUT", `/v1/namespaces/${ns}`, { schema: { vector: { dimensions: ds.dims, metric: ds.metric } } });
  server.resetPeak();
  const started = performance.now();
  const acked = await ingest(server, ns, ds.base(), ds.dims > 256 ? 500 : 1000, 2);
  const desc = await waitIdle(server, ns, 4 * 60 * 60_000);
  const indexed = ds.count / ((performance.now() - started) / 1000);
  const ingestMem = server.memory();
  const ingestLive = await server.isolateLive();
  const truth = ds.truth;
  const stats = (await call(server, "GET", `/v1/namespaces/${ns}/stats`)).body;
  const probe = await query(server, ns, { vector: ds.queries[0] });
  const defaultNprobe = probe.performance.clusters_probed;
  server.resetPeak();
  const sweep = [...new Set([null, 1, 2, 4, 8, 16, 32, 64, 128].filter((n) => n === null || n <= 4 * defaultNprobe))];
  for (const nprobe of sweep) {
    const extra = nprobe === null ? {} : { nprobe };
    // First pass: each query once (new to the isolate); warm = the same queries again.
    const first: number[] = [];
    for (const q of ds.queries) first.push((await query(server, ns, { vector: q, ...extra })).performance.server_ms);
    const ms: number[] = [];
    let hits = 0;
    let reads = 0;
    let bytes = 0;
    let candidates = 0;
    let probed = 0;
    for (let i = 0; i < ds.queries.length; i++) {
      const res = await query(server, ns, { vector: ds.queries[i], ...extra });
      ms.push(res.performance.server_ms);
      reads += res.performance.object_reads;
      bytes += res.performance.bytes_read;
      candidates += res.performance.index_candidates;
      probed = res.performance.clusters_probed;
      const got = new Set(res.results.map((r: { id: number }) => r.id));
      hits += truth[i].filter((id) => got.has(id)).length;
    }
    const cold: number[] = [];
    const trips: number[] = [];
    const coldBytes: number[] = [];
    for (const q of ds.queries.slice(0, COLD_QUERIES)) {
      await call(server, "POST", "/admin/cache/clear");
      const res = await query(server, ns, { vector: q, ...extra });
      cold.push(res.performance.server_ms);
      trips.push(res.performance.storage_round_trips);
      coldBytes.push(res.performance.cache.storage_bytes);
    }
    const n = ds.queries.length;
    rows.push([
      ds.name,
      nprobe === null ? `${probed} (default)` : probed,
      (hits / (n * 10)).toFixed(3),
      fmt(median(first)),
      fmt(median(ms)),
      fmt(percentile(ms, 99)),
      fmt(median(cold)),
      fmt(percentile(cold, 99)),
      fmt(median(trips), 0),
      fmt(reads / n, 0),
      mib(bytes / n),
      mib(median(coldBytes)),
      fmt(candidates / n, 0),
    ]);
    // every cluster probed: a larger nprobe would repeat this row
    if (nprobe !== null && probed < nprobe) break;
  }
  const queryMem = server.memory();
  const queryLive = await server.isolateLive();
  memRows.push([
    ds.name, fmt(acked, 0), fmt(indexed, 0), desc.segments, stats.documents,
    mib(ingestMem.peak), mib(queryMem.peak),
    peakLive(ingestMem.isolatePeak, ingestLive), peakLive(queryMem.isolatePeak, queryLive),
  ]);
}

const server = await startServer({ vars: { ELACSYM_EDGE_CACHE: "0", ELACSYM_VECTOR_INDEX_MIN_ROWS: "1000" } });
const rows: (string | number)[][] = [];
const memRows: (string | number)[][] = [];
try {
  console.log(`bench:ann — local server ${server.endpoint}, datasets ${DATASETS}`);
  const datasets = [loadSift(), loadSciFact(), ...(await Promise.all(SIZES.map(generated)))].filter((d): d is Dataset => d !== undefined);
  if (!loadSift() || !loadSciFact()) console.log(`(a dataset under ${DATASETS} is missing: it is skipped)`);
  for (const ds of datasets) {
    await run(server, ds, rows, memRows);
    printTable("ANN through the API (top-10; first pass: each query once; warm: the same queries again; cold: isolate cache cleared; Cache API off throughout)", [
      "dataset", "nprobe", "recall@10", "first pass p50 ms", "warm p50 ms", "warm p99 ms", "cold p50 ms", "cold p99 ms", "cold round trips", "object reads", "bytes read", "cold R2 bytes", "index candidates",
    ], rows);
  }
  printTable("Ingest and memory (RSS: the workerd process, Worker + Durable Object + local R2/D1 emulation; isolate: the Worker isolate's JS heap + ArrayBuffers, which the 128 MB limit counts, shared locally by the Worker and its Durable Objects — sampled peak including garbage not yet collected / live after a full GC at the end of the phase)", [
    "dataset", "acked docs/s", "indexed docs/s (until idle)", "segments", "documents", "peak RSS ingest + index", "peak RSS queries", "isolate ingest + index: peak / live", "isolate queries: peak / live",
  ], memRows);
} finally {
  await server.stop();
}
