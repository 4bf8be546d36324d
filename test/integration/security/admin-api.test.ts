/**
 * The admin API: every endpoint, its validation (400, nothing written), the admin token guard
 * (401 without or with a wrong token, 503 when the deployment has none), and its audit entries.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../src/index.ts";
import { ADMIN_TOKEN, admin, adminTenant, eventually } from "../../helpers/admin.ts";
import { api } from "../../helpers/api.ts";

async function count(table: string): Promise<number> {
  return (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())!.n;
}

/** Calls the Worker with another environment (e.g. without an admin token). */
async function withEnv(overrides: Record<string, unknown>, method: string, path: string, token: string | null) {
  const ctx = createExecutionContext();
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await worker.fetch(new Request(`http://x${path}`, { method, headers }), { ...env, ...overrides } as typeof env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as any };
}

const ENDPOINTS: [string, string, unknown?][] = [
  ["POST", "/tenants", { name: "x" }],
  ["GET", "/tenants"],
  ["GET", "/tenants/t_x"],
  ["POST", "/tenants/t_x/suspend"],
  ["POST", "/tenants/t_x/resume"],
  ["POST", "/tenants/t_x/keys", { scopes: ["read"] }],
  ["GET", "/tenants/t_x/keys"],
  ["DELETE", "/keys/k_x"],
  ["GET", "/tenants/t_x/usage"],
  ["PATCH", "/tenants/t_x/limits", { max_namespaces: 1 }],
  ["GET", "/audit"],
  ["GET", "/no-such-route"],
];

describe("admin token", () => {
  it("answers 401 to every endpoint without the admin token, and changes nothing", async () => {
    const t = await adminTenant();
    const tenants = await count("tenants");
    for (const [method, path, body] of ENDPOINTS) {
      for (const token of [null, "wrong-token", `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1), t.key]) {
        const r = await admin(method, path, body, token);
        expect(r.status, `${method} ${path} with ${token}`).toBe(401);
        expect(r.body.error.code).toBe("UNAUTHENTICATED");
      }
    }
    const basic = await api("GET", "/admin/tenants", null);
    expect(basic.status).toBe(401);
    expect(await count("tenants")).toBe(tenants);
  });

  it("answers 503 when the deployment has no admin token", async () => {
    for (const token of [undefined, "", " , "]) {
      const r = await withEnv({ ELACSYM_ADMIN_TOKEN: token }, "GET", "/admin/tenants", "anything");
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe("UNAVAILABLE");
      expect(r.body.error.message).toMatch(/no ELACSYM_ADMIN_TOKEN/);
    }
  });

  it("accepts each of several comma-separated tokens (rotation)", async () => {
    const overrides = { ELACSYM_ADMIN_TOKEN: "old-token-123, new-token-456" };
    expect((await withEnv(overrides, "GET", "/admin/tenants", "old-token-123")).status).toBe(200);
    expect((await withEnv(overrides, "GET", "/admin/tenants", "new-token-456")).status).toBe(200);
    expect((await withEnv(overrides, "GET", "/admin/tenants", "old-token-123, new-token-456")).status).toBe(401);
    expect((await withEnv(overrides, "GET", "/admin/tenants", ADMIN_TOKEN)).status).toBe(401);
  });
});

describe("tenants", () => {
  it("creates, reads, lists with a cursor, suspends and resumes", async () => {
    const created = await admin("POST", "/tenants", { name: "  Acme Corp  " });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Acme Corp", status: "active" });
    expect(created.body.id).toMatch(/^t_[0-9a-f]{16}$/);
    const id = created.body.id;

    const one = await admin("GET", `/tenants/${id}`);
    expect(one.body).toMatchObject({ id, name: "Acme Corp", status: "active", limits: { max_namespaces: 10_000 } });
    expect((await admin("GET", "/tenants/t_nope")).status).toBe(404);

    for (let i = 0; i < 3; i++) await admin("POST", "/tenants", { name: `page-${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin("GET", `/tenants?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.body.tenants.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.tenants.map((t: any) => t.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(await count("tenants"));
    expect(seen).toContain(id);

    expect((await admin("POST", `/tenants/${id}/suspend`)).body).toMatchObject({ id, status: "suspended" });
    expect((await admin("POST", `/tenants/${id}/suspend`)).body.status).toBe("suspended");
    expect((await admin("GET", `/tenants/${id}`)).body.status).toBe("suspended");
    expect((await admin("POST", `/tenants/${id}/resume`)).body).toMatchObject({ id, status: "active" });
    expect((await admin("POST", `/tenants/t_nope/suspend`)).status).toBe(404);
    expect((await admin("POST", `/tenants/t_nope/resume`)).status).toBe(404);
  });

  it("rejects bad bodies with 400 and creates nothing", async () => {
    const before = await count("tenants");
    const creations = async () => (await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'tenant.create'").first<{ n: number }>())!.n;
    const auditBefore = await creations();
    for (const body of ["{not json", "[]", "null", "5", {}, { name: "" }, { name: "   " }, { name: 5 }, { name: null }, { name: "x", extra: 1 }, { name: "x".repeat(201) }, { name: "a\nb" }]) {
      const r = await admin("POST", "/tenants", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("INVALID_ARGUMENT");
    }
    const empty = await api("POST", "/admin/tenants", ADMIN_TOKEN);
    expect(empty.status).toBe(400);
    for (const q of ["?limit=0", "?limit=1001", "?limit=x", "?cursor=nope", "?cursor=1.a%2Fb"]) expect((await admin("GET", `/tenants${q}`)).status, q).toBe(400);
    expect(await count("tenants")).toBe(before);
    // Rejected requests are not audited: only what was done is.
    expect(await creations()).toBe(auditBefore);
  });
});

describe("keys", () => {
  it("shows a key once, lists keys without secrets, revokes", async () => {
    const t = (await admin("POST", "/tenants", { name: "keys" })).body;
    const expires = "2099-01-01T00:00:00Z";
    const created = await admin("POST", `/tenants/${t.id}/keys`, { scopes: ["read", "write", "read"], namespace_prefix: "team-", expires_at: expires });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^elk_[0-9a-f]{40}$/);
    expect(created.body).toMatchObject({ tenant_id: t.id, scopes: ["read", "write"], namespace_prefix: "team-", expires_at: "2099-01-01T00:00:00.000Z", revoked_at: null, status: "active" });

    const listed = await admin("GET", `/tenants/${t.id}/keys`);
    expect(listed.body.keys).toHaveLength(1);
    expect(listed.body.keys[0]).toEqual({ ...created.body, key: undefined });
    expect(Object.keys(listed.body.keys[0]).sort()).toEqual(["created_at", "expires_at", "id", "namespace_prefix", "revoked_at", "scopes", "status", "tenant_id"]);

    const works = await api("PUT", "/v1/namespaces/team-x", created.body.key, { schema: { vector: { dimensions: 2 } } });
    expect(works.status).toBe(201);
    const revoked = await admin("DELETE", `/keys/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe("revoked");
    expect((await admin("GET", `/tenants/${t.id}/keys`)).body.keys[0].status).toBe("revoked");
    expect((await api("GET", "/v1/namespaces", created.body.key)).status).toBe(401);

    expect((await admin("POST", `/tenants/t_nope/keys`, { scopes: ["read"] })).status).toBe(404);
    expect((await admin("GET", `/tenants/t_nope/keys`)).status).toBe(404);
  });

  it("rejects bad key requests with 400 and stores no key", async () => {
    const t = (await admin("POST", "/tenants", { name: "bad-keys" })).body;
    const before = await count("api_keys");
    for (const body of [
      "{",
      [],
      {},
      { scopes: [] },
      { scopes: "read" },
      { scopes: ["read", "root"] },
      { scopes: [1] },
      { scopes: ["read"], namespace_prefix: "" },
      { scopes: ["read"], namespace_prefix: "a/b" },
      { scopes: ["read"], namespace_prefix: "ñ" },
      { scopes: ["read"], namespace_prefix: "x".repeat(129) },
      { scopes: ["read"], namespace_prefix: 5 },
      { scopes: ["read"], expires_at: "tomorrow" },
      { scopes: ["read"], expires_at: "2099-01-01" },
      { scopes: ["read"], expires_at: "2099-01-01T00:00:00" },
      { scopes: ["read"], expires_at: 4102444800000 },
      { scopes: ["read"], expires_at: "2000-01-01T00:00:00Z" },
      { scopes: ["read"], tenant: "t_other" },
    ]) {
      const r = await admin("POST", `/tenants/${t.id}/keys`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("INVALID_ARGUMENT");
    }
    expect(await count("api_keys")).toBe(before);
  });
});

describe("limits and usage", () => {
  it("patches limits, resets them with null, and reports effective values", async () => {
    const t = await adminTenant();
    const r = await admin("PATCH", `/tenants/${t.id}/limits`, { max_namespaces: 5, query_requests_per_second: 100 });
    expect(r.status).toBe(200);
    expect(r.body.limits).toMatchObject({ max_namespaces: 5, query_requests_per_second: 100, write_requests_per_second: 500 });
    expect(r.body.overrides).toEqual({ max_namespaces: 5, max_documents: null, max_stored_bytes: null, write_requests_per_second: null, query_requests_per_second: 100 });
    const r2 = await admin("PATCH", `/tenants/${t.id}/limits`, { max_namespaces: null, max_documents: 0 });
    expect(r2.body.overrides).toMatchObject({ max_namespaces: null, max_documents: 0, query_requests_per_second: 100 });
    expect(r2.body.limits.max_namespaces).toBe(10_000);
    expect((await admin("GET", `/tenants/${t.id}`)).body.limits).toMatchObject({ max_documents: 0, query_requests_per_second: 100 });
    expect((await admin("GET", `/tenants/${t.id}/usage`)).body.limits.max_documents).toBe(0);
  });

  it("rejects bad limit patches with 400 and changes nothing", async () => {
    const t = await adminTenant();
    await admin("PATCH", `/tenants/${t.id}/limits`, { max_namespaces: 7 });
    for (const body of ["{", [], {}, { nope: 1 }, { max_namespaces: -1 }, { max_namespaces: 1.5 }, { max_namespaces: "10" }, { max_namespaces: 2 ** 60 }, { write_requests_per_second: 0 }, { query_requests_per_second: 0 }, { max_namespaces: 3, nope: 1 }]) {
      const r = await admin("PATCH", `/tenants/${t.id}/limits`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await admin("GET", `/tenants/${t.id}`)).body.limits.max_namespaces).toBe(7);
    expect((await admin("PATCH", `/tenants/t_nope/limits`, { max_namespaces: 1 })).status).toBe(404);
  });

  it("reports usage: namespaces, documents, bytes, requests and rows", async () => {
    const t = await adminTenant();
    await api("PUT", "/v1/namespaces/u1", t.key, { schema: { vector: { dimensions: 2 } } });
    await api("PUT", "/v1/namespaces/u2", t.key, { schema: { vector: { dimensions: 2 } } });
    await api("POST", "/v1/namespaces/u1/upsert", t.key, { documents: [1, 2, 3].map((id) => ({ id, vector: [id, 0] })) });
    await api("POST", "/v1/namespaces/u2/upsert", t.key, { documents: [{ id: 1, vector: [1, 0] }] });
    await api("POST", "/v1/namespaces/u1/delete", t.key, { ids: [3] });
    await api("POST", "/v1/namespaces/u1/query", t.key, { vector: [0, 0] });
    const usage = await eventually(async () => {
      const r = await admin("GET", `/tenants/${t.id}/usage`);
      expect(r.body).toMatchObject({ tenant: t.id, namespaces: 2, documents: 3, rows_written: 5 });
      return r.body;
    });
    expect(usage.stored_bytes).toBeGreaterThan(0);
    expect(usage.write_requests).toBeGreaterThanOrEqual(5);
    expect(usage.query_requests).toBeGreaterThanOrEqual(1);
    expect((await admin("GET", `/tenants/t_nope/usage`)).status).toBe(404);

    // Dropping a namespace removes its documents from the tenant's usage.
    await api("DELETE", "/v1/namespaces/u1", t.key);
    await eventually(async () => expect((await admin("GET", `/tenants/${t.id}/usage`)).body).toMatchObject({ namespaces: 1, documents: 1 }));
  });
});

describe("audit log", () => {
  it("records each of many concurrent writes once (reports of one isolate go out together, after the responses)", async () => {
    const t = await adminTenant();
    await api("PUT", "/v1/namespaces/burst", t.key, { schema: { vector: { dimensions: 2 } } });
    const writes = await Promise.all(Array.from({ length: 30 }, (_, i) => api("POST", "/v1/namespaces/burst/upsert", t.key, { documents: [{ id: i, vector: [1, i] }] })));
    for (const w of writes) expect(w.status).toBe(200);
    const upserts = await eventually(async () => {
      const r = await admin("GET", `/audit?tenant=${t.id}&limit=100`);
      const found = (r.body.entries as any[]).filter((e) => e.action === "documents.upsert");
      expect(found).toHaveLength(30);
      return found;
    });
    expect(new Set(upserts.map((e) => e.request_id))).toEqual(new Set(writes.map((w) => w.headers.get("x-request-id"))));
    await eventually(async () => expect((await admin("GET", `/tenants/${t.id}/usage`)).body).toMatchObject({ documents: 30, rows_written: 30 }));
  });

  it("records writes and admin actions, filters by tenant and pages with a cursor", async () => {
    const t = await adminTenant();
    const other = await adminTenant();
    await admin("PATCH", `/tenants/${t.id}/limits`, { max_namespaces: 50 });
    const created = await api("PUT", "/v1/namespaces/audited", t.key, { schema: { vector: { dimensions: 2 } } });
    const upsert = await api("POST", "/v1/namespaces/audited/upsert", t.key, { documents: [{ id: 1, vector: [1, 0] }, { id: 2, vector: [1, 1] }] });
    await api("POST", "/v1/namespaces/audited/delete", t.key, { ids: [2, 99] });
    await api("POST", "/v1/namespaces/audited/patch", t.key, { documents: [{ id: 1, attributes: { note: "x" } }], condition: { field: "id", op: "eq", value: 1 } });
    await api("POST", "/v1/namespaces/audited/delete", t.key, { filter: { field: "id", op: "eq", value: 1 } });
    await api("PUT", "/v1/namespaces/elsewhere", other.key, { schema: { vector: { dimensions: 2 } } });
    await admin("POST", `/tenants/${t.id}/suspend`);
    await admin("POST", `/tenants/${t.id}/resume`);
    await api("DELETE", "/v1/namespaces/audited", t.key);

    const entries = await eventually(async () => {
      const r = await admin("GET", `/audit?tenant=${t.id}`);
      expect(r.status).toBe(200);
      expect(r.body.entries.map((e: any) => e.action)).toEqual(expect.arrayContaining(["namespace.delete"]));
      return r.body.entries as any[];
    });
    for (const e of entries) expect(e.tenant_id).toBe(t.id);
    const byAction = (a: string) => entries.filter((e) => e.action === a);
    expect(byAction("documents.upsert")[0]).toMatchObject({ actor: t.keyId, namespace: "audited", rows: 2, request_id: upsert.headers.get("x-request-id") });
    expect(byAction("documents.delete")[0]).toMatchObject({ actor: t.keyId, namespace: "audited", rows: 1 });
    expect(byAction("namespace.create")[0]).toMatchObject({ actor: t.keyId, namespace: "audited", request_id: created.headers.get("x-request-id") });
    expect(byAction("namespace.delete")[0]).toMatchObject({ actor: t.keyId, namespace: "audited" });
    expect(byAction("documents.patch")[0]).toMatchObject({ actor: t.keyId, rows: 1, detail: { conditional: true } });
    expect(byAction("documents.delete_by_filter")[0]).toMatchObject({ actor: t.keyId, rows: 1 });
    for (const a of ["tenant.create", "key.create", "limits.update", "tenant.suspend", "tenant.resume"]) expect(byAction(a)[0], a).toMatchObject({ actor: "admin" });
    expect(byAction("key.create")[0].detail).toMatchObject({ key_id: t.keyId, scopes: ["read", "write", "admin"] });
    expect(byAction("limits.update")[0].detail).toEqual({ max_namespaces: 50 });
    expect(Date.parse(entries[0].at)).toBeGreaterThan(Date.now() - 60_000);

    // Pages of 2 cover everything exactly once, newest first.
    const all: any[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin("GET", `/audit?tenant=${t.id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      all.push(...page.body.entries);
      cursor = page.body.next_cursor;
    } while (cursor);
    const ids = all.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(entries.map((e) => e.id)));

    const everyone = await admin("GET", "/audit?limit=1000");
    expect(everyone.body.entries.some((e: any) => e.tenant_id === other.id)).toBe(true);
    for (const q of ["?cursor=abc", "?cursor=0", "?cursor=-1", "?limit=0", "?limit=1001", "?tenant="]) expect((await admin("GET", `/audit${q}`)).status, q).toBe(400);
  });

  it("audits admin reads after the response", async () => {
    const t = await adminTenant();
    await admin("GET", `/tenants/${t.id}/keys`);
    await admin("GET", `/tenants/${t.id}/usage`);
    await eventually(async () => {
      const actions = (await admin("GET", `/audit?tenant=${t.id}`)).body.entries.map((e: any) => e.action);
      expect(actions).toEqual(expect.arrayContaining(["key.list", "usage.read"]));
    });
  });
});

describe("request ids", () => {
  it("keeps a plain client request id and replaces anything else before it reaches the audit log", async () => {
    const t = await adminTenant();
    const send = async (id: string) => {
      const res = await (await import("cloudflare:test")).SELF.fetch(`http://x/v1/namespaces/r${Math.random().toString(36).slice(2, 8)}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${t.key}`, "x-request-id": id },
        body: JSON.stringify({ schema: { vector: { dimensions: 2 } } }),
      });
      expect(res.status).toBe(201);
      return res.headers.get("x-request-id");
    };
    expect(await send("client-req.42:a")).toBe("client-req.42:a");
    for (const bad of ["x".repeat(129), "a b", "a\u0001b", '{"injected":true}']) expect(await send(bad)).toMatch(/^[0-9a-f-]{36}$/);
    await eventually(async () => {
      const ids = (await admin("GET", `/audit?tenant=${t.id}`)).body.entries.filter((e: any) => e.action === "namespace.create").map((e: any) => e.request_id);
      expect(ids).toHaveLength(5);
      expect(ids).toContain("client-req.42:a");
      for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    });
  });
});
