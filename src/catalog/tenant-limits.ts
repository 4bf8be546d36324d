/**
 * Per-tenant limits: their names, the deployment defaults (overridable with `[vars]`) and how a
 * tenant's overrides combine with them. Enforcement lives in src/service/tenant-gate.ts, storage in
 * D1's `tenant_limits` table, the `PATCH /admin/tenants/:id/limits` body schema in src/api/schemas/admin.ts.
 */

export interface TenantLimits {
  /** Namespaces the tenant may hold (checked when a namespace is created). */
  max_namespaces: number;
  /** Live documents across the tenant's namespaces (checked before every upsert). */
  max_documents: number;
  /** Bytes stored across the tenant's namespaces: segments, deletion files and unflushed WAL. */
  max_stored_bytes: number;
  /** Write requests per second (token bucket, burst = one second's worth). */
  write_requests_per_second: number;
  /** Read requests (query, fetch, describe, list) per second. */
  query_requests_per_second: number;
}

export type LimitName = keyof TenantLimits;

/** A tenant's overrides; null (or absent) means the deployment default. */
export type LimitOverrides = { [K in LimitName]: number | null };

export const LIMIT_NAMES: readonly LimitName[] = [
  "max_namespaces",
  "max_documents",
  "max_stored_bytes",
  "write_requests_per_second",
  "query_requests_per_second",
];

export const DEFAULT_LIMITS: TenantLimits = {
  max_namespaces: 10_000,
  max_documents: 1_000_000_000,
  max_stored_bytes: 2 ** 40, // 1 TiB
  write_requests_per_second: 500,
  query_requests_per_second: 2_000,
};

/** Rates of 0 would block a tenant forever: suspend it instead. Quotas may be 0. */
export const MINIMUM_LIMITS: TenantLimits = {
  max_namespaces: 0,
  max_documents: 0,
  max_stored_bytes: 0,
  write_requests_per_second: 1,
  query_requests_per_second: 1,
};

/** `[vars]` that change a default for every tenant of the deployment, e.g. ELACSYM_LIMIT_MAX_NAMESPACES. */
export function limitVar(name: LimitName): string {
  return `ELACSYM_LIMIT_${name.toUpperCase()}`;
}

export function defaultLimits(env: object): TenantLimits {
  const vars = env as Record<string, unknown>;
  const out = { ...DEFAULT_LIMITS };
  for (const name of LIMIT_NAMES) {
    const raw = vars[limitVar(name)];
    if (raw === undefined || raw === "") continue;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < MINIMUM_LIMITS[name]) throw new Error(`config: ${limitVar(name)} must be an integer ≥ ${MINIMUM_LIMITS[name]}, got ${String(raw)}`);
    out[name] = n;
  }
  return out;
}

export function noOverrides(): LimitOverrides {
  return { max_namespaces: null, max_documents: null, max_stored_bytes: null, write_requests_per_second: null, query_requests_per_second: null };
}

export function effectiveLimits(defaults: TenantLimits, overrides: Partial<LimitOverrides> | null): TenantLimits {
  const out = { ...defaults };
  if (overrides) for (const name of LIMIT_NAMES) if (typeof overrides[name] === "number") out[name] = overrides[name];
  return out;
}
