// Micro-benchmark of the vector write path (Node, in-process): µs per vector of each piece of
// encoding into an IVF + RaBitQ index (prepare, rotate, nearest centroid, RaBitQ code, the rest of
// a delta fragment) and an in-memory index build, medians over repetitions. Usage:
//   npm run bench:encode -- [--dims=128,768] [--nlist=695] [--kernels=wasm,ts] [--reps=15] [--build=20000] [--build-reps=3]
import { memoryRangeReader } from "../src/storage/range-reader.ts";
import { openCentroidIndex } from "../src/core/index/vector/centroid-list.ts";
import { prepareVector } from "../src/core/index/vector/distance.ts";
import { type BuiltIvfIndex, buildIvfIndex } from "../src/core/index/vector/ivf-build.ts";
import { ASSIGN_BATCH, encodeDeltaFragment } from "../src/core/index/vector/ivf-encoder.ts";
import { DEFAULT_EX_BITS, trainCentroids } from "../src/core/index/vector/ivf-train.ts";
import { tsKernels, type VectorKernels } from "../src/core/index/vector/kernels.ts";
import { createRabitqEncoder } from "../src/core/index/vector/rabitq-encoder.ts";
import { clusteredData } from "../test/helpers/vector-data.ts";
import { median, printTable } from "./lib/stats.ts";
import { loadWasmKernels } from "./load-kernels.ts";

const arg = (name: string, def: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const DIMS = arg("dims", "128,768").split(",").map(Number);
const NLIST = Number(arg("nlist", "695"));
const KERNELS = arg("kernels", "wasm,ts").split(",");
const REPS = Number(arg("reps", "15"));
const BUILD_N = Number(arg("build", "20000"));
const BUILD_REPS = Number(arg("build-reps", "3"));
/** Vectors per timed repetition (a multiple of ASSIGN_BATCH). */
const N = 1024;

const wasm = await loadWasmKernels();
const kernelSets: [string, VectorKernels][] = KERNELS.map((k) => [k, k === "ts" ? tsKernels : wasm]);

/** CPU time of this process in ms: on a machine shared with other jobs it varies far less than wall time. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Median over REPS of CPU µs per vector for `body`, which processes N vectors; after 2 warm-up runs. */
function perVector(body: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < REPS + 2; r++) {
    const t = cpuMs();
    body();
    if (r >= 2) times.push(((cpuMs() - t) * 1000) / N);
  }
  return median(times);
}

const us = (x: number): string => x.toFixed(2);
const rows: (string | number)[][] = [];
const buildRows: (string | number)[][] = [];

for (const dim of DIMS) {
  const gen = clusteredData({ dim, clusters: 1000, seed: 7, normalize: true });
  const raw = Array.from({ length: N }, (_, i) => gen(i));
  // centroids: a short k-means over a sample, as a namespace's index would have
  const sampleN = Math.max(NLIST * 12, 2 * N);
  const sample = new Float32Array(sampleN * dim);
  for (let i = 0; i < sampleN; i++) sample.set(gen(100_000 + i), i * dim);
  const list = trainCentroids(sample, sampleN, {
    dim,
    metric: "cosine",
    exBits: DEFAULT_EX_BITS,
    nlist: NLIST,
    seed: 1,
    kernels: wasm,
    targetClusterSize: 64,
    iterations: 6,
  });
  for (const [kname, kernels] of kernelSets) {
    const index = openCentroidIndex(list, kernels);
    const P = index.paddedDim;
    const prepared = raw.map((v) => prepareVector(v, dim, "cosine"));
    const rotated = new Float64Array(N * P);
    const rotated32 = new Float32Array(N * P);
    const nearest = new Int32Array(ASSIGN_BATCH);
    for (let k = 0; k < N; k++) index.rotator.rotate(prepared[k], rotated.subarray(k * P, (k + 1) * P));
    rotated32.set(rotated);
    const assigned = new Int32Array(N);
    index.matrix.nearest(rotated32, N, assigned);
    const centroid = (k: number) => index.centroids.subarray(assigned[k] * P, (assigned[k] + 1) * P);
    const rabitq = createRabitqEncoder(P, index.exBits, "cosine", kernels);
    const records = raw.map((vector, seq) => ({ seq, vector }));
    const out = new Float64Array(P);
    const t = {
      prepare: perVector(() => {
        for (const v of raw) prepareVector(v, dim, "cosine");
      }),
      rotate: perVector(() => {
        for (const v of prepared) index.rotator.rotate(v, out);
      }),
      nearest: perVector(() => {
        for (let k = 0; k < N; k += ASSIGN_BATCH) {
          index.matrix.nearest(rotated32.subarray(k * P, (k + ASSIGN_BATCH) * P), ASSIGN_BATCH, nearest);
        }
      }),
      rabitq: perVector(() => {
        for (let k = 0; k < N; k++) rabitq.encode(rotated.subarray(k * P, (k + 1) * P), centroid(k));
      }),
      fragment: perVector(() => {
        encodeDeltaFragment(index, records);
      }),
    };
    const rest = t.fragment - t.prepare - t.rotate - t.nearest - t.rabitq;
    rows.push([dim, kname, us(t.prepare), us(t.rotate), us(t.nearest), us(t.rabitq), us(rest), us(t.fragment)]);
    if (dim === 768 && BUILD_N > 0 && kname === "wasm") {
      // generated once: the generator costs about as much as the build
      const data = new Float32Array(BUILD_N * dim);
      for (let i = 0; i < BUILD_N; i++) gen(i, data.subarray(i * dim, (i + 1) * dim));
      const times: number[] = [];
      let stats: BuiltIvfIndex["stats"] | null = null;
      for (let r = 0; r < BUILD_REPS; r++) {
        const t0 = cpuMs();
        const built = await buildIvfIndex(
          function* () {
            for (let i = 0; i < BUILD_N; i++) yield { seq: i, vector: data.subarray(i * dim, (i + 1) * dim) };
          },
          { putScratch: async (bytes) => memoryRangeReader(bytes), putClusterObject: async () => "x" },
          { dim, metric: "cosine", kernels },
        );
        times.push(cpuMs() - t0);
        stats = built.stats;
      }
      const s = (ms: number) => (ms / 1000).toFixed(2);
      buildRows.push([`${BUILD_N} × ${dim}`, s(median(times)), s(stats!.trainMs), s(stats!.encodeMs), s(stats!.mergeMs), stats!.nlist]);
    }
  }
}

printTable(
  `Encoding, CPU µs per vector (median of ${REPS} × ${N} vectors, ${NLIST} centroids, exBits ${DEFAULT_EX_BITS}, cosine)`,
  ["dim", "kernels", "prepare", "rotate", "nearest", "rabitq", "blocks (rest)", "fragment"],
  rows,
);
if (buildRows.length > 0) {
  printTable(
    `Index build, Wasm kernels (in-memory sink; CPU s, median of ${BUILD_REPS}; phases: wall s of the last run)`,
    ["vectors", "total", "train", "encode", "merge", "nlist"],
    buildRows,
  );
}
