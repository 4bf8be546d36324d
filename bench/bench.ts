/**
 * `npm run bench`: Elacsym (HTTP API on a local server) against LanceDB and Orama (each in its own
 * child process) on the same data in one run: ANN recall/latency sweeps, BM25 and hybrid quality,
 * ingest and peak memory; writes results JSON, then docs/benchmarks.md and its SVG charts.
 *
 * Knobs (env, or flags): --quick (20k generated vectors, 50 queries, 1 pass), --report-only (re-render
 * from the last results), BENCH_SIZES, BENCH_QUERIES, BENCH_PASSES, BENCH_SYSTEMS, BENCH_WORKLOADS,
 * BENCH_COLD_QUERIES, BENCH_LANCE_INDEXES, BENCH_LANCE_LARGE_INDEXES, BENCH_ORAMA_MAX_VECTORS,
 * BENCH_ELACSYM_MAX_VECTORS, BENCH_POINT_SECONDS, BENCH_PORT, BENCH_OUT, BENCH_CACHE_DIR, ELACSYM_DATASETS. See README "Benchmarks".
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DATASETS } from "./lib/datasets.ts";
import { GENERATED_DATA, generatedKey, openVectorSet, prepareGenerated } from "./lib/vector-sets.ts";
import { elacsymAnn, elacsymQuality } from "./suite/elacsym.ts";
import { LANCE_INDEXES, type LanceIndex } from "./suite/lancedb.ts";
import { describeMachine } from "./suite/machine.ts";
import { loadQualityDataset, type PeerJob } from "./suite/peer-child.ts";
import { runPeer } from "./suite/peer-process.ts";
import { writeReport } from "./suite/report.ts";
import { SYSTEMS, type SuiteResults, type SystemName } from "./suite/results.ts";
import { loadavg } from "node:os";

const flag = (name: string) => process.argv.includes(`--${name}`);
const quick = flag("quick");
const env = (name: string, full: string, fast: string) => process.env[name] ?? (quick ? fast : full);
const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);

const OPTIONS = {
  mode: quick ? "quick" : "full",
  sizes: env("BENCH_SIZES", "20000,100000,1000000", "20000"),
  queries: Number(env("BENCH_QUERIES", "100", "50")),
  passes: Number(env("BENCH_PASSES", "3", "1")),
  warmup: 10,
  pointSeconds: Number(env("BENCH_POINT_SECONDS", "45", "20")),
  coldQueries: Number(env("BENCH_COLD_QUERIES", "20", "10")),
  systems: env("BENCH_SYSTEMS", SYSTEMS.join(","), SYSTEMS.join(",")),
  workloads: env("BENCH_WORKLOADS", "ann,quality", "ann,quality"),
  lanceIndexes: env("BENCH_LANCE_INDEXES", LANCE_INDEXES.join(","), LANCE_INDEXES.join(",")),
  /** Index types built above LARGE rows: HNSW and PQ training at 1M × 768 cost far more than the hour budget allows on 2 cores. */
  lanceLargeIndexes: env("BENCH_LANCE_LARGE_INDEXES", "ivf_rq", "ivf_rq"),
  largeRows: 200_000,
  oramaMaxVectors: Number(env("BENCH_ORAMA_MAX_VECTORS", "100000", "100000")),
  /** Elacsym ingests through HTTP on a local dev server at about 1k 768-d docs/s: 1M would take most of the hour. */
  elacsymMaxVectors: Number(env("BENCH_ELACSYM_MAX_VECTORS", "100000", "100000")),
  port: Number(process.env.BENCH_PORT ?? 8891),
};
const OUT = resolve(process.env.BENCH_OUT ?? join(import.meta.dirname, "..", "docs"));
const RESULTS = join(OUT, "benchmarks", "results.json");

const log = (s: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

/**
 * Why a system is not run above its size cap, extrapolated linearly from its largest measured
 * generated set: Elacsym's time until indexed, Orama's brute-force query time.
 */
function capReason(system: SystemName, count: number, cap: number, results: SuiteResults): string {
  const knob = system === "orama" ? "BENCH_ORAMA_MAX_VECTORS" : "BENCH_ELACSYM_MAX_VECTORS";
  const base = `capped at ${cap.toLocaleString("en-US")} vectors (${knob})`;
  const largest = results.ann.filter((r) => r.system === system && r.dataset.startsWith("gen-")).sort((a, b) => b.ingest.docs - a.ingest.docs)[0];
  if (!largest) return base;
  const scale = count / largest.ingest.docs;
  const from = `${largest.ingest.docs.toLocaleString("en-US")} vectors`;
  if (system === "orama") {
    const p50 = Math.min(...largest.points.map((p) => p.p50));
    return `${base}: exhaustive search only, so about ${Math.round(p50 * scale).toLocaleString("en-US")} ms per query at this size (${p50.toFixed(0)} ms measured at ${from})`;
  }
  const minutes = ((largest.ingest.loadSeconds + largest.ingest.indexSeconds) * scale) / 60;
  return `${base}: loading through the local server's HTTP API would take about ${minutes.toFixed(0)} minutes before the first query (linear from ${from} in ${(largest.ingest.loadSeconds + largest.ingest.indexSeconds).toFixed(0)} s), beyond the run's time budget`;
}

async function runAll(): Promise<SuiteResults> {
  const started = Date.now();
  const systems = list(OPTIONS.systems) as SystemName[];
  const workloads = list(OPTIONS.workloads);
  const sizes = list(OPTIONS.sizes).map(Number);
  const results: SuiteResults = {
    startedAt: new Date(started).toISOString(),
    finishedAt: "",
    seconds: 0,
    machine: describeMachine(),
    options: OPTIONS,
    datasetsDir: DATASETS,
    dataNotes: [],
    ann: [],
    quality: [],
    skipped: [],
  };
  const save = () => {
    mkdirSync(join(OUT, "benchmarks"), { recursive: true });
    writeFileSync(RESULTS, JSON.stringify(results, null, 1));
  };
  const run = { passes: OPTIONS.passes, warmup: OPTIONS.warmup, pointSeconds: OPTIONS.pointSeconds };
  const attempt = async (system: SystemName, workload: string, dataset: string, fn: () => Promise<void>) => {
    log(`${system} — ${workload} — ${dataset}`);
    try {
      await fn();
    } catch (e) {
      const reason = e instanceof Error ? e.message.split("\n")[0] : String(e);
      log(`  failed: ${reason}`);
      results.skipped.push({ system, workload, dataset, reason: `failed: ${reason}` });
    }
    save();
  };

  if (workloads.includes("ann")) {
    const keys: string[] = [];
    for (const key of ["sift", "scifact"]) {
      if (openVectorSet(key, 1)) keys.push(key);
      else results.dataNotes.push(`${key}: not found under ${DATASETS}; left out (the generated sets still run)`);
    }
    for (const n of sizes) {
      await prepareGenerated(n, OPTIONS.queries, log);
      keys.push(generatedKey(n));
    }
    results.dataNotes.push(`generated: ${sizes.map((n) => n.toLocaleString("en-US")).join(", ")} vectors; ${GENERATED_DATA}; exact top-10 by brute force`);
    for (const key of keys) {
      const set = openVectorSet(key, OPTIONS.queries)!;
      for (const system of systems) {
        if (system === "orama" && set.metric !== "cosine") {
          results.skipped.push({ system, workload: "ann", dataset: key, reason: "Orama's vector search ranks by cosine similarity only; this dataset is euclidean (L2)" });
          continue;
        }
        const cap = system === "orama" ? OPTIONS.oramaMaxVectors : system === "elacsym" ? OPTIONS.elacsymMaxVectors : Infinity;
        if (set.count > cap) {
          results.skipped.push({ system, workload: "ann", dataset: key, reason: capReason(system, set.count, cap, results) });
          continue;
        }
        await attempt(system, "ann", key, async () => {
          if (system === "elacsym") {
            results.ann.push(await elacsymAnn(set, { ...run, coldQueries: OPTIONS.coldQueries, port: OPTIONS.port, log }));
            return;
          }
          const indexes = list(set.count > OPTIONS.largeRows ? OPTIONS.lanceLargeIndexes : OPTIONS.lanceIndexes) as LanceIndex[];
          const job: PeerJob = { system, kind: "ann", dataset: key, queries: OPTIONS.queries, run, lanceIndexes: indexes };
          const reply = await runPeer(job);
          for (const r of reply.ann ?? []) results.ann.push({ ...r, memory: { peak: reply.peak, baseline: reply.baseline } });
          if (system === "lancedb" && set.count > OPTIONS.largeRows) {
            for (const kind of list(OPTIONS.lanceIndexes).filter((k) => !indexes.includes(k as LanceIndex))) {
              results.skipped.push({ system, workload: `ann ${kind.toUpperCase()}`, dataset: key, reason: `not built above ${OPTIONS.largeRows.toLocaleString("en-US")} rows (BENCH_LANCE_LARGE_INDEXES) to keep the run within its time budget` });
            }
          }
        });
      }
    }
  }

  if (workloads.includes("quality")) {
    for (const name of ["scifact", "cranfield"] as const) {
      const loaded = loadQualityDataset(name);
      if (!loaded) {
        results.dataNotes.push(`${name}: not found under ${DATASETS}; its quality runs are left out (no generated substitute has relevance judgements)`);
        continue;
      }
      if (name === "scifact" && !loaded.vectors) results.dataNotes.push("scifact embeddings not found: dense and hybrid runs left out");
      for (const system of systems) {
        await attempt(system, "quality", name, async () => {
          if (system === "elacsym") {
            results.quality.push(...(await elacsymQuality(name, loaded.ds, loaded.vectors, { ...run, coldQueries: OPTIONS.coldQueries, port: OPTIONS.port, log })));
            return;
          }
          const reply = await runPeer({ system, kind: "quality", dataset: name, queries: 0, run });
          for (const r of reply.quality ?? []) results.quality.push({ ...r, memory: { peak: reply.peak, baseline: reply.baseline } });
        });
      }
    }
  }
  results.machine.loadEnd = loadavg();
  results.finishedAt = new Date().toISOString();
  results.seconds = (Date.now() - started) / 1000;
  save();
  return results;
}

const results = flag("report-only") && existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, "utf8")) as SuiteResults) : await runAll();
writeReport(results, OUT);
log(`report written to ${join(OUT, "benchmarks.md")} (${results.seconds.toFixed(0)} s of measurements)`);
