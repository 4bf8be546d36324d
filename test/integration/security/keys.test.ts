/**
 * API keys: scopes, namespace-prefix restrictions, expiry, revocation within the documented delay,
 * suspended tenants, and that keys are never stored or logged in clear.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AUTH_BLOCK_MS, refuseIfBlocked } from "../../../src/api/middleware/auth-failures.ts";
import { AUTH_CACHE_MS, authCacheMs, authenticate, clearAuthCache } from "../../../src/api/middleware/auth.ts";
import { admin, adminTenant, sleep } from "../../helpers/admin.ts";
import { api } from "../../helpers/api.ts";

const SCHEMA = { vector: { dimensions: 2 } };

async function keyFor(tenant: string, options: Record<string, unknown>): Promise<{ key: string; id: string }> {
  const r = await admin("POST", `/tenants/${tenant}/keys`, options);
  expect(r.status).toBe(201);
  return { key: r.body.key, id: r.body.id };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("scopes", () => {
  it("read keys read, write keys write, only admin keys delete namespaces", async () => {
    const t = await adminTenant();
    expect((await api("PUT", "/v1/namespaces/ns", t.key, { schema: SCHEMA })).status).toBe(201);
    await api("POST", "/v1/namespaces/ns/upsert", t.key, { documents: [{ id: 1, vector: [0, 0] }] });
    const read = (await keyFor(t.id, { scopes: ["read"] })).key;
    const write = (await keyFor(t.id, { scopes: ["write"] })).key;

    for (const [method, path, body] of [
      ["GET", "/v1/namespaces"],
      ["GET", "/v1/namespaces/ns"],
      ["POST", "/v1/namespaces/ns/query", { vector: [0, 0] }],
      ["POST", "/v1/namespaces/ns/fetch", { ids: [1] }],
    ] as [string, string, unknown?][]) {
      expect((await api(method, path, read, body)).status, `${method} ${path}`).toBe(200);
      expect((await api(method, path, write, body)).status, `${method} ${path}`).toBe(200);
    }
    for (const [method, path, body] of [
      ["PUT", "/v1/namespaces/other", { schema: SCHEMA }],
      ["POST", "/v1/namespaces/ns/upsert", { documents: [{ id: 2, vector: [1, 1] }] }],
      ["POST", "/v1/namespaces/ns/patch", { documents: [{ id: 1, attributes: { a: 1 } }] }],
      ["POST", "/v1/namespaces/ns/delete", { ids: [1] }],
      ["POST", "/v1/namespaces/ns/delete", { filter: { field: "id", op: "eq", value: 1 } }],
      ["DELETE", "/v1/namespaces/ns"],
    ] as [string, string, unknown?][]) {
      const r = await api(method, path, read, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe("PERMISSION_DENIED");
      expect(r.body.error.message).toMatch(/lacks the '(write|admin)' scope/);
    }
    expect((await api("POST", "/v1/namespaces/ns/upsert", write, { documents: [{ id: 2, vector: [1, 1] }] })).status).toBe(200);
    expect((await api("POST", "/v1/namespaces/ns/delete", write, { ids: [2] })).status).toBe(200);
    expect((await api("PUT", "/v1/namespaces/other", write, { schema: SCHEMA })).status).toBe(201);
    const denied = await api("DELETE", "/v1/namespaces/ns", write);
    expect(denied.status).toBe(403);
    expect(denied.body.error.message).toMatch(/lacks the 'admin' scope/);
    expect((await api("DELETE", "/v1/namespaces/ns", t.key)).status).toBe(200);
  });
});

describe("namespace prefix restriction", () => {
  it("confines a key to namespaces starting with its prefix, in every route and in listings", async () => {
    const t = await adminTenant();
    for (const ns of ["team-a-1", "team-b-1", "other"]) expect((await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: SCHEMA })).status).toBe(201);
    const { key } = await keyFor(t.id, { scopes: ["read", "write"], namespace_prefix: "team-a-" });

    expect((await api("PUT", "/v1/namespaces/team-a-2", key, { schema: SCHEMA })).status).toBe(201);
    expect((await api("POST", "/v1/namespaces/team-a-1/upsert", key, { documents: [{ id: 1, vector: [1, 0] }] })).status).toBe(200);
    for (const ns of ["team-b-1", "other", "team-a", "team-"]) {
      for (const [method, path, body] of [
        ["GET", `/v1/namespaces/${ns}`],
        ["PUT", `/v1/namespaces/${ns}`, { schema: SCHEMA }],
        ["POST", `/v1/namespaces/${ns}/upsert`, { documents: [{ id: 1, vector: [0, 0] }] }],
        ["POST", `/v1/namespaces/${ns}/query`, { vector: [0, 0] }],
        ["POST", `/v1/namespaces/${ns}/fetch`, { ids: [1] }],
        ["POST", `/v1/namespaces/${ns}/delete`, { ids: [1] }],
      ] as [string, string, unknown?][]) {
        const r = await api(method, path, key, body);
        expect(r.status, `${method} ${path}`).toBe(403);
        expect(r.body.error.message).toMatch(/limited to namespaces starting with 'team-a-'/);
      }
    }
    const names = async (query: string) => (await api("GET", `/v1/namespaces${query}`, key)).body.namespaces.map((n: any) => n.name);
    expect(await names("")).toEqual(["team-a-1", "team-a-2"]);
    expect(await names("?prefix=team")).toEqual(["team-a-1", "team-a-2"]);
    expect(await names("?prefix=team-a-2")).toEqual(["team-a-2"]);
    expect(await names("?prefix=team-b")).toEqual([]);
    expect(await names("?prefix=o")).toEqual([]);
    expect(await names("?cursor=a")).toEqual(["team-a-1", "team-a-2"]);
  });
});

describe("expiry", () => {
  it("refuses a key once its expires_at has passed, even while it is cached", async () => {
    const t = await adminTenant();
    const expires = new Date(Date.now() + 700).toISOString();
    const { key } = await keyFor(t.id, { scopes: ["read"], expires_at: expires });
    expect((await api("GET", "/v1/namespaces", key)).status).toBe(200);
    await sleep(Math.max(0, Date.parse(expires) - Date.now()) + 50);
    const r = await api("GET", "/v1/namespaces", key);
    expect(r.status).toBe(401);
    expect(r.body.error).toEqual({ code: "UNAUTHENTICATED", message: "auth: this API key has expired" });
    expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("lists expired keys as expired", async () => {
    const t = await adminTenant();
    const { id } = await keyFor(t.id, { scopes: ["read"], expires_at: new Date(Date.now() + 200).toISOString() });
    await sleep(250);
    const keys = (await admin("GET", `/tenants/${t.id}/keys`)).body.keys;
    expect(keys.find((k: any) => k.id === id).status).toBe("expired");
  });
});

describe("revocation", () => {
  it("takes effect at once in the isolate that revoked the key", async () => {
    const t = await adminTenant();
    expect((await api("GET", "/v1/namespaces", t.key)).status).toBe(200);
    expect((await admin("DELETE", `/keys/${t.keyId}`)).status).toBe(200);
    const r = await api("GET", "/v1/namespaces", t.key);
    expect(r.status).toBe(401);
    expect(r.body.error.message).toBe("auth: this API key has been revoked");
  });

  it("takes effect in other isolates within the documented cache delay", async () => {
    const t = await adminTenant();
    expect((await api("GET", "/v1/namespaces", t.key)).status).toBe(200);
    // Another isolate's revocation reaches D1 but not this isolate's cache.
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(Date.now(), t.keyId).run();
    const header = `Bearer ${t.key}`;
    const now = Date.now();
    expect((await authenticate(env, header, { now: now + AUTH_CACHE_MS - 1000 })).tenant).toBe(t.id);
    await expect(authenticate(env, header, { now: now + AUTH_CACHE_MS + 1 })).rejects.toThrow("revoked");
    // The cache entry refreshed at that later time now holds the refusal.
    clearAuthCache();
    expect((await api("GET", "/v1/namespaces", t.key)).status).toBe(401);
  });

  it("keeps the first revocation time and answers 404 for unknown keys", async () => {
    const t = await adminTenant();
    const first = await admin("DELETE", `/keys/${t.keyId}`);
    await sleep(5);
    const second = await admin("DELETE", `/keys/${t.keyId}`);
    expect(second.status).toBe(200);
    expect(second.body.revoked_at).toBe(first.body.revoked_at);
    expect(second.body.status).toBe("revoked");
    expect((await admin("DELETE", `/keys/k_nope`)).status).toBe(404);
  });
});

describe("suspended tenants", () => {
  it("refuses every key of a suspended tenant with 401 until it is resumed", async () => {
    const t = await adminTenant();
    const second = await keyFor(t.id, { scopes: ["read"] });
    expect((await api("PUT", "/v1/namespaces/ns", t.key, { schema: SCHEMA })).status).toBe(201);
    expect((await admin("POST", `/tenants/${t.id}/suspend`)).body.status).toBe("suspended");
    for (const key of [t.key, second.key]) {
      const r = await api("GET", "/v1/namespaces/ns", key);
      expect(r.status).toBe(401);
      expect(r.body.error.message).toBe("auth: the tenant of this API key is suspended");
    }
    expect((await admin("POST", `/tenants/${t.id}/resume`)).body.status).toBe("active");
    expect((await api("GET", "/v1/namespaces/ns", t.key)).status).toBe(200);
    expect((await api("GET", "/v1/namespaces/ns", second.key)).status).toBe(200);
  });
});

describe("bad credentials", () => {
  it("answers 401 for a missing, malformed or unknown key", async () => {
    const t = await adminTenant();
    for (const header of [undefined, "", "Bearer", "Bearer ", `Basic ${t.key}`, `Bearer ${t.key}x`, `Bearer ${t.key.slice(0, -1)}`, `Bearer ${t.key} extra`, "Bearer elk_0000000000000000000000000000000000000000"]) {
      const headers: Record<string, string> = {};
      if (header !== undefined) headers.authorization = header;
      const res = await (await import("cloudflare:test")).SELF.fetch("http://x/v1/namespaces", { headers });
      expect(res.status, String(header)).toBe(401);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe("UNAUTHENTICATED");
    }
    // The admin token is not an API key.
    expect((await api("GET", "/v1/namespaces", "test-admin-token")).status).toBe(401);
  });
});

describe("failed authentication throttling", () => {
  const from = async (address: string | null, key: string, path = "/v1/namespaces") => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (address) headers["cf-connecting-ip"] = address;
    const res = await (await import("cloudflare:test")).SELF.fetch(`http://x${path}`, { headers });
    return { status: res.status, body: (await res.json()) as any, retry: res.headers.get("retry-after-ms") };
  };
  const guess = () => `elk_${crypto.randomUUID().replaceAll("-", "")}`;

  it("blocks an address that keeps presenting unknown keys, but not its verified keys or other addresses", async () => {
    const t = await adminTenant();
    const fresh = (await keyFor(t.id, { scopes: ["read"] })).key;
    expect((await from("198.51.100.7", t.key)).status).toBe(200);
    const statuses: number[] = [];
    let blocked;
    // 30 failures per address and minute (windows are aligned to the clock: allow one roll-over).
    for (let i = 0; i < 61 && !blocked; i++) {
      const r = await from("198.51.100.7", guess());
      statuses.push(r.status);
      if (r.status === 429) blocked = r;
    }
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(blocked).toBeDefined();
    expect(blocked!.body.error.code).toBe("RATE_LIMITED");
    expect(blocked!.body.error.message).toMatch(/too many failed authentication attempts/);
    expect(Number(blocked!.retry)).toBeGreaterThan(AUTH_BLOCK_MS - 5000);
    expect(Number(blocked!.retry)).toBeLessThanOrEqual(AUTH_BLOCK_MS);

    expect((await from("198.51.100.7", t.key)).status).toBe(200); // verified and cached: no lookup
    expect((await from("198.51.100.7", fresh)).status).toBe(429); // a lookup: refused while blocked
    expect((await from("198.51.100.8", guess())).status).toBe(401);
    expect((await from("198.51.100.8", fresh)).status).toBe(200);
    expect((await from(null, guess())).status).toBe(401);
    // The block lasts AUTH_BLOCK_MS.
    expect(() => refuseIfBlocked("198.51.100.7")).toThrow();
    expect(() => refuseIfBlocked("198.51.100.7", Date.now() + AUTH_BLOCK_MS + 1)).not.toThrow();
  });

  it("counts wrong admin tokens too", async () => {
    let blocked = false;
    for (let i = 0; i < 61 && !blocked; i++) blocked = (await from("198.51.100.9", `wrong-${i}`, "/admin/tenants")).status === 429;
    expect(blocked).toBe(true);
    expect((await from("198.51.100.9", "test-admin-token", "/admin/tenants")).status).toBe(429);
    expect((await from("198.51.100.10", "test-admin-token", "/admin/tenants")).status).toBe(200);
  });
});

describe("keys are never stored or logged in clear", () => {
  it("keeps no key material in D1 and writes none to the console", async () => {
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
      });
    }
    const t = await adminTenant({ scopes: ["read", "write"], namespace_prefix: "p" });
    const keys = [t.key];
    keys.push((await keyFor(t.id, { scopes: ["read"] })).key);
    // Successful and failing requests, writes (audited), and an unhandled-looking bad request.
    await api("PUT", "/v1/namespaces/p1", t.key, { schema: SCHEMA });
    await api("POST", "/v1/namespaces/p1/upsert", t.key, { documents: [{ id: 1, vector: [0, 0] }] });
    await api("POST", "/v1/namespaces/p1/upsert", t.key, "{not json");
    await api("GET", "/v1/namespaces/q1", t.key);
    await api("GET", "/v1/namespaces", `${t.key}0`);
    await admin("DELETE", `/keys/${t.keyId}`);
    await api("GET", "/v1/namespaces", t.key);
    await admin("GET", `/audit?tenant=${t.id}`);
    await admin("GET", `/tenants/${t.id}/keys`);

    const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'").all<{ name: string }>();
    expect(tables.results.map((r) => r.name)).toEqual(expect.arrayContaining(["api_keys", "audit_log", "tenants"]));
    let dump = "";
    for (const { name } of tables.results) dump += JSON.stringify((await env.DB.prepare(`SELECT * FROM "${name}"`).all()).results);
    dump += lines.join("\n");
    for (const key of keys) {
      const secret = key.slice("elk_".length);
      expect(dump.includes(key)).toBe(false);
      expect(dump.includes(secret)).toBe(false);
      // Not even a long piece of it (the lookup column holds a digest, not a prefix of the key).
      expect(dump.includes(secret.slice(0, 16))).toBe(false);
    }
    const listed = JSON.stringify((await admin("GET", `/tenants/${t.id}/keys`)).body);
    for (const field of ['"key"', '"hash"', '"salt"', '"lookup"']) expect(listed.includes(field)).toBe(false);
  });
});

it("documents a revocation delay of 30 s, configurable per deployment", () => {
  expect(AUTH_CACHE_MS).toBe(30_000);
  expect(authCacheMs(env)).toBe(30_000);
  expect(authCacheMs({ ...env, ELACSYM_AUTH_CACHE_MS: "5000" })).toBe(5000);
  expect(authCacheMs({ ...env, ELACSYM_AUTH_CACHE_MS: "soon" })).toBe(30_000);
});
