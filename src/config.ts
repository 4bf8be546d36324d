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
  /** Largest request body accepted. */
  maxBodyBytes: number;
}

export const DEFAULT_CONFIG: EngineConfig = {
  walMaxBytes: 32 << 20,
  flushSliceBytes: 8 << 20,
  flushSliceRows: 50_000,
  flushDelayMs: 1000,
  eventualStalenessMs: 10_000,
  isolateCacheBytes: 48 << 20,
  maxBodyBytes: 32 << 20,
};

const VARS: Record<keyof EngineConfig, string> = {
  walMaxBytes: "ELACSYM_WAL_MAX_BYTES",
  flushSliceBytes: "ELACSYM_FLUSH_SLICE_BYTES",
  flushSliceRows: "ELACSYM_FLUSH_SLICE_ROWS",
  flushDelayMs: "ELACSYM_FLUSH_DELAY_MS",
  eventualStalenessMs: "ELACSYM_EVENTUAL_STALENESS_MS",
  isolateCacheBytes: "ELACSYM_ISOLATE_CACHE_BYTES",
  maxBodyBytes: "ELACSYM_MAX_BODY_BYTES",
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
