/**
 * The vector datasets the benchmark suite runs every system on: the real sets (ngt_sift5k, SciFact
 * MiniLM) and generated 768-d clustered data, materialized once as a raw float32 file with exact
 * ground truth so that every system's process streams the same bytes. Not how any system stores them.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clusteredData } from "../../test/helpers/vector-data.ts";
import { loadWasmKernels } from "../load-kernels.ts";
import { loadRealDatasets } from "./datasets.ts";
import { exactTopK } from "./exact.ts";

export type Metric = "cosine" | "euclidean_squared";

export interface VectorSet {
  /** "sift", "scifact" or "gen-<count>". */
  key: string;
  name: string;
  metric: Metric;
  dims: number;
  count: number;
  generated: boolean;
  /** Row-major slices of the base vectors in row order; row number = document id. */
  batches(rows: number): Iterable<{ start: number; data: Float32Array }>;
  queries: Float32Array[];
  /** Exact top-10 row numbers per query. */
  truth: number[][];
}

/** Where generated vectors and their ground truth are cached between runs (outside the repository). */
export const CACHE_DIR = process.env.BENCH_CACHE_DIR ?? join(tmpdir(), "elacsym-bench-data");
const GEN = { dim: 768, clusters: 1000, seed: 7, latent: 16, normalize: true } as const;
const genPath = (count: number) => join(CACHE_DIR, `gen${GEN.dim}-c${GEN.clusters}-s${GEN.seed}-${count}.f32`);
const truthPath = (count: number, nq: number) => `${genPath(count)}.q${nq}.truth.json`;

export const generatedKey = (count: number) => `gen-${count}`;

/** How the generated sets are made, for the report. */
export const GENERATED_DATA = `${GEN.dim}-d unit vectors from test/helpers/vector-data.ts: ${GEN.clusters.toLocaleString("en-US")} Gaussian clusters whose points also vary along a shared ${GEN.latent}-d latent space, plus isotropic noise (seed ${GEN.seed}); queries are fresh points of the same distribution`;

function generatedQueries(nq: number, count: number): Float32Array[] {
  const gen = clusteredData(GEN);
  // Indices past the data: fresh points from the same clusters.
  return Array.from({ length: nq }, (_, i) => gen(count + 10_000_000 + i));
}

function* fileBatches(path: string, dims: number, count: number, rows: number): Iterable<{ start: number; data: Float32Array }> {
  const fd = openSync(path, "r");
  try {
    for (let start = 0; start < count; start += rows) {
      const n = Math.min(rows, count - start);
      const data = new Float32Array(n * dims);
      readSync(fd, new Uint8Array(data.buffer), 0, data.byteLength, start * dims * 4);
      yield { start, data };
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes the generated vectors and their exact ground truth if not cached yet (parent process only). */
export async function prepareGenerated(count: number, nq: number, log: (s: string) => void): Promise<void> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const path = genPath(count);
  if (!existsSync(path)) {
    const started = performance.now();
    const gen = clusteredData(GEN);
    const tmp = `${path}.partial`;
    const fd = openSync(tmp, "w");
    const rows = 10_000;
    for (let start = 0; start < count; start += rows) {
      const n = Math.min(rows, count - start);
      const buf = new Float32Array(n * GEN.dim);
      for (let i = 0; i < n; i++) gen(start + i, buf.subarray(i * GEN.dim, (i + 1) * GEN.dim));
      writeSync(fd, new Uint8Array(buf.buffer));
    }
    closeSync(fd);
    renameSync(tmp, path);
    log(`generated ${count.toLocaleString("en-US")} × ${GEN.dim} vectors in ${((performance.now() - started) / 1000).toFixed(0)} s → ${path}`);
  }
  if (!existsSync(truthPath(count, nq))) {
    const started = performance.now();
    const kernels = await loadWasmKernels();
    const source = function* () {
      for (const b of fileBatches(path, GEN.dim, count, 10_000)) {
        for (let i = 0; i < b.data.length / GEN.dim; i++) yield { seq: b.start + i, vector: b.data.subarray(i * GEN.dim, (i + 1) * GEN.dim) };
      }
    };
    const truth = exactTopK(kernels, { metric: "cosine", dim: GEN.dim, source }, generatedQueries(nq, count), 10);
    writeFileSync(truthPath(count, nq), JSON.stringify(truth));
    log(`exact ground truth of ${nq} queries over ${count.toLocaleString("en-US")} vectors in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
}

/** Opens a dataset by key; generated sets must have been prepared. Undefined if a real set is absent. */
export function openVectorSet(key: string, nq: number): VectorSet | undefined {
  if (key.startsWith("gen-")) {
    const count = Number(key.slice(4));
    return {
      key,
      name: `generated ${count.toLocaleString("en-US")} × ${GEN.dim}`,
      metric: "cosine",
      dims: GEN.dim,
      count,
      generated: true,
      batches: (rows) => fileBatches(genPath(count), GEN.dim, count, rows),
      queries: generatedQueries(nq, count),
      truth: JSON.parse(readFileSync(truthPath(count, nq), "utf8")) as number[][],
    };
  }
  const real = loadRealDatasets([key])[0];
  if (!real) return undefined;
  const { base, queries, groundTruth } = real;
  const n = Math.min(nq, queries.n);
  return {
    key,
    name: `${real.name} ${base.n.toLocaleString("en-US")} × ${base.dim}`,
    metric: real.metric,
    dims: base.dim,
    count: base.n,
    generated: false,
    batches: function* (rows) {
      for (let start = 0; start < base.n; start += rows) yield { start, data: base.data.subarray(start * base.dim, Math.min(base.n, start + rows) * base.dim) };
    },
    queries: Array.from({ length: n }, (_, i) => queries.data.slice(i * queries.dim, (i + 1) * queries.dim)),
    truth: groundTruth.slice(0, n).map((g) => Array.from(g.subarray(0, 10))),
  };
}
