/**
 * `npm run bench:write`: write path against the local server (wrangler dev, local DO/R2/D1).
 * Prints acknowledged write latency for 100-document batches of 768-d vectors — client-side and as
 * the server measured it (`server-timing`: request received → response ready, with its stages) —,
 * sustained ingest throughput with concurrent writers, the time until everything is flushed, how
 * long background (alarm) steps ran and their CPU per flushed document by stage, and workerd memory.
 *
 * Env: BENCH_DOCS (sustained ingest, default 50000), BENCH_WRITERS (default 4), BENCH_BATCH (default 500).
 */
import { documents, VectorGenerator } from "./lib/data.ts";
import { call, serverTiming, startServer, waitIdle } from "./lib/server.ts";
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

type Step = Record<string, unknown> & { step: string; ms: number; rows?: number; stages?: Record<string, number> };

function printSteps(title: string, steps: Record<string, unknown>[]): void {
  const byStep = new Map<string, number[]>();
  for (const s of steps as Step[]) byStep.set(s.step, [...(byStep.get(s.step) ?? []), s.ms]);
  printTable(title, ["step", "count", "p50 ms", "p90 ms", "max ms", "total s"],
    [...byStep].map(([name, v]) => [name, v.length, fmt(median(v)), fmt(percentile(v, 90)), fmt(Math.max(...v)), fmt(v.reduce((a, b) => a + b, 0) / 1000, 2)]),
  );
}

/**
 * Which background steps were running while the slowest writes of the latency phase waited: a
 * request that arrives during a step's CPU work waits for it (local workerd runs everything on one
 * thread).
 */
type Span = { start: number; end: number; server: number; doMs: number };

/** The largest isolate samples and the background steps running when each was taken. */
function printMemorySteps(title: string, samples: [number, number][], steps: Record<string, unknown>[]): void {
  const top = [...samples].sort((a, b) => b[1] - a[1]).slice(0, 8);
  const rows = top.map(([at, bytes]) => {
    // a sample is answered up to one interval after it was asked for
    const during = (steps as (Step & { started_at: number })[]).filter((s) => s.started_at <= at && s.started_at + s.ms >= at - 100);
    return [mib(bytes), during.map((s) => `${s.step} ${fmt(s.ms)}`).join(", ") || "none (requests only)"];
  });
  printTable(title, ["isolate", "background steps running"], rows);
}

function printSlowWrites(spans: Span[], steps: Record<string, unknown>[]): void {
  const slow = spans.map((s) => ({ ...s, ms: s.end - s.start })).sort((a, b) => b.ms - a.ms).slice(0, Math.max(1, Math.ceil(spans.length / 20)));
  const rows = slow.map((w) => {
    const during = (steps as (Step & { started_at: number })[]).filter((s) => s.started_at < w.end && s.started_at + s.ms > w.start);
    return [fmt(w.ms), fmt(w.server), fmt(w.doMs), during.map((s) => `${s.step} ${fmt(s.ms)}`).join(", ") || "none"];
  });
  printTable("The slowest 5 % of those writes and the background steps running meanwhile (step wall ms)", ["client ms", "server ms", "of which do", "background steps overlapping"], rows);
}

/** Per flush stage: the median and longest run, and the time per flushed document. */
function printFlushStages(title: string, steps: Record<string, unknown>[]): void {
  const flushes = (steps as Step[]).filter((s) => s.step === "flush" && s.stages);
  const rows = flushes.reduce((n, s) => n + (s.rows ?? 0), 0);
  const names = [...new Set(flushes.flatMap((s) => Object.keys(s.stages!)))];
  printTable(`${title}: ${flushes.length} flushes, ${rows} documents (-put stages wait on storage; the rest is CPU that requests wait behind)`, ["stage", "p50 ms", "max ms", "µs per document"],
    names.map((n) => {
      const v = flushes.map((s) => s.stages![n] ?? 0);
      return [n, fmt(median(v), 2), fmt(Math.max(...v), 2), fmt((1000 * v.reduce((a, b) => a + b, 0)) / Math.max(1, rows), 1)];
    }),
  );
}

/** Per maintenance stage: the median and longest run, and the total. */
function printMaintenanceStages(title: string, steps: Record<string, unknown>[]): void {
  const runs = (steps as (Step & { bytes?: number })[]).filter((s) => s.step === "index-maintenance" && s.stages);
  const bytes = runs.reduce((n, s) => n + (s.bytes ?? 0), 0);
  const names = [...new Set(runs.flatMap((s) => Object.keys(s.stages!)))];
  printTable(`${title}: ${runs.length} steps rewrote ${mib(bytes)} of cluster blocks (put and directory wait on storage; rewrite is CPU)`, ["stage", "p50 ms", "max ms", "total s"],
    names.map((n) => {
      const v = runs.map((s) => s.stages![n] ?? 0);
      return [n, fmt(median(v), 2), fmt(Math.max(...v), 2), fmt(v.reduce((a, b) => a + b, 0) / 1000, 2)];
    }),
  );
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
  const serverLat: Record<string, number>[] = [];
  const spans: Span[] = [];
  for (let b = 0; b < bodies.length; b++) {
    const start = Date.now();
    const r = await call(server, "POST", "/v1/namespaces/bench-latency/upsert", bodies[b]);
    if (r.status !== 200) throw new Error(`upsert failed: ${r.status} ${JSON.stringify(r.body)}`);
    if (b >= 20) {
      // the first batches warm the isolate
      lat.push(r.ms);
      serverLat.push(serverTiming(r.headers));
      const t = serverLat[serverLat.length - 1];
      spans.push({ start, end: Date.now(), server: t.total ?? NaN, doMs: t.do ?? NaN });
    }
  }
  const latMem = server.memory();
  const latLive = await server.isolateLive();
  await waitFlushed(server, "bench-latency");
  const latencySteps = server.logs("background step");
  server.clearLogs();

  // 2. Sustained ingest with concurrent writers; 429s are retried after retry-after-ms.
  await call(server, "PUT", "/v1/namespaces/bench-ingest", { schema });
  server.resetPeak();
  let next = 0;
  let throttled = 0;
  const ingestServer: number[] = [];
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
          if (r.status === 200) {
            ingestServer.push(serverTiming(r.headers).total);
            break;
          }
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
  await waitIdle(server, "bench-ingest");
  const idleSecs = (performance.now() - started) / 1000;
  const ingestMem = server.memory();
  const ingestSamples = [...server.isolateSamples()];
  const ingestLive = await server.isolateLive();
  const ingestSteps = server.logs("background step");
  const desc = await call(server, "GET", "/v1/namespaces/bench-ingest");

  const serverTotal = serverLat.map((t) => t.total);
  printTable("Acknowledged write latency (100 docs × 768-d per request, one writer)", ["measured", "batches", "p50 ms", "p90 ms", "p99 ms", "max ms"], [
    ["client (incl. HTTP, local proxy)", lat.length, fmt(median(lat)), fmt(percentile(lat, 90)), fmt(percentile(lat, 99)), fmt(Math.max(...lat))],
    ["server (received → response ready)", serverTotal.length, fmt(median(serverTotal)), fmt(percentile(serverTotal, 90)), fmt(percentile(serverTotal, 99)), fmt(Math.max(...serverTotal))],
  ]);
  const stageNames = [...new Set(serverLat.flatMap((t) => Object.keys(t)))].filter((n) => n !== "total");
  // The runtime's clock ticks in whole milliseconds: means (unbiased over many requests) say more than medians.
  printTable("Server stages of those writes (server-timing; do-* are inside the Durable Object, within do; the clock ticks in whole ms)", ["stage", "mean ms", "p90 ms", "p99 ms", "max ms"],
    ["total", ...stageNames].map((n) => {
      const v = serverLat.map((t) => t[n] ?? 0);
      return [n, fmt(v.reduce((a, b) => a + b, 0) / v.length, 2), fmt(percentile(v, 90), 2), fmt(percentile(v, 99), 2), fmt(Math.max(...v), 2)];
    }),
  );
  printTable(`Sustained ingest (${TOTAL} docs × 768-d, ${WRITERS} writers, ${BATCH} docs/request)`, ["acknowledged docs/s", "flushed docs/s (until WAL empty)", "docs/s until compaction and index maintenance are done too", "429 retries", "segments", "flushes"], [
    [fmt(TOTAL / ackSecs, 0), fmt(TOTAL / flushSecs, 0), fmt(TOTAL / idleSecs, 0), throttled, desc.body.segments, desc.body.flushes],
  ]);
  printTable("Server time of the sustained-ingest writes (received → response ready)", ["requests", "p50 ms", "p90 ms", "p99 ms", "max ms"], [
    [ingestServer.length, fmt(median(ingestServer)), fmt(percentile(ingestServer, 90)), fmt(percentile(ingestServer, 99)), fmt(Math.max(...ingestServer))],
  ]);
  printSteps("Background steps during the latency phase (wall ms incl. storage waits)", latencySteps);
  printSlowWrites(spans, latencySteps);
  printSteps("Background steps during sustained ingest (wall ms incl. storage waits)", ingestSteps);
  printFlushStages("Flush stages during sustained ingest", ingestSteps);
  printMaintenanceStages("Index maintenance stages during sustained ingest", ingestSteps);
  printMemorySteps(`Largest isolate samples during sustained ingest (${process.env.BENCH_ISOLATE_GC === "1" ? "each after a full GC: live memory" : "heap incl. garbage; BENCH_ISOLATE_GC=1 for live memory"})`, ingestSamples, ingestSteps);
  printTable("Memory (RSS: the workerd process, Worker + Durable Object + local R2/D1 emulation; isolate: JS heap + ArrayBuffers of the Worker isolate, which the 128 MB limit counts and which the Worker and its Durable Objects share locally — sampled peak incl. garbage not yet collected, and live after a full GC)", ["phase", "peak RSS", "RSS after", "isolate peak", "isolate live after GC"], [
    ["latency phase", mib(latMem.peak), mib(latMem.rss), mib(latMem.isolatePeak), mib(latLive)],
    ["sustained ingest + flush + compaction", mib(ingestMem.peak), mib(ingestMem.rss), mib(ingestMem.isolatePeak), mib(ingestLive)],
  ]);
} finally {
  await server.stop();
}
