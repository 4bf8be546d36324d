/**
 * The admin API (`/admin`, guarded by ELACSYM_ADMIN_TOKEN): tenants, their API keys, limits and
 * usage, and the audit log. Every request is audited with actor 'admin': changes in the same D1
 * batch as the change itself, reads after the response. Keys are shown once, at creation; listings
 * never include a key or its hash.
 */
import { Hono } from "hono";
import { generateApiKey } from "../../catalog/api-keys.ts";
import { type AuditEntry, auditInsert, listAudit } from "../../catalog/d1-audit.ts";
import type { ApiKeyRecord, Tenant } from "../../catalog/d1-catalog.ts";
import { D1Tenants } from "../../catalog/d1-tenants.ts";
import { type LimitOverrides, defaultLimits, effectiveLimits } from "../../catalog/tenant-limits.ts";
import { EngineError, InvalidArgumentError } from "../../core/errors.ts";
import { clearIsolateCaches } from "../../service/isolate-cache.ts";
import { tenantStub } from "../../service/tenant-gate.ts";
import { type AppContext, type AppEnv, deferOf } from "../context.ts";
import { adminAuth } from "../middleware/admin-auth.ts";
import { forgetCachedAuth } from "../middleware/auth.ts";
import * as contract from "../contracts/admin.ts";
import { validated } from "../openapi/route-spec.ts";
import { parseTenantCursor } from "../validate/tenant-cursor.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function renderTenant(t: Tenant) {
  return { id: t.id, name: t.name, status: t.status, created_at: iso(t.created_at) };
}

function renderKey(k: ApiKeyRecord, now: number) {
  const status = k.revoked_at !== null ? "revoked" : k.expires_at !== null && k.expires_at <= now ? "expired" : "active";
  return {
    id: k.id,
    tenant_id: k.tenant_id,
    scopes: k.scopes,
    namespace_prefix: k.namespace_prefix,
    expires_at: iso(k.expires_at),
    revoked_at: iso(k.revoked_at),
    created_at: iso(k.created_at),
    status,
  };
}

function entry(c: AppContext, action: string, tenant: string | null, detail: Record<string, unknown> | null = null): AuditEntry {
  return { id: crypto.randomUUID(), at: Date.now(), tenant_id: tenant, actor: "admin", action, namespace: null, rows: null, request_id: c.get("requestId"), detail };
}

/** Audits a read after the response (there is no change to make atomic with it). */
function auditRead(c: AppContext, action: string, tenant: string | null, detail: Record<string, unknown> | null = null): void {
  deferOf(c)(
    auditInsert(c.env.DB, entry(c, action, tenant, detail))
      .run()
      .catch((err) => console.error(JSON.stringify({ msg: "admin audit failed", action, tenant, error: String(err) }))),
  );
}

async function requireTenant(c: AppContext): Promise<Tenant> {
  const id = c.req.param("id") ?? "";
  const tenant = await new D1Tenants(c.env.DB).get(id);
  if (!tenant) throw new EngineError("NOT_FOUND", `admin: tenant ${JSON.stringify(id.slice(0, 200))} not found`);
  return tenant;
}

function limitsView(c: AppContext, tenant: string, overrides: LimitOverrides) {
  return { tenant, limits: effectiveLimits(defaultLimits(c.env), overrides), overrides };
}

export const admin = new Hono<AppEnv>();
admin.use("*", adminAuth());

admin.post("/tenants", validated(contract.createTenant), async (c) => {
  const { name } = c.req.valid("json");
  const tenant = await new D1Tenants(c.env.DB).create(name, { ...entry(c, "tenant.create", null, { name }) });
  return c.json(renderTenant(tenant), 201);
});

admin.get("/tenants", validated(contract.listTenants), async (c) => {
  const query = c.req.valid("query");
  const page = await new D1Tenants(c.env.DB).list({ cursor: parseTenantCursor(query.cursor), limit: query.limit ?? 100 });
  auditRead(c, "tenant.list", null);
  return c.json({ tenants: page.tenants.map(renderTenant), ...(page.next ? { next_cursor: `${page.next.created_at}.${page.next.id}` } : {}) });
});

admin.get("/tenants/:id", validated(contract.getTenant), async (c) => {
  const tenant = await requireTenant(c);
  const overrides = await new D1Tenants(c.env.DB).limitOverrides(tenant.id);
  auditRead(c, "tenant.read", tenant.id);
  return c.json({ ...renderTenant(tenant), limits: limitsView(c, tenant.id, overrides).limits });
});

for (const [action, status, spec] of [["suspend", "suspended", contract.suspendTenant], ["resume", "active", contract.resumeTenant]] as const) {
  admin.post(`/tenants/:id/${action}`, validated(spec), async (c) => {
    const tenant = await requireTenant(c);
    await new D1Tenants(c.env.DB).setStatus(tenant.id, status, entry(c, `tenant.${action}`, tenant.id, { previous_status: tenant.status }));
    forgetCachedAuth({ tenant: tenant.id });
    return c.json(renderTenant({ ...tenant, status }));
  });
}

admin.post("/tenants/:id/keys", validated(contract.createKey), async (c) => {
  const tenant = await requireTenant(c);
  const now = Date.now();
  const body = c.req.valid("json");
  const expires = body.expires_at ? Date.parse(body.expires_at) : null;
  if (expires !== null && expires <= now) throw new InvalidArgumentError(`key.expires_at: ${body.expires_at} is in the past`);
  const options = { scopes: [...new Set(body.scopes)], namespace_prefix: body.namespace_prefix ?? null, expires_at: expires };
  const key = generateApiKey();
  const detail = { scopes: options.scopes, namespace_prefix: options.namespace_prefix, expires_at: iso(options.expires_at) };
  const record = await new D1Tenants(c.env.DB).createKey(tenant.id, key, options, entry(c, "key.create", tenant.id, detail));
  // The only time the key leaves the server; D1 keeps a salted hash.
  return c.json({ ...renderKey(record, now), key }, 201);
});

admin.get("/tenants/:id/keys", validated(contract.listKeys), async (c) => {
  const tenant = await requireTenant(c);
  const keys = await new D1Tenants(c.env.DB).listKeys(tenant.id);
  auditRead(c, "key.list", tenant.id);
  const now = Date.now();
  return c.json({ keys: keys.map((k) => renderKey(k, now)) });
});

admin.delete("/keys/:id", validated(contract.revokeKey), async (c) => {
  const id = c.req.param("id");
  const tenants = new D1Tenants(c.env.DB);
  const key = await tenants.getKey(id);
  if (!key) throw new EngineError("NOT_FOUND", `admin: API key ${JSON.stringify(id.slice(0, 200))} not found`);
  const now = Date.now();
  await tenants.revokeKey(id, now, entry(c, "key.revoke", key.tenant_id, { key_id: id, already_revoked: key.revoked_at !== null }));
  forgetCachedAuth({ keyId: id });
  return c.json(renderKey({ ...key, revoked_at: key.revoked_at ?? now }, now));
});

admin.get("/tenants/:id/usage", validated(contract.usage), async (c) => {
  const tenant = await requireTenant(c);
  const tenants = new D1Tenants(c.env.DB);
  const [namespaces, overrides] = await Promise.all([tenants.countNamespaces(tenant.id), tenants.limitOverrides(tenant.id)]);
  let live;
  try {
    live = await tenantStub(c.env, tenant.id).usage();
  } catch (err) {
    // The tenant object is the source of truth; D1 holds its last snapshot.
    console.error(JSON.stringify({ msg: "tenant usage unavailable; using the D1 snapshot", tenant: tenant.id, error: String(err) }));
    live = await c.env.DB.prepare("SELECT documents, stored_bytes, write_requests, query_requests, rows_written FROM tenant_usage WHERE tenant_id = ?").bind(tenant.id).first<Record<string, number>>();
  }
  auditRead(c, "usage.read", tenant.id);
  return c.json({
    tenant: tenant.id,
    namespaces,
    documents: live?.documents ?? 0,
    stored_bytes: live?.stored_bytes ?? 0,
    write_requests: live?.write_requests ?? 0,
    query_requests: live?.query_requests ?? 0,
    rows_written: live?.rows_written ?? 0,
    limits: limitsView(c, tenant.id, overrides).limits,
    as_of: iso(Date.now()),
  });
});

admin.patch("/tenants/:id/limits", validated(contract.patchLimits), async (c) => {
  const tenant = await requireTenant(c);
  const patch = c.req.valid("json") as Partial<LimitOverrides>;
  const overrides = await new D1Tenants(c.env.DB).patchLimits(tenant.id, patch, entry(c, "limits.update", tenant.id, { ...patch }));
  forgetCachedAuth({ tenant: tenant.id });
  return c.json(limitsView(c, tenant.id, overrides));
});

admin.get("/audit", validated(contract.audit), async (c) => {
  const { tenant, cursor, limit = 100 } = c.req.valid("query");
  if (tenant !== undefined && cursor === undefined && (await new D1Tenants(c.env.DB).get(tenant))) {
    // Read-your-writes for one tenant: copy its pending entries to D1 first (best effort).
    try {
      await tenantStub(c.env, tenant).flushNow();
    } catch (err) {
      console.error(JSON.stringify({ msg: "tenant audit flush failed", tenant, error: String(err) }));
    }
  }
  const page = await listAudit(c.env.DB, { tenant, cursor, limit });
  auditRead(c, "audit.read", tenant ?? null, tenant !== undefined ? { tenant } : null);
  return c.json(page);
});

/** Empties this isolate's caches (object blocks, parsed footers, index readers): cold-read measurements. */
admin.post("/cache/clear", validated(contract.clearCache), (c) => {
  clearIsolateCaches();
  auditRead(c, "cache.clear", null);
  return c.json({ cleared: true });
});
