/**
 * LanceDB (@lancedb/lancedb, embedded, a temporary local directory) as a benchmarked system: loads
 * vectors as Arrow batches, builds its IVF index types and its native full-text (BM25) index, and
 * answers the workloads' searches. Runs inside a peer child process; no workload logic here.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { Field, FixedSizeList, Float32, Int32, RecordBatch, Schema, Struct, Table as ArrowTable, makeData } from "apache-arrow";
import type { BeirDataset } from "../lib/datasets.ts";
import type { VectorSet } from "../lib/vector-sets.ts";
import type { AnnResult, QualityResult } from "./results.ts";
import { type Answer, type BeirVectors, type LoggedRunOptions, type SweepPoint, annSweep, qualityRun } from "./workloads.ts";

/** The IVF index types of this LanceDB version the suite knows how to build and sweep. */
export const LANCE_INDEXES = ["ivf_pq", "ivf_rq", "ivf_hnsw_sq"] as const;
export type LanceIndex = (typeof LANCE_INDEXES)[number];

/**
 * Query-time knobs swept, one line per refine factor (IVF_PQ / IVF_RQ) or per ef (IVF_HNSW_SQ), each
 * over nprobes. The quantized codes alone top out below 0.95 recall on some sets: a refine factor
 * re-ranks factor × 10 candidates with the full vectors, as Elacsym's exact rerank does.
 */
const NPROBES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
const REFINES = [0, 4, 16];
const EFS = [20, 80, 320];
const FTS = { language: "English", stem: true, removeStopWords: true, lowercase: true, asciiFolding: true, withPosition: false };
const QUALITY_TOP_K = 100;

const distance = (m: VectorSet["metric"]) => (m === "cosine" ? "cosine" : "l2");

function arrowBatch(dims: number, start: number, data: Float32Array): ArrowTable {
  const n = data.length / dims;
  const schema = new Schema([new Field("id", new Int32(), false), new Field("vector", new FixedSizeList(dims, new Field("item", new Float32(), true)), false)]);
  const values = makeData({ type: new Float32(), length: data.length, data });
  const vectors = makeData({ type: schema.fields[1].type, length: n, nullCount: 0, child: values });
  const ids = makeData({ type: new Int32(), length: n, data: Int32Array.from({ length: n }, (_, i) => start + i) });
  return new ArrowTable([new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children: [ids, vectors] }))]);
}

function indexConfig(kind: LanceIndex, metric: VectorSet["metric"]): lancedb.Index {
  const distanceType = distance(metric);
  if (kind === "ivf_pq") return lancedb.Index.ivfPq({ distanceType });
  if (kind === "ivf_rq") return lancedb.Index.ivfRq({ distanceType });
  return lancedb.Index.hnswSq({ distanceType });
}

function sweepPoints(kind: LanceIndex, count: number): SweepPoint[] {
  // Probing more partitions than there could be (rows / 2) only repeats the last point.
  const probes = NPROBES.filter((n) => n <= Math.max(1, count / 2));
  if (kind === "ivf_hnsw_sq") return EFS.flatMap((ef) => probes.map((n) => ({ label: `ef ${ef}, nprobes ${n}`, knobs: { ef, nprobes: n }, line: `ef ${ef}` })));
  return REFINES.flatMap((refineFactor) =>
    probes.map((n): SweepPoint => (refineFactor
      ? { label: `nprobes ${n}, refine ${refineFactor}`, knobs: { nprobes: n, refineFactor }, line: `refine ${refineFactor}` }
      : { label: `nprobes ${n}`, knobs: { nprobes: n }, line: "no refine" })),
  );
}

export async function lancedbAnn(set: VectorSet, indexes: LanceIndex[], opts: LoggedRunOptions): Promise<AnnResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "bench-lancedb-"));
  try {
    const db = await lancedb.connect(dir);
    const started = performance.now();
    let table: lancedb.Table | undefined;
    for (const b of set.batches(50_000)) {
      const batch = arrowBatch(set.dims, b.start, b.data);
      if (!table) table = await db.createTable("vectors", batch);
      else await table.add(batch);
    }
    const loadSeconds = (performance.now() - started) / 1000;
    opts.log(`  loaded ${set.count} vectors in ${loadSeconds.toFixed(1)} s`);
    const out: AnnResult[] = [];
    for (const kind of indexes) {
      const t0 = performance.now();
      await table!.createIndex("vector", { config: indexConfig(kind, set.metric), replace: true });
      const indexSeconds = (performance.now() - t0) / 1000;
      const details = (await table!.listIndices()).find((i) => i.columns.includes("vector"));
      opts.log(`  ${kind}: built in ${indexSeconds.toFixed(1)} s`);
      const search = async (q: Float32Array, point: SweepPoint): Promise<Answer<number>> => {
        let query = table!.vectorSearch(q).distanceType(distance(set.metric)).limit(10).select(["id", "_distance"]);
        if (point.knobs.nprobes) query = query.nprobes(point.knobs.nprobes);
        if (point.knobs.refineFactor) query = query.refineFactor(point.knobs.refineFactor);
        if (point.knobs.ef) query = query.ef(point.knobs.ef);
        const rows = await query.toArray();
        return { ids: rows.map((r: { id: number }) => r.id) };
      };
      const points = await annSweep(set, sweepPoints(kind, set.count), search, opts);
      out.push({
        system: "lancedb",
        dataset: set.key,
        datasetName: set.name,
        config: kind.toUpperCase(),
        settings: {
          "index options": `library defaults, distanceType ${distance(set.metric)}`,
          "index details": JSON.stringify(details?.indexDetails ?? {}),
          "swept at query time": kind === "ivf_hnsw_sq" ? `ef ${EFS.join(", ")} × nprobes` : `refineFactor none, ${REFINES.filter(Boolean).join(", ")} × nprobes`,
        },
        ingest: { docs: set.count, loadSeconds, indexSeconds },
        points,
        memory: { peak: 0 },
      });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function lancedbQuality(
  name: "scifact" | "cranfield",
  ds: BeirDataset,
  vectors: BeirVectors | undefined,
  opts: LoggedRunOptions,
): Promise<QualityResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "bench-lancedb-"));
  try {
    const db = await lancedb.connect(dir);
    const started = performance.now();
    const rows = ds.docs.map((d) => ({ id: d.id, title: d.title, text: d.text, ...(vectors ? { vector: Array.from(vectors.docs.get(d.id)!) } : {}) }));
    const table = await db.createTable(name, rows);
    const loadSeconds = (performance.now() - started) / 1000;
    const t0 = performance.now();
    for (const field of ["title", "text"]) await table.createIndex(field, { config: lancedb.Index.fts(FTS), replace: true });
    const ingest = { docs: ds.docs.length, loadSeconds, indexSeconds: (performance.now() - t0) / 1000 };
    const rrf = await lancedb.rerankers.RRFReranker.create(60);
    const text = (qid: string) => new lancedb.MultiMatchQuery(ds.queries.get(qid)!, ["title", "text"]);
    const runs: Record<string, (qid: string) => Promise<Record<string, unknown>[]>> = {
      bm25: (qid) => table.query().fullTextSearch(text(qid)).select(["id", "_score"]).limit(QUALITY_TOP_K).toArray(),
    };
    if (vectors) {
      // No vector index on 5k rows: LanceDB searches them exactly (flat), as Elacsym's exact arm would.
      runs.dense = (qid) => table.vectorSearch(vectors.queries.get(qid)!).distanceType("cosine").select(["id", "_distance"]).limit(QUALITY_TOP_K).toArray();
      runs.hybrid = (qid) => table.query().fullTextSearch(text(qid)).nearestTo(vectors.queries.get(qid)!).distanceType("cosine").rerank(rrf).select(["id"]).limit(QUALITY_TOP_K).toArray();
    }
    const out: QualityResult[] = [];
    for (const [run, fn] of Object.entries(runs)) {
      const quality = await qualityRun(ds, async (qid) => ({ ids: (await fn(qid)).map((r) => String(r.id)) }), opts);
      opts.log(`  ${run}: nDCG@10 ${quality.ndcg10.toFixed(3)}, p50 ${quality.p50.toFixed(2)} ms`);
      out.push({
        system: "lancedb",
        dataset: name,
        run,
        config: run === "bm25" ? "native FTS (BM25), MultiMatchQuery" : run === "dense" ? "flat vector search (no index)" : "FTS + vector, RRFReranker k=60",
        settings: { analyzer: `tokenizer simple, ${JSON.stringify(FTS)}`, fields: "title + text (one FTS index each)", top_k: QUALITY_TOP_K },
        quality,
        ingest,
        memory: { peak: 0 },
      });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
