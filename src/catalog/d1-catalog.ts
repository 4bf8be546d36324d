/**
 * The control plane in D1: tenants, API keys and the namespace catalog (for listing and for readers
 * that skip the Durable Object). Prepared statements and row ↔ domain mapping only; the admin API's
 * tenant and key management is in d1-tenants.ts, the audit log in d1-audit.ts.
 */
import { keyLookup, randomToken } from "./api-keys.ts";
import { apiKeyInsert, overridesOf, tenantInsert } from "./d1-tenants.ts";
import { LIMIT_NAMES, type LimitOverrides } from "./tenant-limits.ts";

export type Scope = "read" | "write" | "admin";

export interface Tenant {
  id: string;
  name: string;
  status: "active" | "suspended";
  created_at: number;
}

export interface ApiKeyRecord {
  id: string;
  tenant_id: string;
  scopes: Scope[];
  namespace_prefix: string | null;
  expires_at: number | null;
  revoked_at: number | null;
  created_at: number;
}

export interface CatalogNamespace {
  name: string;
  incarnation: string;
  created_at: number;
}

export class D1Catalog {
  private readonly db: D1Database;
  constructor(db: D1Database) {
    this.db = db;
  }

  async createTenant(name: string, id = `t_${randomToken(8)}`): Promise<Tenant> {
    const tenant: Tenant = { id, name, status: "active", created_at: Date.now() };
    await tenantInsert(this.db, tenant).run();
    return tenant;
  }

  async getTenant(id: string): Promise<Tenant | null> {
    return this.db.prepare("SELECT id, name, status, created_at FROM tenants WHERE id = ?").bind(id).first<Tenant>();
  }

  /** Stores a key's salted hash; the key itself is returned to the caller once and never stored. */
  async addApiKey(tenantId: string, key: string, options: { scopes: Scope[]; namespace_prefix?: string | null; expires_at?: number | null }): Promise<ApiKeyRecord> {
    const { statement, record } = await apiKeyInsert(this.db, tenantId, key, options);
    await statement.run();
    return record;
  }

  /** The key rows whose lookup digest matches, with what is needed to verify the key and the tenant's limits. */
  async keyCandidates(key: string): Promise<(ApiKeyRecord & { salt: string; hash: string; tenant_status: string; limits: LimitOverrides })[]> {
    const res = await this.db
      .prepare(
        `SELECT k.id, k.tenant_id, k.salt, k.hash, k.scopes, k.namespace_prefix, k.expires_at, k.revoked_at, k.created_at, t.status AS tenant_status,
                ${LIMIT_NAMES.map((n) => `l.${n}`).join(", ")}
         FROM api_keys k JOIN tenants t ON t.id = k.tenant_id LEFT JOIN tenant_limits l ON l.tenant_id = k.tenant_id WHERE k.lookup = ?`,
      )
      .bind(await keyLookup(key))
      .all<Record<string, unknown>>();
    return res.results.map((r) => ({
      id: r.id as string,
      tenant_id: r.tenant_id as string,
      salt: r.salt as string,
      hash: r.hash as string,
      scopes: String(r.scopes).split(",").filter(Boolean) as Scope[],
      namespace_prefix: (r.namespace_prefix as string | null) ?? null,
      expires_at: (r.expires_at as number | null) ?? null,
      revoked_at: (r.revoked_at as number | null) ?? null,
      created_at: r.created_at as number,
      tenant_status: r.tenant_status as string,
      limits: overridesOf(r),
    }));
  }

  async upsertNamespace(tenantId: string, ns: CatalogNamespace): Promise<void> {
    await this.db
      .prepare(
        "INSERT INTO namespaces (tenant_id, name, incarnation, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(tenant_id, name) DO UPDATE SET incarnation = excluded.incarnation, created_at = excluded.created_at",
      )
      .bind(tenantId, ns.name, ns.incarnation, ns.created_at)
      .run();
  }

  async getNamespace(tenantId: string, name: string): Promise<CatalogNamespace | null> {
    return this.db
      .prepare("SELECT name, incarnation, created_at FROM namespaces WHERE tenant_id = ? AND name = ?")
      .bind(tenantId, name)
      .first<CatalogNamespace>();
  }

  async deleteNamespace(tenantId: string, name: string): Promise<void> {
    await this.db.prepare("DELETE FROM namespaces WHERE tenant_id = ? AND name = ?").bind(tenantId, name).run();
  }

  /** Names in order after `cursor`, starting with `prefix`; `limit + 1` rows tell whether more exist. */
  async listNamespaces(tenantId: string, options: { prefix?: string; cursor?: string; limit: number }): Promise<{ namespaces: CatalogNamespace[]; next_cursor?: string }> {
    const prefix = options.prefix ?? "";
    // Range scan instead of LIKE: namespace names may contain LIKE wildcards (_).
    const upper = prefix + "\uffff";
    const after = options.cursor && options.cursor >= prefix ? options.cursor : "";
    const rows = await this.db
      .prepare(
        "SELECT name, incarnation, created_at FROM namespaces WHERE tenant_id = ? AND name >= ? AND name < ? AND name > ? ORDER BY name LIMIT ?",
      )
      .bind(tenantId, prefix, upper, after, options.limit + 1)
      .all<CatalogNamespace>();
    const list = rows.results;
    const more = list.length > options.limit;
    const page = more ? list.slice(0, options.limit) : list;
    return { namespaces: page, next_cursor: more ? page[page.length - 1].name : undefined };
  }
}
