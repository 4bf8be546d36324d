/**
 * Tenant isolation: a key of tenant A can neither see nor change tenant B's namespaces through any
 * v1 route, and every answer A gets about B's namespace is exactly the answer for a namespace that
 * does not exist. Names crafted to escape the tenant's key prefix are rejected.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeTenant, type ApiResponse, type TestTenant } from "../../helpers/api.ts";

let a: TestTenant;
let b: TestTenant;

const SCHEMA = { vector: { dimensions: 2, metric: "euclidean_squared" }, attributes: { title: { type: "string" } } };

/** What a client can observe, minus what differs per request (ids, timings). */
function observable(r: ApiResponse): unknown {
  return { status: r.status, body: r.body, retry: r.headers.get("retry-after-ms"), type: r.headers.get("content-type") };
}

/** Every v1 request a client can make about namespace `ns`. */
function probes(ns: string): [string, string, unknown?][] {
  return [
    ["GET", `/v1/namespaces/${ns}`],
    ["POST", `/v1/namespaces/${ns}/upsert`, { documents: [{ id: 9, vector: [9, 9], attributes: { title: "intruder" } }] }],
    ["POST", `/v1/namespaces/${ns}/patch`, { documents: [{ id: 1, attributes: { title: "defaced" } }] }],
    ["POST", `/v1/namespaces/${ns}/upsert`, { documents: [{ id: 1, vector: [9, 9] }], condition: { field: "title", op: "eq", value: "secret" } }],
    ["POST", `/v1/namespaces/${ns}/delete`, { ids: [1, 2] }],
    ["POST", `/v1/namespaces/${ns}/delete`, { filter: { field: "title", op: "glob", value: "*" } }],
    ["POST", `/v1/namespaces/${ns}/fetch`, { ids: [1, 2], include_vector: true }],
    ["POST", `/v1/namespaces/${ns}/query`, { vector: [0, 0], top_k: 10 }],
    ["POST", `/v1/namespaces/${ns}/query`, { vector: [0, 0], top_k: 10, consistency: "eventual" }],
    ["POST", `/v1/namespaces/${ns}/query`, { top_k: 10, filter: { field: "title", op: "eq", value: "secret" } }],
    ["DELETE", `/v1/namespaces/${ns}`],
  ];
}

async function observeAll(key: string, ns: string): Promise<unknown[]> {
  const out = [];
  for (const [method, path, body] of probes(ns)) out.push(observable(await api(method, path, key, body)));
  return out;
}

beforeAll(async () => {
  a = await makeTenant();
  b = await makeTenant();
});

describe("tenant isolation on every v1 route", () => {
  it("answers A about B's namespace exactly as about a namespace that does not exist", async () => {
    const ns = "shared-name";
    const before = await observeAll(a.key, ns);
    expect(before.every((o: any) => o.status === 404)).toBe(true);

    expect((await api("PUT", `/v1/namespaces/${ns}`, b.key, { schema: SCHEMA })).status).toBe(201);
    const docs = [
      { id: 1, vector: [0, 0], attributes: { title: "secret" } },
      { id: 2, vector: [1, 1], attributes: { title: "secret too" } },
    ];
    expect((await api("POST", `/v1/namespaces/${ns}/upsert`, b.key, { documents: docs })).status).toBe(200);

    const after = await observeAll(a.key, ns);
    expect(after).toEqual(before);

    // B's data is untouched by every attempt above, including the upsert, delete and DELETE.
    const fetched = await api("POST", `/v1/namespaces/${ns}/fetch`, b.key, { ids: [1, 2, 9] });
    expect(fetched.status).toBe(200);
    expect(fetched.body.documents.map((d: any) => d.id)).toEqual([1, 2]);
    expect(fetched.body.documents.map((d: any) => d.attributes.title)).toEqual(["secret", "secret too"]);
    expect((await api("GET", `/v1/namespaces/${ns}`, b.key)).body.documents).toBe(2);
  });

  it("never lists another tenant's namespaces, whatever the prefix or cursor", async () => {
    for (const name of ["b-alpha", "b-beta", "zzz"]) expect((await api("PUT", `/v1/namespaces/${name}`, b.key, { schema: SCHEMA })).status).toBe(201);
    expect((await api("PUT", `/v1/namespaces/a-own`, a.key, { schema: SCHEMA })).status).toBe(201);
    for (const query of ["", "?prefix=b-", "?prefix=", "?cursor=", "?cursor=a", "?prefix=zz", `?prefix=${b.id}`, "?limit=1000"]) {
      const r = await api("GET", `/v1/namespaces${query}`, a.key);
      expect(r.status).toBe(200);
      for (const n of r.body.namespaces) expect(n.name).not.toMatch(/^(b-|zzz|shared-name)/);
    }
    expect((await api("GET", `/v1/namespaces`, a.key)).body.namespaces.map((n: any) => n.name)).toEqual(["a-own"]);
  });

  it("creates A's own namespace under a name B uses, with its own schema", async () => {
    const ns = "both-use-it";
    expect((await api("PUT", `/v1/namespaces/${ns}`, b.key, { schema: SCHEMA })).status).toBe(201);
    // Another schema would be a 409 within one tenant; across tenants it is simply another namespace.
    const other = { vector: { dimensions: 3, metric: "cosine" } };
    const created = await api("PUT", `/v1/namespaces/${ns}`, a.key, { schema: other });
    expect(created.status).toBe(201);
    expect(created.body.schema.vector.dimensions).toBe(3);
    await api("POST", `/v1/namespaces/${ns}/upsert`, a.key, { documents: [{ id: 1, vector: [1, 0, 0] }] });
    expect((await api("GET", `/v1/namespaces/${ns}`, b.key)).body).toMatchObject({ documents: 0, schema: { vector: { dimensions: 2 } } });
    expect((await api("DELETE", `/v1/namespaces/${ns}`, a.key)).status).toBe(200);
    expect((await api("GET", `/v1/namespaces/${ns}`, b.key)).status).toBe(200);
  });

  it("keeps each tenant's objects under its own R2 prefix", async () => {
    const objects = await env.BUCKET.list({ prefix: "t/" });
    for (const o of objects.objects) expect(o.key.startsWith(`t/${a.id}/`) || o.key.startsWith(`t/${b.id}/`)).toBe(true);
    const rows = await env.DB.prepare("SELECT tenant_id, name FROM namespaces").all<{ tenant_id: string; name: string }>();
    expect(rows.results.filter((r) => r.tenant_id === a.id).map((r) => r.name)).not.toContain("shared-name");
  });
});

describe("crafted namespace names", () => {
  const crafted = [
    "..",
    ".",
    "%2e%2e",
    "%2E%2E%2Fother",
    "a%2Fb",
    "a%2fb",
    "%2F",
    "a%5Cb",
    "a%252Fb",
    "a%00b",
    "a%20b",
    "x".repeat(129),
    "%C3%B1ame",
    "%E5%90%8D%E5%89%8D",
    "t%2F..%2Fns",
  ];

  it("rejects names that would escape the tenant's prefix with 4xx and creates nothing", async () => {
    const t = await makeTenant();
    const victim = await makeTenant();
    crafted.push(`${victim.id}%2Fns`, `..%2F${victim.id}%2Fns`, `..%2F..%2Ft%2F${victim.id}`);
    for (const name of crafted) {
      for (const [method, path, body] of [["PUT", `/v1/namespaces/${name}`, { schema: SCHEMA }] as [string, string, unknown], ...probes(name)]) {
        const r = await api(method, path, t.key, body);
        expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${path}`).toBeLessThan(500);
        if (r.status === 400) expect(r.body.error.code).toBe("INVALID_ARGUMENT");
      }
    }
    const rows = await env.DB.prepare("SELECT name FROM namespaces WHERE tenant_id = ?").bind(t.id).all();
    expect(rows.results).toEqual([]);
    expect((await env.BUCKET.list({ prefix: `t/${t.id}/` })).objects).toEqual([]);
    expect((await env.BUCKET.list({ prefix: `t/${victim.id}/` })).objects).toEqual([]);
  });

  it("accepts the longest valid name and rejects one character more", async () => {
    const t = await makeTenant();
    expect((await api("PUT", `/v1/namespaces/${"n".repeat(128)}`, t.key, { schema: SCHEMA })).status).toBe(201);
    const r = await api("PUT", `/v1/namespaces/${"n".repeat(129)}`, t.key, { schema: SCHEMA });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/namespace: invalid name/);
  });

  it("takes the tenant from the key, never from the request", async () => {
    const t = await makeTenant();
    await api("PUT", `/v1/namespaces/mine`, b.key, { schema: SCHEMA });
    const r = await api("POST", `/v1/namespaces/mine/upsert`, t.key, { tenant: b.id, documents: [{ id: 1, vector: [0, 0] }] });
    expect(r.status).toBe(400);
    const q = await api("GET", `/v1/namespaces/mine?tenant=${b.id}`, t.key);
    expect(q.status).toBe(404);
  });
});
