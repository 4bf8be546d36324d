/**
 * `npm run bench:query`: query path against the local server. Loads generated 768-d documents,
 * waits until they are flushed and compacted, and prints exhaustive (exact) top-10 query latency,
 * the work each query does, and memory, at each size in BENCH_SIZES (default 10000,100000). The
 * vector index is kept off (bench:ann measures it): every query scans the segments.
 */
import { documents, VectorGenerator } from "./lib/data.ts";
import { call, startServer, waitIdle } from "./lib/server.ts";
import { fmt, median, mib, peakLive, percentile, printTable } from "./lib/stats.ts";

const DIMS = 768;
const SIZES = (process.env.BENCH_SIZES ?? "10000,100000").split(",").map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 30);
const BATCH = 500;

const server = await startServer({ vars: { ELACSYM_VECTOR_INDEX_MIN_ROWS: String(Number.MAX_SAFE_INTEGER) } });
const rows: (string | number)[][] = [];
const memRows: (string | number)[][] = [];
try {
  const gen = new VectorGenerator(DIMS, 64, 1);
  const ns = "bench-query";
  await call(server, "PUT", `/v1/namespaces/${ns}`, {
    schema: { vector: { dimensions: DIMS, metric: "cosine" }, attributes: { category: { type: "string" }, price: { type: "int" }, title: { type: "string" } } },
  });
  let loaded = 0;
  for (const size of SIZES) {
    server.resetPeak();
    while (loaded < size) {
      const n = Math.min(BATCH, size - loaded);
      const r = await call(server, "POST", `/v1/namespaces/${ns}/upsert`, { documents: documents(gen, loaded, n) });
      if (r.status === 429) {
        await new Promise((res) => setTimeout(res, Number(r.headers.get("retry-after-ms") ?? 200)));
        continue;
      }
      if (r.status !== 200) throw new Error(`upsert: ${r.status} ${JSON.stringify(r.body)}`);
      loaded += n;
    }
    await waitIdle(server, ns);
    const ingestMem = server.memory();
    const ingestLive = await server.isolateLive();
    server.resetPeak();
    for (const [label, extra] of [
      ["top-10", {}],
      ["top-10 + filter", { filter: { field: "category", op: "eq", value: "c3" } }],
    ] as const) {
      const client: number[] = [];
      const serverMs: number[] = [];
      let perf: any;
      for (let q = 0; q < QUERIES + 2; q++) {
        const r = await call(server, "POST", `/v1/namespaces/${ns}/query`, { vector: gen.next(), top_k: 10, ...extra });
        if (r.status !== 200) throw new Error(`query: ${r.status} ${JSON.stringify(r.body)}`);
        if (q < 2) continue; // warm-up
        client.push(r.ms);
        serverMs.push(r.body.performance.server_ms);
        perf = r.body.performance;
      }
      rows.push([size, label, fmt(median(serverMs)), fmt(percentile(serverMs, 99)), fmt(median(client)), perf.segments_scanned, perf.exhaustive_search_count, mib(perf.bytes_read), perf.cache_hit_ratio.toFixed(2)]);
    }
    const queryMem = server.memory();
    const queryLive = await server.isolateLive();
    memRows.push([size, mib(ingestMem.peak), mib(queryMem.peak), mib(queryMem.rss), peakLive(ingestMem.isolatePeak, ingestLive), peakLive(queryMem.isolatePeak, queryLive)]);
  }
  printTable(`Exhaustive query latency (768-d cosine, ${QUERIES} queries after 2 warm-up, warm caches)`, ["documents", "query", "server p50 ms", "server p99 ms", "client p50 ms", "segments", "rows scanned", "bytes read", "cache hit ratio"], rows);
  printTable("Memory (RSS: the workerd process with the local R2/D1 emulation; isolate: JS heap + ArrayBuffers of the Worker isolate, shared locally with the Durable Object — sampled peak incl. uncollected garbage / live after a full GC)", ["documents", "peak RSS ingest+flush", "peak RSS queries", "RSS after", "isolate ingest+flush: peak / live", "isolate queries: peak / live"], memRows);
} finally {
  await server.stop();
}
