// Benchmark of the vector index core, in-process (Node, Wasm SIMD kernels): build time and peak
// memory, then recall@10 against exact search and per-query latency over nprobe and exBits, with
// blocks already in memory (the warm case). Usage:
//   npm run bench:ann-core -- [--sets=sift,scifact,gen100k,gen1m] [--exbits=0,2,3,4,5,6,8] [--nq=200]
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeCentroidList, openCentroidIndex, type CentroidIndex } from "../src/core/index/vector/centroid-list.ts";
import { decodeClusterBlock, type ClusterBlock } from "../src/core/index/vector/cluster-block.ts";
import type { ClusterBlockLocation } from "../src/core/index/vector/cluster-object.ts";
import type { VectorMetric } from "../src/core/index/vector/distance.ts";
import { buildIvfIndex, type IndexObjectSink } from "../src/core/index/vector/ivf-build.ts";
import type { VectorRecord } from "../src/core/index/vector/ivf-encoder.ts";
import { DEFAULT_EX_BITS } from "../src/core/index/vector/ivf-train.ts";
import { searchIvf } from "../src/core/index/vector/ivf-search.ts";
import { tsKernels, type VectorKernels } from "../src/core/index/vector/kernels.ts";
import type { RangeReader } from "../src/storage/range-reader.ts";
import { clusteredData } from "../test/helpers/vector-data.ts";
import { loadRealDatasets } from "./lib/datasets.ts";
import { exactTopK } from "./lib/exact.ts";
import { loadWasmKernels } from "./load-kernels.ts";

const arg = (name: string, def: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const SETS = arg("sets", "sift,scifact,gen100k,gen1m").split(",");
const EXBITS = arg("exbits", "0,2,3,4,5,6,8").split(",").map(Number);
const NQ = Number(arg("nq", "200"));
const kernels = await loadWasmKernels();

interface Dataset {
  name: string;
  metric: VectorMetric;
  dim: number;
  n: number;
  /** Streams the base vectors (seq = row number). */
  source: () => Iterable<VectorRecord>;
  queries: Float32Array[];
  groundTruth: number[][];
  exBits: number[];
}

const memNow = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
let peak = 0;
let peakPhase = "";
let phase = "";
/** Live memory: collect first (garbage awaiting GC is not part of the budget). Needs --expose-gc. */
const sampleMem = (): void => {
  globalThis.gc?.();
  const m = memNow();
  if (m > peak) {
    peak = m;
    peakPhase = phase;
  }
};
const MB = (b: number): string => (b / 1048576).toFixed(1);
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

function* arraySource(data: Float32Array, n: number, dim: number): Iterable<VectorRecord> {
  for (let i = 0; i < n; i++) {
    yield { seq: i, vector: data.subarray(i * dim, (i + 1) * dim) };
  }
}

function realDatasets(): Dataset[] {
  const out: Dataset[] = [];
  for (const r of loadRealDatasets()) {
    if (!SETS.includes(r.key)) continue;
    const nq = Math.min(r.queries.n, Math.max(NQ, 300));
    out.push({
      name: r.name,
      metric: r.metric,
      dim: r.base.dim,
      n: r.base.n,
      source: () => arraySource(r.base.data, r.base.n, r.base.dim),
      queries: Array.from({ length: nq }, (_, i) => r.queries.data.slice(i * r.queries.dim, (i + 1) * r.queries.dim)),
      groundTruth: r.groundTruth.slice(0, nq).map((g) => Array.from(g.subarray(0, 10))),
      exBits: EXBITS,
    });
  }
  if (out.length === 0 && (SETS.includes("sift") || SETS.includes("scifact"))) {
    console.log("(no datasets under ../shared/datasets: real-data tables skipped)");
  }
  return out;
}

function generated(name: string, n: number, dim: number, exBits: number[]): Dataset {
  const opts = { dim, clusters: 1000, seed: 7, normalize: true };
  const gen = clusteredData(opts);
  const buf = new Float32Array(dim);
  const source = function* (): Iterable<VectorRecord> {
    for (let i = 0; i < n; i++) {
      yield { seq: i, vector: gen(i, buf) };
    }
  };
  const qgen = clusteredData(opts);
  const queries = Array.from({ length: NQ }, (_, i) => qgen(n + 10_000_000 + i));
  const t = performance.now();
  const ds: Dataset = { name, metric: "cosine", dim, n, source, queries, groundTruth: [], exBits };
  ds.groundTruth = exactTopK(kernels, ds, queries, 10);
  console.log(`(${name}: exact ground truth for ${NQ} queries in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  return ds;
}

class FileSink implements IndexObjectSink {
  readonly dir = mkdtempSync(join(tmpdir(), "elacsym-ann-"));
  private seq = 0;
  readonly finals: { path: string; locations: ClusterBlockLocation[] }[] = [];
  scratchBytes = 0;
  async putScratch(bytes: Uint8Array): Promise<RangeReader> {
    const path = join(this.dir, `scratch-${this.seq++}`);
    writeFileSync(path, bytes);
    this.scratchBytes += bytes.byteLength;
    sampleMem();
    const fd = openSync(path, "r");
    const length = bytes.byteLength; // capture the length only: the reader must not pin the bytes
    this.fds.push(fd);
    return {
      byteLength: length,
      async slice(start: number, end = length): Promise<ArrayBuffer> {
        const out = new Uint8Array(end - start);
        readSync(fd, out, 0, end - start, start);
        return out.buffer;
      },
    };
  }
  async putClusterObject(bytes: Uint8Array, locations: ClusterBlockLocation[]): Promise<string> {
    const path = join(this.dir, `clusters-${this.seq++}`);
    writeFileSync(path, bytes);
    sampleMem();
    this.finals.push({ path, locations });
    return path;
  }
  private readonly fds: number[] = [];
  close(): void {
    for (const fd of this.fds) closeSync(fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const buildRows: string[] = [];
const queryRows: string[] = [];

async function runDataset(ds: Dataset): Promise<void> {
  for (const exBits of ds.exBits) {
    const sink = new FileSink();
    globalThis.gc?.();
    const base = memNow();
    peak = base;
    const t = performance.now();
    const built = await buildIvfIndex(ds.source, sink, {
      dim: ds.dim,
      metric: ds.metric,
      kernels,
      exBits,
      seed: 1,
      progress: (p) => {
        phase = p;
        sampleMem();
      },
    });
    const buildMs = performance.now() - t;
    const buildPeak = peak - base;
    // load the index into memory (the warm case: every block cached, scan parts only at 1M)
    const keepVectors = ds.n <= 200_000;
    const blocks = new Map<number, ClusterBlock[]>();
    let scanBytes = 0;
    let vectorBytes = 0;
    for (const f of sink.finals) {
      const bytes = readFileSync(f.path);
      for (const l of f.locations) {
        const end = l.offset + l.scanBytes + (keepVectors ? l.vectorBytes : 0);
        const b = decodeClusterBlock(new Uint8Array(bytes.buffer, bytes.byteOffset + l.offset, end - l.offset).slice());
        // a large cluster may span several objects: keep every block
        blocks.set(l.clusterId, [...(blocks.get(l.clusterId) ?? []), b]);
        scanBytes += l.scanBytes;
        vectorBytes += l.vectorBytes;
      }
    }
    sink.close();
    const list = decodeCentroidList(built.centroidListBytes);
    const ci = openCentroidIndex(list, kernels);
    buildRows.push(
      `| ${ds.name} | ${ds.n} | ${ds.dim} | ${exBits} | ${built.stats.nlist} | ${built.stats.sampleSize} | ${built.stats.scratchFragments} | ${(buildMs / 1000).toFixed(1)} (${(built.stats.trainMs / 1000).toFixed(1)}/${(built.stats.encodeMs / 1000).toFixed(1)}/${(built.stats.mergeMs / 1000).toFixed(1)}) | ${MB(buildPeak)} (${peakPhase}) | ${MB(scanBytes)} | ${MB(vectorBytes)} | ${built.stats.nprobe} |`,
    );
    const nps = [...new Set([4, 8, 16, 32, 64, list.nprobe])].filter((x) => x <= list.nlist).sort((a, b) => a - b);
    for (const np of nps) {
      const variants: [string, boolean, VectorKernels][] = [["", false, kernels]];
      if (keepVectors && (exBits === 0 || exBits === 8)) variants.push([" +rerank", true, kernels]);
      if (np === list.nprobe && exBits === DEFAULT_EX_BITS) variants.push([" ts-kernels", false, tsKernels]);
      for (const [label, rerank, kern] of variants) {
        const cix: CentroidIndex = kern === kernels ? ci : openCentroidIndex(list, kern);
        const r = await measure(ds, cix, blocks, np, rerank);
        queryRows.push(
          `| ${ds.name} | ${exBits} | ${np}${np === list.nprobe ? "*" : ""}${label} | ${r.recall.toFixed(4)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.scanned.toFixed(0)} | ${r.refined.toFixed(0)} | ${MB(r.probedBytes)} |`,
        );
      }
    }
    printTables();
  }
}

async function measure(ds: Dataset, ci: CentroidIndex, blocks: Map<number, ClusterBlock[]>, nprobe: number, rerank: boolean) {
  const lat: number[] = [];
  let hit = 0;
  let scanned = 0;
  let refined = 0;
  let probedBytes = 0;
  const readCluster = async (c: number): Promise<ClusterBlock[]> => {
    const list = blocks.get(c) ?? [];
    for (const b of list) probedBytes += b.scanBytes;
    return list;
  };
  for (let w = 0; w < Math.min(20, ds.queries.length); w++) await searchIvf({ query: ds.queries[w], k: 10, centroids: ci, nprobe, readCluster, rerank });
  probedBytes = 0;
  for (let q = 0; q < ds.queries.length; q++) {
    const t = performance.now();
    const r = await searchIvf({ query: ds.queries[q], k: 10, centroids: ci, nprobe, readCluster, rerank });
    lat.push(performance.now() - t);
    const truth = new Set(ds.groundTruth[q]);
    for (const x of r.results) if (truth.has(x.seq)) hit++;
    scanned += r.stats.candidatesScanned;
    refined += r.stats.candidatesRefined;
  }
  const nq = ds.queries.length;
  return { recall: hit / (10 * nq), p50: pct(lat, 0.5), p99: pct(lat, 0.99), scanned: scanned / nq, refined: refined / nq, probedBytes: probedBytes / nq };
}

function printTables(): void {
  console.log("\n## Build (time s: total (train/encode+assign/merge); memory = peak heap+ArrayBuffers above the pre-build baseline)\n");
  console.log("| dataset | N | dim | exBits | nlist | sample | scratch frags | build s | peak MB | scan part MB | vectors MB | nprobe* |");
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of buildRows) console.log(r);
  console.log("\n## Query (top-10, in-process, blocks in memory; * = calibrated default nprobe; no rerank unless marked)\n");
  console.log("| dataset | exBits | nprobe | recall@10 | p50 ms | p99 ms | scanned | refined | probed scan-part MB/query |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of queryRows) console.log(r);
}

console.log(`ann-core: node ${process.version}, kernels ${kernels.kind}, sets ${SETS.join(",")}, exBits ${EXBITS.join(",")}`);
for (const ds of realDatasets()) await runDataset(ds);
if (SETS.includes("gen100k")) await runDataset(generated("gen-768d-100k", 100_000, 768, EXBITS.filter((b) => [3, 4, 5, 6].includes(b))));
if (SETS.includes("gen1m")) await runDataset(generated("gen-768d-1M", 1_000_000, 768, [DEFAULT_EX_BITS]));
