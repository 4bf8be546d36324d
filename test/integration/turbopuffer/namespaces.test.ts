/**
 * Namespace-level methods of the official turbopuffer client: exists() and 404s, metadata, schema
 * get and update (and what an update may change), listing with pagination, delete, hint_cache_warm,
 * _debug/recall; and the transport contract: error bodies, content types, retries on 429, gzip
 * request bodies, unknown query parameters, scopes.
 */
import { SELF, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { NamespaceDO } from "../../../durable-objects/namespace-do.ts";
import { describe, expect, it } from "vitest";
import { admin, adminTenant } from "../../helpers/admin.ts";
import { api, makeTenant, namespaceStub } from "../../helpers/api.ts";
import { seededRandom } from "../../helpers/random.ts";
import { type ClientLog, tpufClient } from "../../helpers/turbopuffer.ts";

async function drain(tenant: string, ns: string) {
  while (await runDurableObjectAlarm(namespaceStub(tenant, ns))) {
    // flush until idle
  }
}

describe("namespaces", () => {
  it("exists(), metadata and 404s for a namespace that does not exist", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("missing");
    expect(await ns.exists()).toBe(false);
    for (const call of [() => ns.metadata(), () => ns.schema(), () => ns.query({ top_k: 1 }), () => ns.deleteAll(), () => ns.hintCacheWarm()]) {
      const err = await call().catch((e) => e);
      expect(err.status).toBe(404);
      expect(err.error).toEqual({ status: "error", error: "namespace 'missing' not found" });
    }
    // Deletes alone do not create a namespace.
    expect((await ns.write({ deletes: [1] }).catch((e) => e)).status).toBe(404);
  });

  it("metadata describes the namespace", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("meta");
    await ns.write({ upsert_rows: [{ id: 1, vector: [1, 2], a: "x" }, { id: 2, vector: [3, 4], a: "y" }], distance_metric: "cosine_distance" });
    const m = await ns.metadata();
    expect(m.approx_row_count).toBe(2);
    expect(m.index).toEqual({ status: "updating", unindexed_bytes: expect.any(Number) });
    expect(m.schema).toEqual({ id: { type: "uint" }, vector: { type: "[2]f32", ann: { distance_metric: "cosine_distance" } }, a: { type: "string", filterable: true } });
    expect(m.encryption).toEqual({ mode: "default" });
    expect(Date.parse(m.created_at)).toBeGreaterThan(0);
    await drain(t.id, "meta");
    const after = await ns.metadata();
    expect(after.index).toEqual({ status: "up-to-date" });
    expect(after.approx_logical_bytes).toBeGreaterThan(0);
    // turbopuffer's /v1 path answers too.
    const v1 = await api("GET", "/v1/namespaces/meta/metadata", t.key);
    expect(v1.body.approx_row_count).toBe(2);
  });

  it("updates the schema: adds attributes, changes filterable; refuses type changes and full-text backfills", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("schema");
    // Updating the schema of a namespace that does not exist creates it.
    const created = await ns.updateSchema({ schema: { title: { type: "string", full_text_search: true } } });
    expect(created.title).toMatchObject({ type: "string", filterable: false, full_text_search: { language: "english" } });
    await ns.write({ upsert_rows: [{ id: 1, title: "red fox", n: 1, note: "hello world" }] });
    // Full text on an attribute that has data, before anything is flushed: the tail is re-indexed.
    const s1 = await ns.updateSchema({ schema: { note: { type: "string", full_text_search: true }, n: { type: "int", filterable: false }, extra: "float" } });
    expect(s1.note).toMatchObject({ full_text_search: expect.any(Object), filterable: false });
    expect(s1.n).toEqual({ type: "int", filterable: false });
    expect(s1.extra).toEqual({ type: "float", filterable: true });
    expect((await ns.query({ rank_by: ["note", "BM25", "world"] })).rows!.map((r) => r.id)).toEqual([1]);
    expect((await ns.query({ filters: ["n", "Eq", 1] }).catch((e) => e)).status).toBe(400);
    await drain(t.id, "schema");
    const typeChange = await ns.updateSchema({ schema: { n: "string" } }).catch((e) => e);
    expect(typeChange.status).toBe(400);
    expect(typeChange.message).toMatch(/schema\.n\.type: attribute 'n' is int; its type cannot change to string/);
    const backfill = await ns.updateSchema({ schema: { extra: { type: "float", filterable: true }, n: { type: "int", filterable: true }, title: { type: "string", full_text_search: { stemming: true } } } }).catch((e) => e);
    expect(backfill.status).toBe(400);
    expect(backfill.message).toMatch(/schema\.title\.full_text_search: full-text settings of existing attribute 'title' cannot change once the namespace has flushed data/);
    // Nothing of a refused update applies; filterable changes alone do.
    expect((await ns.schema()).n).toEqual({ type: "int", filterable: false });
    await ns.updateSchema({ schema: { n: { type: "int", filterable: true } } });
    expect((await ns.query({ filters: ["n", "Eq", 1] })).rows).toEqual([{ id: 1 }]);
    expect((await api("GET", "/v1/namespaces/schema/schema", t.key)).body.n).toEqual({ type: "int", filterable: true });
  });

  it("lists namespaces page by page", async () => {
    const t = await makeTenant();
    const client = tpufClient(t.key);
    const names = ["pg-a", "pg-b", "pg-c", "pg-d", "pg-e"];
    for (const n of [...names, "other"]) await client.namespace(n).write({ upsert_rows: [{ id: 1 }] });
    const first = await client.namespaces({ prefix: "pg-", page_size: 2 });
    expect(first.namespaces.map((n) => n.id)).toEqual(["pg-a", "pg-b"]);
    expect(first.next_cursor).toBe("pg-b");
    const seen: string[] = [];
    for await (const n of client.namespaces({ prefix: "pg-", page_size: 2 })) seen.push(n.id);
    expect(seen).toEqual(names);
    const everything: string[] = [];
    for await (const n of client.namespaces()) everything.push(n.id);
    expect(everything).toEqual(["other", ...names]);
    // The same route serves the Elacsym API: items carry name too, and errors keep each API's body.
    const v1 = await api("GET", "/v1/namespaces?prefix=pg-&limit=1", t.key);
    expect(v1.body.namespaces[0]).toMatchObject({ id: "pg-a", name: "pg-a" });
    expect((await api("GET", "/v1/namespaces?limit=0", t.key)).body.error.code).toBe("INVALID_ARGUMENT");
    const bad = await client.namespaces({ page_size: 5000 }).catch((e) => e);
    expect(bad.status).toBe(400);
    expect(bad.error).toEqual({ status: "error", error: "page_size: expected an integer from 1 to 1000" });
  });

  it("deletes a namespace", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("gone");
    await ns.write({ upsert_rows: [{ id: 1 }] });
    expect(await ns.deleteAll()).toEqual({ status: "OK" });
    expect(await ns.exists()).toBe(false);
    // The name can be used again at once.
    await ns.write({ upsert_rows: [{ id: 2 }] });
    expect((await ns.query({})).rows).toEqual([{ id: 2 }]);
  });

  it("hint_cache_warm loads footers, deletion files and full-text indexes into the caches", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("warm");
    const rand = seededRandom(5);
    const words = ["alpha", "beta", "gamma", "delta"];
    for (let b = 0; b < 3; b++) {
      await ns.write({
        upsert_rows: Array.from({ length: 50 }, (_, i) => ({ id: b * 50 + i, vector: [rand(), rand()], text: `${words[i % 4]} ${words[(i + b) % 4]}` })),
        distance_metric: "cosine_distance",
        schema: { text: { type: "string", full_text_search: true } },
      });
      await drain(t.id, "warm");
    }
    await ns.write({ deletes: [1, 2, 3] });
    await drain(t.id, "warm");
    const query = { rank_by: ["text", "BM25", "gamma"], top_k: 3 } as const;
    const external = (p: any) => p.cache.storage_reads + p.cache.edge_hits;
    await admin("POST", "/cache/clear");
    const cold = (await ns.query(query as never)).performance as any;
    await admin("POST", "/cache/clear");
    const warm = await ns.hintCacheWarm();
    expect(warm.status).toBe("ACCEPTED");
    expect(warm.message).toMatch(/3 segment footers and 3 full-text indexes/);
    const after = (await ns.query(query as never)).performance as any;
    expect(external(after)).toBeLessThan(external(cold));
    expect(after.cache.memory_hits).toBeGreaterThan(cold.cache.memory_hits);
  });

  it("_debug/recall compares the approximate search with exact search", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("recall");
    const rand = seededRandom(9);
    await ns.write({ upsert_rows: Array.from({ length: 200 }, (_, i) => ({ id: i, vector: [rand(), rand(), rand(), rand()], k: i % 2 })), distance_metric: "euclidean_squared" });
    await drain(t.id, "recall");
    const r = await ns.recall({ num: 5, top_k: 10 });
    expect(r.avg_recall).toBeGreaterThanOrEqual(0.9);
    // Below the index's size threshold every search is exact: 200 documents scored, no index entries.
    expect(r.avg_exhaustive_count).toBe(200);
    expect(r.avg_ann_count).toBe(0);
    expect((r as unknown as { queries: number }).queries).toBe(5);
    const one = await ns.recall({ rank_by: ["vector", "ANN", [0.5, 0.5, 0.5, 0.5]], top_k: 3, filters: ["k", "Eq", 1], include_ground_truth: true });
    expect(one.ground_truth).toHaveLength(1);
    expect(one.ground_truth![0].nearest_neighbors).toHaveLength(3);
    expect(one.ground_truth![0].nearest_neighbors.every((n) => n.vector && typeof n.$dist === "number")).toBe(true);
    expect((await ns.recall({ num: 0 }).catch((e) => e)).status).toBe(400);
  });
});

describe("transport", () => {
  it("answers JSON with turbopuffer's error body, ignores unknown query parameters", async () => {
    const t = await makeTenant();
    const headers = { authorization: `Bearer ${t.key}`, "content-type": "application/json" };
    await tpufClient(t.key).namespace("tp").write({ upsert_rows: [{ id: 1, a: 1 }] });
    const ok = await SELF.fetch("http://elacsym.test/v2/namespaces/tp/query?stainless_overload=query&whatever=1", { method: "POST", headers, body: "{}" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^application\/json/);
    for (const [path, init, status] of [
      ["/v2/namespaces/tp/query", { method: "POST", headers, body: "{" }, 400],
      ["/v2/namespaces/tp/query", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }, 401],
      ["/v2/namespaces/tp/nothing", { method: "GET", headers }, 404],
      ["/v2/namespaces/bad%20name/query", { method: "POST", headers, body: "{}" }, 400],
      ["/v1/namespaces/tp/schema", { method: "GET", headers: {} }, 401],
    ] as const) {
      const res = await SELF.fetch(`http://elacsym.test${path}`, init as RequestInit);
      expect(res.status, path).toBe(status);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = (await res.json()) as any;
      expect(body.status).toBe("error");
      expect(typeof body.error).toBe("string");
    }
  });

  it("accepts gzip request bodies (the client's compression option)", async () => {
    const t = await makeTenant();
    const log: ClientLog = { requests: [] };
    const ns = tpufClient(t.key, { compression: true, log }).namespace("gz");
    const rows = Array.from({ length: 200 }, (_, i) => ({ id: i, text: `document number ${i} with some padding text` }));
    const w = await ns.write({ upsert_rows: rows });
    expect(w.rows_upserted).toBe(200);
    const q = await ns.query({ filters: ["id", "In", rows.map((r) => r.id)], top_k: 500 });
    expect(q.rows).toHaveLength(200);
    expect(log.requests[0].requestHeaders.get("content-encoding")).toBe("gzip");
  });

  it("retries 429s after retry-after-ms", async () => {
    const t = await adminTenant();
    expect((await admin("PATCH", `/tenants/${t.id}/limits`, { write_requests_per_second: 2 })).status).toBe(200);
    const log: ClientLog = { requests: [] };
    const ns = tpufClient(t.key, { maxRetries: 6, log }).namespace("rl");
    for (let i = 0; i < 6; i++) await ns.write({ upsert_rows: [{ id: i }] });
    const limited = log.requests.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0].headers.get("retry-after-ms"))).toBeGreaterThan(0);
    expect((await ns.query({ top_k: 10 })).rows).toHaveLength(6);
  });

  it("retries writes refused by WAL backpressure until the flush catches up", async () => {
    const t = await makeTenant();
    const log: ClientLog = { requests: [] };
    const ns = tpufClient(t.key, { maxRetries: 6, log }).namespace("bp");
    await ns.write({ upsert_rows: [{ id: 0, text: "x".repeat(2000) }] });
    await runInDurableObject(namespaceStub(t.id, "bp"), async (instance: NamespaceDO) => {
      const config = instance.config as { walMaxBytes: number; flushDelayMs: number };
      config.walMaxBytes = 100;
      config.flushDelayMs = 200;
    });
    await ns.write({ upsert_rows: [{ id: 1 }] });
    const refused = log.requests.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0].headers.get("retry-after-ms")).toBe("1000");
    expect((await ns.query({ top_k: 10 })).rows).toEqual([{ id: 0 }, { id: 1 }]);
  });

  it("checks the namespace quota when a write creates a namespace, and does not retry quota errors", async () => {
    const t = await adminTenant();
    expect((await admin("PATCH", `/tenants/${t.id}/limits`, { max_namespaces: 1 })).status).toBe(200);
    const log: ClientLog = { requests: [] };
    const client = tpufClient(t.key, { maxRetries: 4, log });
    await client.namespace("one").write({ upsert_rows: [{ id: 1 }] });
    // Writes to the existing namespace do not count against the quota.
    await client.namespace("one").write({ upsert_rows: [{ id: 2 }] });
    const err = await client.namespace("two").write({ upsert_rows: [{ id: 1 }] }).catch((e) => e);
    expect(err.status).toBe(429);
    expect(err.message).toMatch(/max_namespaces limit is 1/);
    expect(err.headers.get("x-should-retry")).toBe("false");
    expect(log.requests.filter((r) => r.url.endsWith("/two")).length).toBe(1);
    expect(await client.namespace("two").exists()).toBe(false);
  });

  it("keeps tenants apart: another tenant's namespace does not exist", async () => {
    const a = await makeTenant();
    const b = await makeTenant();
    await tpufClient(a.key).namespace("mine").write({ upsert_rows: [{ id: 1, secret: "x" }] });
    const other = tpufClient(b.key);
    const ns = other.namespace("mine");
    expect(await ns.exists()).toBe(false);
    for (const call of [() => ns.query({}), () => ns.metadata(), () => ns.hintCacheWarm(), () => ns.recall({}), () => ns.deleteAll(), () => ns.write({ deletes: [1] })]) {
      expect((await call().catch((e) => e)).status).toBe(404);
    }
    const listed: string[] = [];
    for await (const n of other.namespaces()) listed.push(n.id);
    expect(listed).toEqual([]);
    // A write by tenant b creates b's own namespace; a's is untouched.
    await ns.write({ upsert_rows: [{ id: 2 }] });
    expect((await tpufClient(a.key).namespace("mine").query({ include_attributes: true })).rows).toEqual([{ id: 1, secret: "x" }]);
  });

  it("applies the key's scopes and namespace prefix", async () => {
    const reader = await adminTenant({ scopes: ["read"] });
    const err = await tpufClient(reader.key).namespace("x").write({ upsert_rows: [{ id: 1 }] }).catch((e) => e);
    expect(err.status).toBe(403);
    const writer = await adminTenant({ scopes: ["write"], namespace_prefix: "app-" });
    const client = tpufClient(writer.key);
    await client.namespace("app-1").write({ upsert_rows: [{ id: 1 }] });
    expect((await client.namespace("other").write({ upsert_rows: [{ id: 1 }] }).catch((e) => e)).status).toBe(403);
    // Deleting a namespace needs the admin scope.
    expect((await client.namespace("app-1").deleteAll().catch((e) => e)).status).toBe(403);
  });
});
