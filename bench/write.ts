/**
 * `npm run bench:write`: write path against the local server (wrangler dev, local DO/R2/D1).
 * Prints acknowledged write latency for 100-document batches of 768-d vectors, sustained ingest
 * throughput with concurrent writers, the time until everything is flushed, and workerd memory.
 *
 * Env: BENCH_DOCS (sustained ingest, default 50000), BENCH_WRITERS (default 4), BENCH_BATCH (default 500).
 */
import { documents, VectorGenerator } from "./lib/data.ts";
import { call, startServer } from "./lib/server.ts";
import { fmt, median, mib, percentile, printTable } from "./lib/stats.ts";

const DIMS = 768;
const TOTAL = Number(process.env.BENCH_DOCS ?? 50_000);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 4);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);

async function waitFlushed(server: Awaited<ReturnType<typeof startServer>>, ns: string): Promise<void> {
  for (;;) {
    const d = await call(server, "GET", `/v1/namespaces/${ns}`);
    if (d.body.wal.entries === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const server = await startServer();
try {
  const gen = new VectorGenerator(DIMS, 64, 1);
  const schema = { vector: { dimensions: DIMS, metric: "cosine" }, attributes: { category: { type: "string" }, price: { type: "int" }, title: { type: "string" } } };

  // 1. Acknowledged latency of 100-document batches, one writer.
  await call(server, "PUT", "/v1/namespaces/bench-latency", { schema });
  const bodies = Array.from({ length: 220 }, (_, b) => JSON.stringify({ documents: documents(gen, b * 100, 100) }));
  server.resetPeak();
  const lat: number[] = [];
  for (let b = 0; b < bodies.length; b++) {
    const r = await call(server, "POST", "/v1/namespaces/bench-latency/upsert", bodies[b]);
    if (r.status !== 200) throw new Error(`upsert failed: ${r.status} ${JSON.stringify(r.body)}`);
    if (b >= 20) lat.push(r.ms); // the first batches warm the isolate
  }
  const latMem = server.memory();
  await waitFlushed(server, "bench-latency");

  // 2. Sustained ingest with concurrent writers; 429s are retried after retry-after-ms.
  await call(server, "PUT", "/v1/namespaces/bench-ingest", { schema });
  server.resetPeak();
  let next = 0;
  let throttled = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      const local = new VectorGenerator(DIMS, 64, 7);
      for (;;) {
        const start = next;
        next += BATCH;
        if (start >= TOTAL) return;
        const body = JSON.stringify({ documents: documents(local, start, Math.min(BATCH, TOTAL - start)) });
        for (;;) {
          const r = await call(server, "POST", "/v1/namespaces/bench-ingest/upsert", body);
          if (r.status === 200) break;
          if (r.status !== 429) throw new Error(`upsert failed: ${r.status} ${JSON.stringify(r.body)}`);
          throttled++;
          await new Promise((res) => setTimeout(res, Number(r.headers.get("retry-after-ms") ?? 200)));
        }
      }
    }),
  );
  const ackSecs = (performance.now() - started) / 1000;
  await waitFlushed(server, "bench-ingest");
  const flushSecs = (performance.now() - started) / 1000;
  const ingestMem = server.memory();
  const desc = await call(server, "GET", "/v1/namespaces/bench-ingest");

  printTable("Acknowledged write latency (100 docs × 768-d per request, one writer, client-side incl. HTTP + JSON)", ["batches", "p50 ms", "p90 ms", "p99 ms", "max ms"], [
    [lat.length, fmt(median(lat)), fmt(percentile(lat, 90)), fmt(percentile(lat, 99)), fmt(Math.max(...lat))],
  ]);
  printTable(`Sustained ingest (${TOTAL} docs × 768-d, ${WRITERS} writers, ${BATCH} docs/request)`, ["acknowledged docs/s", "flushed docs/s (until WAL empty)", "429 retries", "segments", "flushes"], [
    [fmt(TOTAL / ackSecs, 0), fmt(TOTAL / flushSecs, 0), throttled, desc.body.segments, desc.body.flushes],
  ]);
  printTable("workerd process memory (Worker + Durable Object + local R2/D1 emulation share one process)", ["phase", "peak RSS", "RSS after"], [
    ["latency phase", mib(latMem.peak), mib(latMem.rss)],
    ["sustained ingest + flush", mib(ingestMem.peak), mib(ingestMem.rss)],
  ]);
} finally {
  await server.stop();
}
