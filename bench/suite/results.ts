/**
 * The shape of one benchmark run's results (written as JSON, read by the report): per system and
 * dataset, ingest, sweep points, quality, memory, and what a system could not do. No measuring here.
 */
import type { AnnPoint, Quality } from "./workloads.ts";

export const SYSTEMS = ["elacsym", "lancedb", "orama"] as const;
export type SystemName = (typeof SYSTEMS)[number];

export interface Ingest {
  docs: number;
  /** Until every document is accepted (Elacsym: acknowledged; embedded systems: the insert call returned). */
  loadSeconds: number;
  /** From the end of loading until the index is built and queryable (0 when the insert builds it). */
  indexSeconds: number;
}

export interface Memory {
  /** Peak resident memory of the system's process over the whole job (bytes). */
  peak: number;
  /** Resident memory of the process before the system was given any data (harness + runtime). */
  baseline?: number;
  /** Elacsym only: peak of the query phase alone (VmHWM reset after ingest). */
  queryPeak?: number;
}

export interface ColdFigures {
  queries: number;
  p50: number;
  p99: number;
  roundTrips: number;
  storageBytes: number;
}

export interface AnnResult {
  system: SystemName;
  /** Dataset key: "sift", "scifact" or "gen-<count>". */
  dataset: string;
  datasetName: string;
  /** Index type or mode, e.g. "IVF + RaBitQ", "IVF_PQ", "brute force". */
  config: string;
  settings: Record<string, string | number>;
  /** What the system reported about its index after loading (clusters, default nprobe, …). */
  figures?: Record<string, number>;
  ingest: Ingest;
  points: AnnPoint[];
  memory: Memory;
  cold?: ColdFigures;
}

export interface QualityResult {
  system: SystemName;
  dataset: "scifact" | "cranfield";
  /** "bm25", "dense" or "hybrid". */
  run: string;
  config: string;
  settings: Record<string, string | number>;
  quality: Quality;
  ingest: Ingest;
  memory: Memory;
  cold?: ColdFigures;
}

export interface Skipped {
  system: SystemName;
  workload: string;
  dataset: string;
  reason: string;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  loadStart: number[];
  loadEnd: number[];
  os: string;
  node: string;
  versions: Record<string, string>;
}

export interface SuiteResults {
  startedAt: string;
  finishedAt: string;
  seconds: number;
  machine: Machine;
  options: Record<string, string | number | boolean>;
  datasetsDir: string;
  /** Which inputs were real data and which were generated. */
  dataNotes: string[];
  ann: AnnResult[];
  quality: QualityResult[];
  skipped: Skipped[];
}
