/**
 * Entry point of a peer child process: runs one job (one system, one dataset) in-process and sends
 * its results to the parent over IPC. Owns the job format; the parent samples this process's memory.
 */
import { resolve } from "node:path";
import { DATASETS, type BeirDataset, loadBeir, loadSciFactEmbeddings } from "../lib/datasets.ts";
import { statusBytes } from "../lib/proc.ts";
import { openVectorSet } from "../lib/vector-sets.ts";
import { type LanceIndex, lancedbAnn, lancedbQuality } from "./lancedb.ts";
import { oramaAnn, oramaQuality } from "./orama.ts";
import type { AnnResult, QualityResult } from "./results.ts";
import type { BeirVectors, RunOptions } from "./workloads.ts";

export interface PeerJob {
  system: "lancedb" | "orama";
  kind: "ann" | "quality";
  /** Vector set key (ann) or "scifact" / "cranfield" (quality). */
  dataset: string;
  queries: number;
  run: RunOptions;
  lanceIndexes?: LanceIndex[];
}

export interface PeerReply {
  ann?: AnnResult[];
  quality?: QualityResult[];
  /** RSS once the job's input is in memory, before the system got any of it. */
  baseline: number;
  /** This process's own VmHWM just before replying (the parent's samples may miss the last peak). */
  selfPeak?: number;
}

/** A BEIR dataset with, for SciFact, its MiniLM embeddings keyed by document and query id. */
export function loadQualityDataset(name: "scifact" | "cranfield"): { ds: BeirDataset; vectors?: BeirVectors } | undefined {
  const ds = loadBeir(resolve(DATASETS, name === "scifact" ? "scifact" : "cranfield/beir"));
  if (!ds) return undefined;
  if (name !== "scifact") return { ds };
  const emb = loadSciFactEmbeddings();
  if (!emb) return { ds };
  return {
    ds,
    vectors: {
      docs: new Map(emb.docIds.map((id, i) => [id, emb.base[i]])),
      queries: new Map(emb.queryIds.map((id, i) => [id, emb.queries[i]])),
    },
  };
}

async function run(job: PeerJob): Promise<PeerReply> {
  const log = (s: string) => console.log(`[${job.system}] ${s}`);
  const opts = { ...job.run, log };
  if (job.kind === "ann") {
    const set = openVectorSet(job.dataset, job.queries);
    if (!set) throw new Error(`dataset ${job.dataset} not found`);
    const baseline = statusBytes("self", "VmRSS");
    const ann = job.system === "lancedb" ? await lancedbAnn(set, job.lanceIndexes ?? [], opts) : [await oramaAnn(set, opts)];
    return { ann, baseline };
  }
  const name = job.dataset as "scifact" | "cranfield";
  const loaded = loadQualityDataset(name);
  if (!loaded) throw new Error(`dataset ${name} not found`);
  const baseline = statusBytes("self", "VmRSS");
  const quality = job.system === "lancedb" ? await lancedbQuality(name, loaded.ds, loaded.vectors, opts) : await oramaQuality(name, loaded.ds, loaded.vectors, opts);
  return { quality, baseline };
}

if (process.send) {
  const job = JSON.parse(process.argv[2]) as PeerJob;
  const reply = await run(job);
  process.send({ ...reply, selfPeak: statusBytes("self", "VmHWM") }, () => process.exit(0));
}
