// Readers of the shared benchmark datasets (fvecs/ivecs, see ../shared/datasets/README.md).
// Benchmarks only: never imported by src/ or the tests; the data is never copied into the repo.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const DATASETS_DIR = join(import.meta.dirname, "..", "..", "shared", "datasets");

export interface VecFile {
  n: number;
  dim: number;
  data: Float32Array;
}

export function readFvecs(path: string): VecFile {
  const buf = readFileSync(path);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dim = dv.getInt32(0, true);
  const n = buf.byteLength / (4 + 4 * dim);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) data[i * dim + d] = dv.getFloat32(i * (4 + 4 * dim) + 4 + 4 * d, true);
  return { n, dim, data };
}

export function readIvecs(path: string): { n: number; dim: number; rows: Int32Array[] } {
  const buf = readFileSync(path);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const rows: Int32Array[] = [];
  let p = 0;
  let dim = 0;
  while (p < buf.byteLength) {
    dim = dv.getInt32(p, true);
    const r = new Int32Array(dim);
    for (let d = 0; d < dim; d++) r[d] = dv.getInt32(p + 4 + 4 * d, true);
    rows.push(r);
    p += 4 + 4 * dim;
  }
  return { n: rows.length, dim, rows };
}

export interface RealDataset {
  name: string;
  metric: "euclidean_squared" | "cosine";
  base: VecFile;
  queries: VecFile;
  groundTruth: Int32Array[];
}

export function loadRealDatasets(): RealDataset[] {
  const out: RealDataset[] = [];
  const sift = join(DATASETS_DIR, "ngt_sift5k");
  if (existsSync(sift)) {
    out.push({
      name: "ngt_sift5k",
      metric: "euclidean_squared",
      base: readFvecs(join(sift, "sift5k_split4500_base.fvecs")),
      queries: readFvecs(join(sift, "sift5k_split4500_query.fvecs")),
      groundTruth: readIvecs(join(sift, "sift5k_split4500_groundtruth.ivecs")).rows,
    });
  }
  const sci = join(DATASETS_DIR, "scifact", "embeddings_minilm");
  if (existsSync(sci)) {
    out.push({
      name: "scifact-minilm",
      metric: "cosine",
      base: readFvecs(join(sci, "scifact_minilm128_base.fvecs")),
      queries: readFvecs(join(sci, "scifact_minilm128_query.fvecs")),
      groundTruth: readIvecs(join(sci, "scifact_minilm128_groundtruth.ivecs")).rows,
    });
  }
  return out;
}
