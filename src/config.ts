/**
 * Engine limits and their defaults, overridable per deployment with `[vars]` in wrangler.toml
 * (see README "Configuration"). Values are read once per isolate.
 */

export interface EngineConfig {
  /** Unflushed WAL payload bytes above which writes get 429 + retry-after-ms. */
  walMaxBytes: number;
  /** WAL payload bytes one flush takes (bounds flush memory). */
  flushSliceBytes: number;
  flushSliceRows: number;
  /** Delay between the first unflushed write and its flush. */
  flushDelayMs: number;
  /** How long an eventually consistent reader may use a manifest before re-checking for a newer one. */
  eventualStalenessMs: number;
  /** In-isolate cache capacity of a Worker. */
  isolateCacheBytes: number;
  /** 1 to use the Cache API (per data centre) between the isolate cache and R2, 0 to skip it. */
  edgeCache: number;
  /** Largest request body accepted. */
  maxBodyBytes: number;
  /** How long objects outlive the last manifest that referenced them (in-flight readers). */
  gcGraceMs: number;
  /** How often the alarm lists a namespace's objects to delete orphans (objects nothing names). */
  orphanSweepMs: number;
  /** Compaction: fewest consecutive segments merged at once. */
  compactionMinMerge: number;
  /** Compaction: a merge stops growing a segment past this many live rows. */
  compactionMaxSegmentRows: number;
  /** Compaction: a segment with at least this fraction of dead rows is rewritten. */
  compactionDeadRatio: number;
  /** Live vectors a namespace needs before it gets an approximate (IVF) index. */
  vectorIndexMinRows: number;
  /** 1 to log one JSON line per background (alarm) step with its duration and stages, 0 not to. */
  logBackground: number;
  /**
   * Longest a background storage operation waits for the isolate's requests in flight to finish
   * (while the WAL backlog is below half its cap); 0 lets background work go on regardless.
   */
  requestsFirstMs: number;
  /**
   * Longest background work runs between two looks at the sockets (one timer turn, during which
   * new requests come in) while no request is in flight; 0 looks before every storage operation.
   */
  backgroundSliceMs: number;
  /** Vectors an index build encodes (or merges) per alarm: bounds the alarm's CPU time. */
  vectorBuildAlarmVectors: number;
  /** Encoded bytes of one scratch fragment of an index build (bounds a build step's memory). */
  vectorBuildBatchBytes: number;
}

export const DEFAULT_CONFIG: EngineConfig = {
  walMaxBytes: 32 << 20,
  flushSliceBytes: 8 << 20,
  flushSliceRows: 50_000,
  flushDelayMs: 1000,
  eventualStalenessMs: 10_000,
  isolateCacheBytes: 48 << 20,
  edgeCache: 1,
  maxBodyBytes: 32 << 20,
  gcGraceMs: 10 * 60_000,
  orphanSweepMs: 6 * 60 * 60_000,
  compactionMinMerge: 4,
  compactionMaxSegmentRows: 250_000,
  compactionDeadRatio: 0.5,
  vectorIndexMinRows: 5000,
  logBackground: 1,
  requestsFirstMs: 50,
  backgroundSliceMs: 100,
  vectorBuildAlarmVectors: 16_384,
  vectorBuildBatchBytes: 8 << 20,
};

const VARS: Record<keyof EngineConfig, string> = {
  walMaxBytes: "ELACSYM_WAL_MAX_BYTES",
  flushSliceBytes: "ELACSYM_FLUSH_SLICE_BYTES",
  flushSliceRows: "ELACSYM_FLUSH_SLICE_ROWS",
  flushDelayMs: "ELACSYM_FLUSH_DELAY_MS",
  eventualStalenessMs: "ELACSYM_EVENTUAL_STALENESS_MS",
  isolateCacheBytes: "ELACSYM_ISOLATE_CACHE_BYTES",
  edgeCache: "ELACSYM_EDGE_CACHE",
  maxBodyBytes: "ELACSYM_MAX_BODY_BYTES",
  gcGraceMs: "ELACSYM_GC_GRACE_MS",
  orphanSweepMs: "ELACSYM_ORPHAN_SWEEP_MS",
  compactionMinMerge: "ELACSYM_COMPACTION_MIN_MERGE",
  compactionMaxSegmentRows: "ELACSYM_COMPACTION_MAX_SEGMENT_ROWS",
  compactionDeadRatio: "ELACSYM_COMPACTION_DEAD_RATIO",
  vectorIndexMinRows: "ELACSYM_VECTOR_INDEX_MIN_ROWS",
  logBackground: "ELACSYM_LOG_BACKGROUND",
  requestsFirstMs: "ELACSYM_REQUESTS_FIRST_MS",
  backgroundSliceMs: "ELACSYM_BACKGROUND_SLICE_MS",
  vectorBuildAlarmVectors: "ELACSYM_VECTOR_BUILD_ALARM_VECTORS",
  vectorBuildBatchBytes: "ELACSYM_VECTOR_BUILD_BATCH_BYTES",
};

export function readConfig(env: object): EngineConfig {
  const vars = env as Record<string, unknown>;
  const config = { ...DEFAULT_CONFIG };
  for (const [field, name] of Object.entries(VARS) as [keyof EngineConfig, string][]) {
    const raw = vars[name];
    if (raw === undefined || raw === "") continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`config: ${name} must be a non-negative number, got ${String(raw)}`);
    config[field] = n;
  }
  return config;
}
