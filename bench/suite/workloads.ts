/**
 * System-agnostic benchmark workloads: an ANN recall/latency sweep and a retrieval-quality run over
 * BEIR qrels, each given a search function. Owns warm-up, repetition and medians; not how a system
 * loads data or answers a query.
 */
import { type BeirDataset } from "../lib/datasets.ts";
import { evaluate } from "../lib/ir.ts";
import { median, percentile } from "../lib/stats.ts";
import type { VectorSet } from "../lib/vector-sets.ts";

export interface RunOptions {
  /** Timed passes over the query set; latencies are the median of the passes' percentiles. */
  passes: number;
  /** Untimed queries run before each sweep point (or quality run). */
  warmup: number;
  /** No further pass starts once a point's passes took this long (slow points get fewer passes). */
  pointSeconds: number;
}

/** Sweeps stop a line here: the comparison is at 0.95, and points past 0.99 only cost time. */
export const STOP_AT_RECALL = 0.99;

/** Run options with a progress log, as each system's runner gets them. */
export type LoggedRunOptions = RunOptions & { log: (s: string) => void };

/** A BEIR dataset's embeddings by document id and by query id (SciFact's MiniLM vectors). */
export interface BeirVectors {
  docs: Map<string, Float32Array>;
  queries: Map<string, Float32Array>;
}

/** One setting of a system's speed/recall knobs (nprobe, ef, refine factor, …). */
export interface SweepPoint {
  label: string;
  knobs: Record<string, number>;
  /**
   * Points of one line (e.g. one refine factor) come in order of growing cost; the rest of a line
   * is skipped once it reaches STOP_AT_RECALL or its recall stops growing (the knob is saturated).
   */
  line?: string;
}

export interface Latency {
  /** Client-side time around the call: in-process for embedded systems, an HTTP round trip for Elacsym. */
  p50: number;
  p99: number;
  /** Timed passes actually run (fewer than asked when a point is slow). */
  passes?: number;
  /** Server-side time reported by the system, when it reports one. */
  serverP50?: number;
  serverP99?: number;
}

export interface AnnPoint extends Latency {
  label: string;
  knobs: Record<string, number>;
  line?: string;
  recall: number;
  /** System-specific figures averaged over the queries of one pass (object reads, candidates, …). */
  extra?: Record<string, number>;
}

export interface Answer<Id> {
  ids: Id[];
  serverMs?: number;
  extra?: Record<string, number>;
}

async function timedPasses<Q, Id>(queries: Q[], search: (q: Q) => Promise<Answer<Id>>, opts: RunOptions): Promise<{ first: Answer<Id>[]; latency: Latency }> {
  for (const q of queries.slice(0, opts.warmup)) await search(q);
  const p50: number[] = [];
  const p99: number[] = [];
  const s50: number[] = [];
  const s99: number[] = [];
  let first: Answer<Id>[] = [];
  const started = performance.now();
  for (let pass = 0; pass < Math.max(1, opts.passes) && (pass === 0 || performance.now() - started < opts.pointSeconds * 1000); pass++) {
    const ms: number[] = [];
    const server: number[] = [];
    const answers: Answer<Id>[] = [];
    for (const q of queries) {
      const started = performance.now();
      const a = await search(q);
      ms.push(performance.now() - started);
      if (a.serverMs !== undefined) server.push(a.serverMs);
      answers.push(a);
    }
    if (pass === 0) first = answers;
    p50.push(median(ms));
    p99.push(percentile(ms, 99));
    if (server.length > 0) {
      s50.push(median(server));
      s99.push(percentile(server, 99));
    }
  }
  const latency: Latency = { p50: median(p50), p99: median(p99), passes: p50.length };
  if (s50.length > 0) Object.assign(latency, { serverP50: median(s50), serverP99: median(s99) });
  return { first, latency };
}

/** Recall gains below this over two successive points of a line count as saturation. */
const SATURATED = 0.002;

/**
 * Recall@10 and latency at each sweep point, in order. A line stops after its first point at or
 * above STOP_AT_RECALL, or after two points that did not raise its recall.
 */
export async function annSweep(
  set: VectorSet,
  points: SweepPoint[],
  search: (q: Float32Array, point: SweepPoint) => Promise<Answer<number>>,
  opts: RunOptions & { log?: (s: string) => void },
): Promise<AnnPoint[]> {
  const out: AnnPoint[] = [];
  const lines = new Map<string, { best: number; flat: number; done: boolean }>();
  for (const point of points) {
    const line = lines.get(point.line ?? "") ?? { best: -1, flat: 0, done: false };
    lines.set(point.line ?? "", line);
    if (line.done) continue;
    const { first, latency } = await timedPasses(set.queries, (q) => search(q, point), opts);
    let hits = 0;
    const extra: Record<string, number> = {};
    first.forEach((a, i) => {
      const got = new Set(a.ids.slice(0, 10).map(Number));
      hits += set.truth[i].filter((id) => got.has(id)).length;
      for (const [k, v] of Object.entries(a.extra ?? {})) extra[k] = (extra[k] ?? 0) + v / first.length;
    });
    const recall = hits / (set.queries.length * 10);
    out.push({ label: point.label, knobs: point.knobs, ...(point.line ? { line: point.line } : {}), recall, ...latency, ...(Object.keys(extra).length > 0 ? { extra } : {}) });
    opts.log?.(`  ${point.label}: recall@10 ${recall.toFixed(3)}, p50 ${latency.p50.toFixed(2)} ms`);
    line.flat = recall > line.best + SATURATED ? 0 : line.flat + 1;
    line.best = Math.max(line.best, recall);
    line.done = recall >= STOP_AT_RECALL || line.flat >= 2;
  }
  return out;
}

export interface Quality extends Latency {
  ndcg10: number;
  recall100: number;
  queries: number;
}

/** nDCG@10 and recall@100 over every judged query, and the latency of those queries. */
export async function qualityRun(ds: BeirDataset, search: (qid: string) => Promise<Answer<string>>, opts: RunOptions): Promise<Quality> {
  const qids = [...ds.qrels.keys()];
  const { first, latency } = await timedPasses(qids, search, opts);
  const runs = new Map(qids.map((q, i) => [q, first[i].ids.map(String)]));
  const { ndcg, recall } = evaluate(runs, ds.qrels);
  return { ndcg10: ndcg, recall100: recall, queries: qids.length, ...latency };
}
