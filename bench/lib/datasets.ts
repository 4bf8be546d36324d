/**
 * Readers for the shared benchmark datasets (../shared/datasets, or $ELACSYM_DATASETS / $DATASETS):
 * BEIR corpora with queries and qrels, fvecs / ivecs vector files, and the two real ANN sets with
 * their ground truth. Benchmarks only; the data is never copied into the repository.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

export const DATASETS = process.env.ELACSYM_DATASETS ?? process.env.DATASETS ?? resolve(import.meta.dirname, "..", "..", "..", "shared", "datasets");

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

/** A vector file read whole: n rows of dim values, row-major. */
export interface VecFile {
  n: number;
  dim: number;
  data: Float32Array;
}

function readVecFile(path: string, read: (dv: DataView, at: number) => number): VecFile {
  const buf = readFileSync(path);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dim = dv.getInt32(0, true);
  const n = buf.byteLength / (4 + 4 * dim);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) data[i * dim + d] = read(dv, i * (4 + 4 * dim) + 4 + 4 * d);
  return { n, dim, data };
}

const rows = (f: VecFile): Float32Array[] => Array.from({ length: f.n }, (_, i) => f.data.subarray(i * f.dim, (i + 1) * f.dim));

export function readFvecsFlat(path: string): VecFile {
  return readVecFile(path, (dv, at) => dv.getFloat32(at, true));
}

export function readFvecs(path: string): Float32Array[] {
  return rows(readFvecsFlat(path));
}

/** ivecs values are integers below 2^24 here (row numbers), exact in a Float32Array. */
export function readIvecs(path: string): Int32Array[] {
  return rows(readVecFile(path, (dv, at) => dv.getInt32(at, true))).map((v) => Int32Array.from(v));
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

/** A real ANN dataset: base vectors, queries and the exact top-100 per query (row numbers). */
export interface RealVectorDataset {
  key: "sift" | "scifact";
  name: string;
  metric: "euclidean_squared" | "cosine";
  base: VecFile;
  queries: VecFile;
  groundTruth: Int32Array[];
}

const REAL_SETS = [
  { key: "sift", name: "ngt_sift5k", metric: "euclidean_squared", dir: "ngt_sift5k", prefix: "sift5k_split4500" },
  { key: "scifact", name: "scifact-minilm", metric: "cosine", dir: "scifact/embeddings_minilm", prefix: "scifact_minilm128" },
] as const;

/** The real ANN datasets present under DATASETS (absent ones are left out). */
export function loadRealDatasets(keys: readonly string[] = ["sift", "scifact"]): RealVectorDataset[] {
  const out: RealVectorDataset[] = [];
  for (const s of REAL_SETS) {
    const dir = resolve(DATASETS, s.dir);
    if (!keys.includes(s.key) || !existsSync(resolve(dir, `${s.prefix}_base.fvecs`))) continue;
    out.push({
      key: s.key,
      name: s.name,
      metric: s.metric,
      base: readFvecsFlat(resolve(dir, `${s.prefix}_base.fvecs`)),
      queries: readFvecsFlat(resolve(dir, `${s.prefix}_query.fvecs`)),
      groundTruth: readIvecs(resolve(dir, `${s.prefix}_groundtruth.ivecs`)),
    });
  }
  return out;
}
