/**
 * Per-tenant request rates and quotas: each triggers 429 with a retry hint and a body naming the
 * limit, and each recovers (after the hint, after deleting, or after the limit is raised).
 */
import { describe, expect, it } from "vitest";
import { fullBucket, takeTokens } from "../../../src/core/limits/token-bucket.ts";
import { admin, adminTenant, eventually, sleep } from "../../helpers/admin.ts";
import { api } from "../../helpers/api.ts";
import { resetTenantGates } from "../../../src/service/tenant-gate.ts";

const SCHEMA = { vector: { dimensions: 2 } };

describe("token bucket", () => {
  it("allows a burst of one second's worth, then refills at the rate", () => {
    const b = fullBucket(10, 0);
    expect(takeTokens(b, 10, 4, 0)).toEqual({ granted: 4, retryAfterMs: 0 });
    expect(takeTokens(b, 10, 100, 0)).toEqual({ granted: 6, retryAfterMs: 0 });
    expect(takeTokens(b, 10, 1, 0)).toEqual({ granted: 0, retryAfterMs: 100 });
    expect(takeTokens(b, 10, 1, 50)).toEqual({ granted: 0, retryAfterMs: 50 });
    expect(takeTokens(b, 10, 5, 100)).toEqual({ granted: 1, retryAfterMs: 0 });
    // Idle time never stores more than the burst.
    expect(takeTokens(b, 10, 100, 60_000).granted).toBe(10);
    // A lower rate caps what is left at the new burst.
    const c = fullBucket(1000, 0);
    expect(takeTokens(c, 2, 100, 0).granted).toBe(2);
  });
});

async function burst(n: number, request: () => Promise<{ status: number; headers: Headers; body: any }>) {
  const started = Date.now();
  const results = [];
  for (let i = 0; i < n; i++) results.push(await request());
  return { results, elapsedMs: Date.now() - started };
}

describe("request rates", () => {
  it("answers 429 with retry-after-ms past the query rate, and admits again after it", async () => {
    const t = await adminTenant();
    await api("PUT", "/v1/namespaces/q", t.key, { schema: SCHEMA });
    expect((await admin("PATCH", `/tenants/${t.id}/limits`, { query_requests_per_second: 2 })).status).toBe(200);
    const { results, elapsedMs } = await burst(10, () => api("POST", "/v1/namespaces/q/query", t.key, { vector: [0, 0] }));
    const ok = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429);
    // Burst of 2, plus 2 per second of the burst's duration.
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(ok).toBeLessThanOrEqual(2 + Math.ceil((elapsedMs / 1000) * 2));
    expect(limited.length).toBeGreaterThan(0);
    const first = limited[0];
    expect(first.body.error.code).toBe("RATE_LIMITED");
    expect(first.body.error.message).toMatch(/query_requests_per_second limit is 2/);
    const wait = Number(first.headers.get("retry-after-ms"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(500);
    expect(first.headers.get("retry-after")).toBe("1");

    // Reads of every kind share the query rate; writes have their own.
    expect((await api("PUT", "/v1/namespaces/q2", t.key, { schema: SCHEMA })).status).toBe(201);
    const last = limited[limited.length - 1];
    await sleep(Number(last.headers.get("retry-after-ms")) + 20);
    expect((await api("GET", "/v1/namespaces/q", t.key)).status).toBe(200);
  });

  it("admits a concurrent burst within the rate on a fresh isolate (one shared lease request)", async () => {
    const t = await adminTenant();
    await api("PUT", "/v1/namespaces/c", t.key, { schema: SCHEMA });
    expect((await admin("PATCH", `/tenants/${t.id}/limits`, { query_requests_per_second: 400 })).status).toBe(200);
    resetTenantGates();
    // 100 at once, a quarter of one second's burst: every lease asking for its own tenth of the
    // rate (40 tokens) drained the bucket after ten and refused the rest.
    const results = await Promise.all(Array.from({ length: 100 }, () => api("POST", "/v1/namespaces/c/query", t.key, { vector: [0, 1] })));
    expect(results.map((r) => r.status)).toEqual(Array(100).fill(200));
    // Still a limit: a burst past the (lowered) rate is partly refused, with the hint.
    expect((await admin("PATCH", `/tenants/${t.id}/limits`, { query_requests_per_second: 20 })).status).toBe(200);
    const more = await Promise.all(Array.from({ length: 100 }, () => api("POST", "/v1/namespaces/c/query", t.key, { vector: [0, 1] })));
    const refused = more.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(50);
    expect(refused[0].body.error.message).toMatch(/query_requests_per_second limit is 20/);
  });

  it("limits write requests separately, and a raised limit applies at once", async () => {
    const t = await adminTenant();
    await api("PUT", "/v1/namespaces/w", t.key, { schema: SCHEMA });
    await admin("PATCH", `/tenants/${t.id}/limits`, { write_requests_per_second: 1 });
    const { results } = await burst(5, () => api("POST", "/v1/namespaces/w/upsert", t.key, { documents: [{ id: 1, vector: [1, 0] }] }));
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(3);
    expect(limited[0].body.error.message).toMatch(/write_requests_per_second limit is 1/);
    expect(Number(limited[0].headers.get("retry-after-ms"))).toBeLessThanOrEqual(1000);
    expect((await api("GET", "/v1/namespaces/w", t.key)).status).toBe(200);

    await admin("PATCH", `/tenants/${t.id}/limits`, { write_requests_per_second: null });
    const after = await burst(5, () => api("POST", "/v1/namespaces/w/upsert", t.key, { documents: [{ id: 1, vector: [1, 0] }] }));
    expect(after.results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it("keeps tenants' rates apart", async () => {
    const slow = await adminTenant();
    const fast = await adminTenant();
    await admin("PATCH", `/tenants/${slow.id}/limits`, { query_requests_per_second: 1 });
    const slowBurst = await burst(5, () => api("GET", "/v1/namespaces", slow.key));
    expect(slowBurst.results.some((r) => r.status === 429)).toBe(true);
    const others = await burst(10, () => api("GET", "/v1/namespaces", fast.key));
    expect(others.results.every((r) => r.status === 200)).toBe(true);
  });
});

describe("quotas", () => {
  const upsert = (key: string, ids: number[]) => api("POST", "/v1/namespaces/docs/upsert", key, { documents: ids.map((id) => ({ id, vector: [id, 0] })) });

  it("stops upserts at max_documents with 429, keeps deletes working, and recovers", async () => {
    const t = await adminTenant();
    await api("PUT", "/v1/namespaces/docs", t.key, { schema: SCHEMA });
    await admin("PATCH", `/tenants/${t.id}/limits`, { max_documents: 5 });
    expect((await upsert(t.key, [1, 2, 3])).status).toBe(200);
    expect((await upsert(t.key, [4, 5, 6])).status).toBe(200);
    // The quota is checked against usage as of this isolate's last report (the write's own report lands after its response).
    const refused = await eventually(async () => {
      const r = await upsert(t.key, [100]);
      expect(r.status).toBe(429);
      return r;
    });
    expect(refused.body.error.code).toBe("QUOTA_EXCEEDED");
    expect(refused.body.error.message).toMatch(/max_documents limit is 5/);
    expect(Number(refused.headers.get("retry-after-ms"))).toBeGreaterThan(0);

    const docs = (await api("GET", "/v1/namespaces/docs", t.key)).body.documents;
    const del = await api("POST", "/v1/namespaces/docs/delete", t.key, { ids: [1, 2, 3, 4, 5, 6, 100] });
    expect(del.status).toBe(200);
    expect(del.body.deleted).toBe(docs);
    await eventually(async () => expect((await upsert(t.key, [7])).status).toBe(200));
  });

  it("stops upserts at max_stored_bytes and recovers when the limit is raised", async () => {
    const t = await adminTenant();
    await api("PUT", "/v1/namespaces/docs", t.key, { schema: SCHEMA });
    await admin("PATCH", `/tenants/${t.id}/limits`, { max_stored_bytes: 1 });
    expect((await upsert(t.key, [1])).status).toBe(200);
    const refused = await eventually(async () => {
      const r = await upsert(t.key, [2]);
      expect(r.status).toBe(429);
      return r;
    });
    expect(refused.body.error.message).toMatch(/max_stored_bytes limit is 1/);
    await admin("PATCH", `/tenants/${t.id}/limits`, { max_stored_bytes: null });
    expect((await upsert(t.key, [3])).status).toBe(200);
  });

  it("stops namespace creation at max_namespaces and recovers after a delete", async () => {
    const t = await adminTenant();
    await admin("PATCH", `/tenants/${t.id}/limits`, { max_namespaces: 2 });
    expect((await api("PUT", "/v1/namespaces/n1", t.key, { schema: SCHEMA })).status).toBe(201);
    expect((await api("PUT", "/v1/namespaces/n2", t.key, { schema: SCHEMA })).status).toBe(201);
    const refused = await api("PUT", "/v1/namespaces/n3", t.key, { schema: SCHEMA });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: "QUOTA_EXCEEDED" });
    expect(refused.body.error.message).toMatch(/2 namespaces and its max_namespaces limit is 2/);
    expect(refused.headers.get("retry-after-ms")).not.toBeNull();
    // Re-creating an existing namespace is not a new one.
    expect((await api("PUT", "/v1/namespaces/n2", t.key, { schema: SCHEMA })).status).toBe(200);
    expect((await api("GET", "/v1/namespaces/n3", t.key)).status).toBe(404);
    expect((await api("DELETE", "/v1/namespaces/n1", t.key)).status).toBe(200);
    expect((await api("PUT", "/v1/namespaces/n3", t.key, { schema: SCHEMA })).status).toBe(201);
  });
});
