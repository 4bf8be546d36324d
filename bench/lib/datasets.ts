/**
 * Readers for the shared benchmark datasets (../shared/datasets, or $DATASETS): BEIR corpora with
 * queries and qrels, and fvecs / ivecs vector files. Benchmarks say so and fall back when absent.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

export const DATASETS = process.env.DATASETS ?? resolve(import.meta.dirname, "..", "..", "..", "shared", "datasets");

export interface BeirDataset {
  docs: Array<{ id: string; title: string; text: string }>;
  queries: Map<string, string>;
  /** query id → (doc id → gain) for the test split. */
  qrels: Map<string, Map<string, number>>;
}

export function readJsonl<T>(path: string): T[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as T);
}

export function loadBeir(dir: string): BeirDataset | undefined {
  if (!existsSync(resolve(dir, "corpus.jsonl"))) return undefined;
  const docs = readJsonl<{ _id: string; title?: string; text?: string }>(resolve(dir, "corpus.jsonl")).map((d) => ({
    id: String(d._id), title: d.title ?? "", text: d.text ?? "",
  }));
  const queries = new Map(readJsonl<{ _id: string; text: string }>(resolve(dir, "queries.jsonl")).map((q) => [String(q._id), q.text]));
  const qrels = new Map<string, Map<string, number>>();
  for (const line of readFileSync(resolve(dir, "qrels/test.tsv"), "utf8").split("\n").slice(1)) {
    const [q, d, s] = line.trim().split("\t");
    if (q === undefined || d === undefined || s === undefined) continue;
    if (!qrels.has(q)) qrels.set(q, new Map());
    qrels.get(q)!.set(d, Number(s));
  }
  return { docs, queries, qrels };
}

function readVecs(path: string, read: (dv: DataView, at: number) => number): Float32Array[] {
  const buf = readFileSync(path);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Float32Array[] = [];
  for (let at = 0; at < buf.byteLength; ) {
    const d = dv.getInt32(at, true);
    const v = new Float32Array(d);
    for (let i = 0; i < d; i++) v[i] = read(dv, at + 4 + 4 * i);
    out.push(v);
    at += 4 + 4 * d;
  }
  return out;
}

export function readFvecs(path: string): Float32Array[] {
  return readVecs(path, (dv, at) => dv.getFloat32(at, true));
}

export function readIvecs(path: string): Int32Array[] {
  return readVecs(path, (dv, at) => dv.getInt32(at, true)).map((v) => Int32Array.from(v));
}

/** SciFact's MiniLM embeddings: base rows follow corpus order, query rows follow queries.jsonl. */
export function loadSciFactEmbeddings(dir = resolve(DATASETS, "scifact")): { docIds: string[]; base: Float32Array[]; queryIds: string[]; queries: Float32Array[] } | undefined {
  const emb = resolve(dir, "embeddings_minilm");
  if (!existsSync(resolve(emb, "scifact_minilm128_base.fvecs"))) return undefined;
  return {
    base: readFvecs(resolve(emb, "scifact_minilm128_base.fvecs")),
    queries: readFvecs(resolve(emb, "scifact_minilm128_query.fvecs")),
    docIds: readJsonl<{ doc_id: string }>(resolve(emb, "embedding_ids_minilm.jsonl")).map((r) => String(r.doc_id)),
    queryIds: readJsonl<{ query_id: string }>(resolve(emb, "query_ids_minilm.jsonl")).map((r) => String(r.query_id)),
  };
}
