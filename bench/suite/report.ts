/**
 * Renders one run's results as docs/benchmarks.md plus SVG charts under docs/benchmarks/: machine,
 * settings, tables, recall-vs-latency and scaling charts, Elacsym/peer ratios. Every number comes
 * from the results; nothing is measured here.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AnnPoint, STOP_AT_RECALL } from "./workloads.ts";
import type { AnnResult, QualityResult, SuiteResults, SystemName } from "./results.ts";
import { type Series, lineChart } from "./svg.ts";

export const RECALL_TARGET = 0.95;
const NAMES: Record<SystemName, string> = { elacsym: "Elacsym", lancedb: "LanceDB", orama: "Orama" };

const ms = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? "–" : v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toLocaleString("en-US"));
const num = (v: number | undefined, digits = 0): string => (v === undefined || !Number.isFinite(v) ? "–" : v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const mib = (b: number | undefined): string => (b === undefined || !Number.isFinite(b) || b === 0 ? "–" : `${num(b / 2 ** 20, b < 10 * 2 ** 20 ? 2 : 0)} MiB`);
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? "–" : `${(a / b).toFixed(a / b < 10 ? 2 : 1)}×`);

function table(headers: string[], rows: (string | number)[][]): string {
  const line = (r: (string | number)[]) => `| ${r.map((c) => String(c).replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(headers), `| ${headers.map(() => "---").join(" | ")} |`, ...rows.map(line)].join("\n");
}

const latencyOf = (p: AnnPoint, which: "client" | "server") => (which === "server" ? p.serverP50 : p.p50);

/**
 * The sweep points no other point beats on both recall and p50, fastest first: a system's best
 * setting for each recall level, whichever line (refine factor, ef) it came from.
 */
export function frontier(points: AnnPoint[], which: "client" | "server" = "client"): AnnPoint[] {
  const timed = points.filter((p) => latencyOf(p, which) !== undefined);
  timed.sort((a, b) => latencyOf(a, which)! - latencyOf(b, which)! || b.recall - a.recall);
  const out: AnnPoint[] = [];
  for (const p of timed) if (p.recall > (out.at(-1)?.recall ?? -1)) out.push(p);
  return out;
}

/**
 * Latency at the target recall on the frontier: its first point reaching the target, and p50
 * linearly interpolated in recall between that point and the frontier point before it.
 */
export function atRecall(points: AnnPoint[], which: "client" | "server" = "client"): { point?: AnnPoint; p50?: number; p99?: number; interpolated?: number; best: number } {
  const best = Math.max(...points.map((p) => p.recall));
  const line = frontier(points, which);
  const i = line.findIndex((p) => p.recall >= RECALL_TARGET);
  if (i < 0) return { best };
  const point = line[i];
  const p50 = latencyOf(point, which)!;
  const prev = line[i - 1];
  let interpolated = p50;
  if (prev && prev.recall < RECALL_TARGET) {
    const t = (RECALL_TARGET - prev.recall) / (point.recall - prev.recall);
    interpolated = latencyOf(prev, which)! + t * (p50 - latencyOf(prev, which)!);
  }
  return { point, p50, p99: which === "server" ? point.serverP99 : point.p99, interpolated, best };
}

/** One colour per system configuration in every chart, so that a line is recognisable across them. */
const COLOR: Record<string, string> = {
  Elacsym: "#d62728",
  "Elacsym (server)": "#ff9896",
  "LanceDB IVF_PQ": "#1f77b4",
  "LanceDB IVF_RQ": "#2ca02c",
  "LanceDB IVF_HNSW_SQ": "#9467bd",
  Orama: "#ff7f0e",
};
const colorOf = (name: string) => COLOR[name] ?? COLOR[name.split(" ")[0]];

const label = (r: AnnResult) => (r.system === "elacsym" ? NAMES.elacsym : `${NAMES[r.system]} ${r.config}`);
const docsPerSecond = (r: { ingest: { docs: number; loadSeconds: number; indexSeconds: number } }) => r.ingest.docs / (r.ingest.loadSeconds + r.ingest.indexSeconds);

/** The peer configuration with the lowest interpolated p50 at the target recall (or undefined). */
function bestAt(results: AnnResult[]): { r: AnnResult; at: ReturnType<typeof atRecall> } | undefined {
  let best: { r: AnnResult; at: ReturnType<typeof atRecall> } | undefined;
  for (const r of results) {
    const at = atRecall(r.points);
    if (at.interpolated === undefined) continue;
    if (!best || at.interpolated < best.at.interpolated!) best = { r, at };
  }
  return best;
}

function annCharts(res: SuiteResults, dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const dataset of [...new Set(res.ann.map((r) => r.dataset))]) {
    const rs = res.ann.filter((r) => r.dataset === dataset);
    const series: Series[] = [];
    for (const r of rs) {
      series.push({ name: r.system === "elacsym" ? "Elacsym (round trip)" : label(r), color: colorOf(label(r)), points: frontier(r.points).map((p) => ({ x: p.p50, y: p.recall, label: p.label })) });
      if (r.system === "elacsym") series.push({ name: "Elacsym (server)", color: colorOf("Elacsym (server)"), points: frontier(r.points, "server").map((p) => ({ x: Math.max(p.serverP50!, 0.05), y: p.recall, label: p.label })) });
    }
    const file = `recall-latency-${dataset}.svg`;
    writeFileSync(join(dir, file), lineChart(series, {
      title: `Recall@10 vs p50 latency — ${rs[0].datasetName}`,
      xLabel: "p50 latency per query, ms (log scale)",
      yLabel: "recall@10",
      logX: true,
      yMax: 1,
      yRule: { at: RECALL_TARGET, label: `recall ${RECALL_TARGET}` },
    }));
    files.set(dataset, file);
  }
  return files;
}

function scalingCharts(res: SuiteResults, dir: string): string[] {
  const gen = res.ann.filter((r) => r.dataset.startsWith("gen-"));
  if (new Set(gen.map((r) => r.dataset)).size < 1) return [];
  const configs = [...new Set(gen.map(label))];
  const points = (f: (r: AnnResult) => number | undefined) =>
    configs.map((c): Series => ({ name: c, color: colorOf(c), points: gen.filter((r) => label(r) === c).map((r) => ({ x: r.ingest.docs, y: f(r) ?? NaN })).sort((a, b) => a.x - b.x) }));
  const latency = points((r) => atRecall(r.points).interpolated);
  const memory = points((r) => r.memory.peak / 2 ** 20);
  const ingest = points((r) => docsPerSecond(r));
  const charts: Array<[string, Series[], string, string, boolean]> = [
    ["scaling-latency.svg", latency, `p50 latency at recall@10 ≥ ${RECALL_TARGET} (Elacsym: HTTP round trip)`, "p50 ms", true],
    ["scaling-memory.svg", memory, "Peak RSS of the system's process", "MiB", true],
    ["scaling-ingest.svg", ingest, "Ingest: documents/s until indexed", "documents/s", true],
  ];
  for (const [file, series, title, yLabel, logY] of charts) {
    writeFileSync(join(dir, file), lineChart(series, { title, xLabel: "vectors (768-d, generated; log scale)", yLabel: `${yLabel} (log scale)`, logX: true, logY }));
  }
  return charts.map(([file]) => file);
}

function ratioRows(res: SuiteResults): (string | number)[][] {
  const rows: (string | number)[][] = [];
  const datasets = [...new Set(res.ann.map((r) => r.dataset))];
  for (const d of datasets) {
    const e = res.ann.find((r) => r.dataset === d && r.system === "elacsym");
    const l = bestAt(res.ann.filter((r) => r.dataset === d && r.system === "lancedb"));
    const o = bestAt(res.ann.filter((r) => r.dataset === d && r.system === "orama"));
    const name = (e ?? res.ann.find((r) => r.dataset === d))!.datasetName;
    const es = e ? atRecall(e.points, "server").interpolated : undefined;
    const ec = e ? atRecall(e.points, "client").interpolated : undefined;
    const skipped = (s: SystemName) => res.skipped.some((x) => x.system === s && x.dataset === d && x.workload === "ann");
    const never = (rs: AnnResult[], s: SystemName) =>
      rs.length ? `never (best recall ${Math.max(...rs.flatMap((r) => r.points.map((p) => p.recall))).toFixed(3)})` : skipped(s) ? "not run (see below)" : "–";
    const peer = (b: ReturnType<typeof bestAt>, s: SystemName, withConfig: boolean) =>
      b ? `${ms(b.at.interpolated)}${withConfig && s === "lancedb" ? ` (${b.r.config})` : ""}` : never(res.ann.filter((r) => r.dataset === d && r.system === s), s);
    const own = (v: number | undefined) => (v !== undefined ? ms(v) : never(e ? [e] : [], "elacsym"));
    rows.push([`ANN p50 ms at recall ≥ ${RECALL_TARGET} (Elacsym HTTP round trip)`, name, own(ec), peer(l, "lancedb", true), ratio(ec, l?.at.interpolated), peer(o, "orama", true), ratio(ec, o?.at.interpolated), "lower"]);
    rows.push([`ANN p50 ms at recall ≥ ${RECALL_TARGET} (Elacsym server time)`, name, own(es), peer(l, "lancedb", false), ratio(es, l?.at.interpolated), peer(o, "orama", false), ratio(es, o?.at.interpolated), "lower"]);
    const ingest = (s: SystemName) => {
      const rs = res.ann.filter((r) => r.dataset === d && r.system === s);
      return rs.length ? Math.max(...rs.map(docsPerSecond)) : undefined;
    };
    const ei = ingest("elacsym");
    const cell = (s: SystemName, v: number | undefined, f: (v: number) => string) => (v !== undefined ? f(v) : skipped(s) ? "not run" : "–");
    rows.push(["ingest docs/s until indexed (LanceDB: its fastest index)", name, cell("elacsym", ei, num), cell("lancedb", ingest("lancedb"), num), ratio(ei, ingest("lancedb")), cell("orama", ingest("orama"), num), ratio(ei, ingest("orama")), "higher"]);
    const mem = (s: SystemName) => res.ann.find((r) => r.dataset === d && r.system === s)?.memory.peak;
    rows.push(["peak RSS of the process", name, cell("elacsym", mem("elacsym"), mib), cell("lancedb", mem("lancedb"), mib), ratio(mem("elacsym"), mem("lancedb")), cell("orama", mem("orama"), mib), ratio(mem("elacsym"), mem("orama")), "lower"]);
  }
  for (const ds of ["scifact", "cranfield"] as const) {
    for (const run of ["bm25", "hybrid"]) {
      const pick = (s: SystemName) => {
        const rs = res.quality.filter((q) => q.dataset === ds && q.run === run && q.system === s);
        return rs.sort((a, b) => b.quality.ndcg10 - a.quality.ndcg10)[0];
      };
      const [e, l, o] = [pick("elacsym"), pick("lancedb"), pick("orama")];
      if (!e && !l && !o) continue;
      const title = `${ds === "scifact" ? "SciFact" : "Cranfield"} ${run === "bm25" ? "BM25" : "hybrid"}`;
      rows.push([`${title} nDCG@10 (Orama: its best variant)`, ds, num(e?.quality.ndcg10, 3), num(l?.quality.ndcg10, 3), ratio(e?.quality.ndcg10, l?.quality.ndcg10), num(o?.quality.ndcg10, 3), ratio(e?.quality.ndcg10, o?.quality.ndcg10), "higher"]);
      for (const [what, v] of [["HTTP round trip", e?.quality.p50], ["server time", e?.quality.serverP50]] as const) {
        rows.push([`${title} p50 ms, top_k 100 (Elacsym ${what})`, ds, ms(v), ms(l?.quality.p50), ratio(v, l?.quality.p50), ms(o?.quality.p50), ratio(v, o?.quality.p50), "lower"]);
      }
    }
  }
  return rows;
}

/** Each system configuration's settings once, with the datasets it ran on. */
function settingsSection(res: SuiteResults): string {
  const seen = new Map<string, { head: string; settings: Record<string, string | number>; datasets: Set<string> }>();
  for (const r of [...res.ann, ...res.quality]) {
    const key = `${r.system}|${r.config}|${JSON.stringify(r.settings)}`;
    const entry = seen.get(key) ?? { head: `${NAMES[r.system]} — ${r.config}`, settings: r.settings, datasets: new Set<string>() };
    entry.datasets.add("datasetName" in r ? r.datasetName : r.dataset);
    seen.set(key, entry);
  }
  return [...seen.values()]
    .map((e) => `- **${e.head}** (${[...e.datasets].join(", ")}): ${Object.entries(e.settings).map(([a, b]) => `${a} = \`${b}\``).join("; ")}`)
    .join("\n");
}

export function writeReport(res: SuiteResults, outDir: string): void {
  const dir = join(outDir, "benchmarks");
  mkdirSync(dir, { recursive: true });
  const charts = annCharts(res, dir);
  const scaling = scalingCharts(res, dir);
  const m = res.machine;
  const o = res.options;
  const md: string[] = [];
  md.push("# Benchmarks: Elacsym, LanceDB and Orama side by side");
  md.push("");
  md.push(`Generated by \`npm run bench\`${o.mode === "quick" ? " --quick" : ""} (${o.mode} mode) from \`docs/benchmarks/results.json\`; do not edit by hand. Run started ${res.startedAt}, ${num(res.seconds / 60, 1)} minutes of measurements, one process tree: Elacsym through its HTTP API on a local server (\`wrangler dev\`, its own \`workerd\` process per job), LanceDB and Orama each in their own Node child process per job.`);
  md.push("");
  md.push("## Machine");
  md.push("");
  md.push(table(["what", "value"], [
    ["CPU", `${m.cpu}, ${m.cores} cores`],
    ["memory", mib(m.memoryBytes)],
    ["load average (1/5/15 min) at start", m.loadStart.map((x) => x.toFixed(2)).join(" / ")],
    ["load average at end", m.loadEnd.map((x) => x.toFixed(2)).join(" / ")],
    ["OS", m.os],
    ["Node", m.node],
    ...Object.entries(m.versions).map(([k, v]) => [k, v]),
  ]));
  md.push("");
  md.push("The machine is shared with other engineers' test runs (see the load average): figures are medians, and small differences are noise.");
  md.push("");
  md.push("## Data");
  md.push("");
  md.push(`Datasets directory: \`${res.datasetsDir}\` (nothing from it is committed).`);
  md.push("");
  for (const n of res.dataNotes) md.push(`- ${n}`);
  md.push("");
  md.push("## How it is measured (the same for every system)");
  md.push("");
  md.push([
    `- ANN: top_k 10, ${o.queries} queries per dataset (the first ${o.queries} of the set's query file; generated sets: fresh points from the same clusters), recall@10 against the exact top-10. Each sweep point runs ${o.warmup} warm-up queries, then up to ${o.passes} timed passes over all queries (no further pass starts once the point's passes took ${o.pointSeconds} s: slow points get fewer; the sweep tables show how many ran); p50 and p99 are the medians over passes of each pass's percentiles. A system's knobs are swept in lines (one line per refine factor or ef, each over nprobes in powers of two); a line stops at its first point with recall ≥ ${STOP_AT_RECALL} or after two points that did not raise its recall.`,
    `- Compared at equal recall: each configuration's frontier is the sweep points that no other point of it beats on both recall and p50 (its best setting for each recall level; the charts draw the frontier). The latency at recall@10 ≥ ${RECALL_TARGET} is the p50 linearly interpolated in recall between the frontier's first point reaching ${RECALL_TARGET} and the point before it. A configuration that never reaches it is marked so, with its best recall. For Elacsym the frontier is computed separately on server time and on round-trip time.`,
    "- Latency: for LanceDB and Orama, the time around the in-process call (client and server are one process). For Elacsym, two figures. `round trip` is the client's time around the HTTP request on the loopback interface: what an application sees, including JSON encoding of the query vector, authentication and `wrangler dev`'s local proxy in front of the Worker. `server` is the API's `performance.server_ms`, from the query's snapshot to its results: the Worker's clock advances in whole milliseconds and only across I/O (the Workers runtime's timer mitigation), so CPU work between two reads is not counted; read it as a lower bound. The round trip is the figure to compare with an embedded library; the server time bounds what the engine itself costs.",
    `- Quality: BEIR test queries with qrels (SciFact 300, Cranfield 225), top_k ${100}, nDCG@10 (linear gains) and recall@100, title and text as two fields with weight 1 each where a system supports fields. Same warm-up and passes as ANN.`,
    "- Ingest: documents per second from the first write until the index is built and queryable (Elacsym: until every write is flushed, indexed and compacted; LanceDB: table writes plus `createIndex`; Orama: `insertMultiple`, which indexes as it inserts).",
    "- Memory: peak resident set size (VmHWM / VmRSS sampled from /proc) of the system's own process over the whole job: the `workerd` process for Elacsym (Worker, Durable Objects and the local R2/D1 emulation; the client is another process), the child process for LanceDB and Orama (which also holds the harness and the job's input data: its RSS before loading is shown as the baseline).",
    `- Elacsym cold queries: ${o.coldQueries} queries, each after \`POST /admin/cache/clear\` (the isolate cache) with the Cache API off (\`ELACSYM_EDGE_CACHE=0\`): server time, sequential storage round trips (\`performance.storage_round_trips\`) and bytes read from storage.`,
  ].join("\n"));
  md.push("");
  md.push("### Settings of each system");
  md.push("");
  md.push(settingsSection(res));
  md.push("");
  md.push("## Elacsym / peer ratios");
  md.push("");
  md.push("Ratio = Elacsym's figure divided by the peer's; the last column says which direction is better.");
  md.push("");
  md.push(table(["workload", "dataset", "Elacsym", "LanceDB", "Elacsym / LanceDB", "Orama", "Elacsym / Orama", "better"], ratioRows(res)));
  md.push("");
  md.push("## ANN: recall@10 against latency");
  md.push("");
  for (const [dataset, file] of charts) {
    const rs = res.ann.filter((r) => r.dataset === dataset);
    md.push(`### ${rs[0].datasetName}`);
    md.push("");
    md.push(`![recall vs latency, ${rs[0].datasetName}](benchmarks/${file})`);
    md.push("");
    md.push(table(["system", "config", "at recall ≥ 0.95: first point", "p50 ms", "p99 ms", "interpolated p50 ms", "best recall"], rs.map((r) => {
      const at = atRecall(r.points);
      const sat = atRecall(r.points, "server");
      const both = (c: string, s: string) => (r.system === "elacsym" ? `${s} server / ${c} round trip` : c);
      return [NAMES[r.system], r.config, at.point?.label ?? `never (max ${r.points.length ? Math.max(...r.points.map((p) => p.recall)).toFixed(3) : "–"})`, both(ms(at.p50), ms(sat.p50)), both(ms(at.p99), ms(sat.p99)), both(ms(at.interpolated), ms(sat.interpolated)), num(at.best, 3)];
    })));
    md.push("");
    for (const r of rs.filter((x) => x.system === "elacsym")) {
      const def = r.points.find((p) => p.label.includes("default"));
      const figures = Object.entries(r.figures ?? {}).map(([k, v]) => `${k} ${num(v)}`).join(", ");
      if (def) md.push(`Elacsym at its default settings${figures ? ` (${figures})` : ""}: recall@10 ${def.recall.toFixed(3)}, server p50 ${ms(def.serverP50)} ms, round trip p50 ${ms(def.p50)} ms.`);
      md.push("");
    }
    md.push("<details><summary>every sweep point</summary>");
    md.push("");
    md.push(table(["system", "config", "point", "recall@10", "p50 ms", "p99 ms", "server p50 ms", "server p99 ms", "passes", "system figures (mean per query)"], rs.flatMap((r) => r.points.map((p) => [
      NAMES[r.system], r.config, p.label, p.recall.toFixed(3), ms(p.p50), ms(p.p99), ms(p.serverP50), ms(p.serverP99), p.passes ?? "–",
      p.extra ? Object.entries(p.extra).map(([k, v]) => `${k} ${k.includes("bytes") ? mib(v) : num(v)}`).join(", ") : "",
    ]))));
    md.push("");
    md.push("</details>");
    md.push("");
  }
  if (scaling.length) {
    md.push("## Scaling (generated 768-d data)");
    md.push("");
    for (const f of scaling) md.push(`![${f}](benchmarks/${f})`);
    md.push("");
  }
  md.push("## Ingest and memory (ANN datasets)");
  md.push("");
  md.push(table(["dataset", "system", "config", "documents", "load s", "docs/s loaded (Elacsym: acknowledged)", "index s", "docs/s until indexed", "peak RSS", "RSS before loading"], res.ann.map((r) => [
    r.datasetName, NAMES[r.system], r.config, num(r.ingest.docs), num(r.ingest.loadSeconds, 1), num(r.ingest.docs / r.ingest.loadSeconds), num(r.ingest.indexSeconds, 1), num(docsPerSecond(r)), mib(r.memory.peak), mib(r.memory.baseline),
  ])));
  md.push("");
  md.push("LanceDB builds every index type on one table in one process: its load time is shared, and its peak memory is the job's (all index types).");
  md.push("");
  const cold = [...res.ann, ...res.quality].filter((r) => r.cold) as Array<AnnResult | QualityResult>;
  if (cold.length) {
    md.push("## Elacsym cold queries");
    md.push("");
    md.push(table(["dataset", "query", "queries", "cold server p50 ms", "cold server p99 ms", "storage round trips (median)", "bytes from storage (median)", "warm server p50 ms"], cold.map((r) => [
      "datasetName" in r ? r.datasetName : r.dataset,
      "run" in r ? r.run : `vector, default nprobe`,
      r.cold!.queries, ms(r.cold!.p50), ms(r.cold!.p99), num(r.cold!.roundTrips), mib(r.cold!.storageBytes),
      "run" in r ? ms(r.quality.serverP50) : ms(r.points.find((p) => p.label.includes("default"))?.serverP50),
    ])));
    md.push("");
  }
  if (res.quality.length) {
    md.push("## Full-text and hybrid quality");
    md.push("");
    md.push(table(["dataset", "run", "system", "config", "nDCG@10", "recall@100", "p50 ms", "p99 ms", "server p50 ms", "peak RSS"], res.quality.map((q) => [
      q.dataset, q.run, NAMES[q.system], q.config, q.quality.ndcg10.toFixed(3), q.quality.recall100.toFixed(3), ms(q.quality.p50), ms(q.quality.p99), ms(q.quality.serverP50), mib(q.memory.peak),
    ])));
    md.push("");
  }
  md.push("## What a system could not do in this run");
  md.push("");
  md.push(res.skipped.length ? res.skipped.map((s) => `- **${NAMES[s.system]}**, ${s.workload}, ${s.dataset}: ${s.reason}`).join("\n") : "- nothing was skipped");
  md.push("");
  md.push("Options of this run: " + Object.entries(o).map(([k, v]) => `\`${k}=${v}\``).join(", "));
  md.push("");
  writeFileSync(join(outDir, "benchmarks.md"), md.join("\n"));
}
