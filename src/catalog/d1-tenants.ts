/**
 * Tenants, API keys and limit overrides in D1, as the admin API needs them. Every mutation is one
 * D1 batch together with its audit entry, so an admin action is never applied without its record.
 * API keys are stored only as a lookup digest plus a salted hash (src/catalog/api-keys.ts).
 */
import { keyHash, keyLookup, randomToken } from "./api-keys.ts";
import { type AuditEntry, auditInsert } from "./d1-audit.ts";
import type { ApiKeyRecord, Scope, Tenant } from "./d1-catalog.ts";
import { LIMIT_NAMES, type LimitOverrides, noOverrides } from "./tenant-limits.ts";

export interface NewKeyOptions {
  scopes: Scope[];
  namespace_prefix?: string | null;
  expires_at?: number | null;
}

export function tenantInsert(db: D1Database, tenant: Tenant): D1PreparedStatement {
  return db
    .prepare("INSERT INTO tenants (id, name, status, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO NOTHING")
    .bind(tenant.id, tenant.name, tenant.status, tenant.created_at);
}

/** The statement storing a key's lookup digest and salted hash, and the record it creates. */
export async function apiKeyInsert(db: D1Database, tenantId: string, key: string, options: NewKeyOptions): Promise<{ statement: D1PreparedStatement; record: ApiKeyRecord }> {
  const salt = randomToken(16);
  const record: ApiKeyRecord = {
    id: `k_${randomToken(8)}`,
    tenant_id: tenantId,
    scopes: options.scopes,
    namespace_prefix: options.namespace_prefix ?? null,
    expires_at: options.expires_at ?? null,
    revoked_at: null,
    created_at: Date.now(),
  };
  const statement = db
    .prepare(
      "INSERT INTO api_keys (id, tenant_id, lookup, salt, hash, scopes, namespace_prefix, expires_at, revoked_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)",
    )
    .bind(record.id, tenantId, await keyLookup(key), salt, await keyHash(salt, key), record.scopes.join(","), record.namespace_prefix, record.expires_at, record.created_at);
  return { statement, record };
}

function keyRecord(r: Record<string, unknown>): ApiKeyRecord {
  return {
    id: r.id as string,
    tenant_id: r.tenant_id as string,
    scopes: String(r.scopes).split(",").filter(Boolean) as Scope[],
    namespace_prefix: (r.namespace_prefix as string | null) ?? null,
    expires_at: (r.expires_at as number | null) ?? null,
    revoked_at: (r.revoked_at as number | null) ?? null,
    created_at: r.created_at as number,
  };
}

/** Limit overrides from a row whose columns are named after the limits (NULL = default). */
export function overridesOf(row: Record<string, unknown> | null): LimitOverrides {
  const out = noOverrides();
  if (row) for (const name of LIMIT_NAMES) out[name] = typeof row[name] === "number" ? (row[name] as number) : null;
  return out;
}

const KEY_COLUMNS = "id, tenant_id, scopes, namespace_prefix, expires_at, revoked_at, created_at";

export class D1Tenants {
  private readonly db: D1Database;
  constructor(db: D1Database) {
    this.db = db;
  }

  async create(name: string, audit: Omit<AuditEntry, "tenant_id">): Promise<Tenant> {
    const tenant: Tenant = { id: `t_${randomToken(8)}`, name, status: "active", created_at: audit.at };
    await this.db.batch([tenantInsert(this.db, tenant), auditInsert(this.db, { ...audit, tenant_id: tenant.id })]);
    return tenant;
  }

  async get(id: string): Promise<Tenant | null> {
    return this.db.prepare("SELECT id, name, status, created_at FROM tenants WHERE id = ?").bind(id).first<Tenant>();
  }

  /** Tenants in creation order after `cursor` (the previous page's `next_cursor`). */
  async list(options: { cursor?: { created_at: number; id: string }; limit: number }): Promise<{ tenants: Tenant[]; next?: Tenant }> {
    const c = options.cursor ?? { created_at: -1, id: "" };
    const rows = await this.db
      .prepare("SELECT id, name, status, created_at FROM tenants WHERE (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?")
      .bind(c.created_at, c.id, options.limit + 1)
      .all<Tenant>();
    const more = rows.results.length > options.limit;
    const tenants = more ? rows.results.slice(0, options.limit) : rows.results;
    return { tenants, next: more ? tenants[tenants.length - 1] : undefined };
  }

  async setStatus(id: string, status: Tenant["status"], audit: AuditEntry): Promise<void> {
    await this.db.batch([this.db.prepare("UPDATE tenants SET status = ? WHERE id = ?").bind(status, id), auditInsert(this.db, audit)]);
  }

  async createKey(tenantId: string, key: string, options: NewKeyOptions, audit: AuditEntry): Promise<ApiKeyRecord> {
    const { statement, record } = await apiKeyInsert(this.db, tenantId, key, options);
    await this.db.batch([statement, auditInsert(this.db, { ...audit, detail: { ...audit.detail, key_id: record.id } })]);
    return record;
  }

  async listKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id`).bind(tenantId).all<Record<string, unknown>>();
    return rows.results.map(keyRecord);
  }

  async getKey(id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`).bind(id).first<Record<string, unknown>>();
    return row ? keyRecord(row) : null;
  }

  /** Marks a key revoked (keeping the first revocation time if it already was). */
  async revokeKey(id: string, at: number, audit: AuditEntry): Promise<void> {
    await this.db.batch([
      this.db.prepare("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?").bind(at, id),
      auditInsert(this.db, audit),
    ]);
  }

  async limitOverrides(tenantId: string): Promise<LimitOverrides> {
    const row = await this.db.prepare(`SELECT ${LIMIT_NAMES.join(", ")} FROM tenant_limits WHERE tenant_id = ?`).bind(tenantId).first<Record<string, unknown>>();
    return overridesOf(row);
  }

  /** Applies a patch of overrides (null resets one to the default); only the named limits change. */
  async patchLimits(tenantId: string, patch: Partial<LimitOverrides>, audit: AuditEntry): Promise<LimitOverrides> {
    const named = LIMIT_NAMES.filter((n) => n in patch);
    const updates = [...named.map((n) => `${n} = excluded.${n}`), "updated_at = excluded.updated_at"].join(", ");
    await this.db.batch([
      this.db
        .prepare(`INSERT INTO tenant_limits (tenant_id, ${LIMIT_NAMES.join(", ")}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(tenant_id) DO UPDATE SET ${updates}`)
        .bind(tenantId, ...LIMIT_NAMES.map((n) => patch[n] ?? null), audit.at),
      auditInsert(this.db, audit),
    ]);
    return this.limitOverrides(tenantId);
  }

  async countNamespaces(tenantId: string): Promise<number> {
    const row = await this.db.prepare("SELECT count(*) AS n FROM namespaces WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>();
    return row?.n ?? 0;
  }
}
