/**
 * Server-side latency of requests: every response carries `server-timing` (request received in the
 * Worker → response ready, with the stages of the request), v1 writes and queries carry `took_ms`
 * (the same total) and turbopuffer writes `performance.server_total_ms`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeTenant, type TestTenant } from "../helpers/api.ts";

/** `total;dur=3, auth;dur=0, …` as {total: 3, auth: 0, …}. */
function timing(headers: Headers): Record<string, number> {
  const out: Record<string, number> = {};
  const raw = headers.get("server-timing") ?? "";
  for (const part of raw.split(", ")) {
    const m = /^([\w-]+);dur=(\d+(?:\.\d+)?)$/.exec(part);
    expect(m, `server-timing part '${part}' of '${raw}'`).not.toBeNull();
    out[m![1]] = Number(m![2]);
  }
  return out;
}

let t: TestTenant;
beforeAll(async () => {
  t = await makeTenant();
  await api("PUT", "/v1/namespaces/timed", t.key, { schema: { vector: { dimensions: 2 }, attributes: { n: { type: "int" } } } });
});

describe("server timing", () => {
  it("a v1 upsert reports took_ms and its stages, Durable Object stages included", async () => {
    const docs = Array.from({ length: 50 }, (_, i) => ({ id: i, vector: [1, i], attributes: { n: i } }));
    const res = await api("POST", "/v1/namespaces/timed/upsert", t.key, { documents: docs });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ upserted: 50, sequence: 50, took_ms: expect.any(Number) });
    const st = timing(res.headers);
    for (const stage of ["total", "auth", "body", "parse", "admit", "do", "do-queue", "do-validate", "do-encode", "do-commit", "do-memtable", "do-alarm", "do-usage", "report", "respond"]) {
      expect(st[stage], stage).toBeGreaterThanOrEqual(0);
    }
    // took_ms is measured while the response is built, total once it is ready.
    expect(res.body.took_ms).toBeLessThanOrEqual(st.total + 0.01);
    // The Worker's stages are laps of one clock: they add up to the total.
    const worker = ["auth", "body", "parse", "admit", "do", "report", "respond"].reduce((a, s) => a + st[s], 0);
    expect(Math.abs(worker - st.total)).toBeLessThan(0.1);
  });

  it("patches, deletes and queries report took_ms; turbopuffer writes server_total_ms", async () => {
    const patch = await api("POST", "/v1/namespaces/timed/patch", t.key, { documents: [{ id: 1, attributes: { n: 5 } }] });
    expect(patch.body).toEqual({ patched: 1, sequence: expect.any(Number), took_ms: expect.any(Number) });
    const del = await api("POST", "/v1/namespaces/timed/delete", t.key, { ids: [2] });
    expect(del.body).toEqual({ deleted: 1, sequence: expect.any(Number), took_ms: expect.any(Number) });
    const q = await api("POST", "/v1/namespaces/timed/query", t.key, { vector: [1, 0], top_k: 3 });
    expect(q.body.took_ms).toBeGreaterThanOrEqual(q.body.performance.server_ms - 1);
    expect(timing(q.headers).total).toBeGreaterThanOrEqual(0);
    const tp = await api("POST", "/v2/namespaces/timed", t.key, { upsert_rows: [{ id: 100, vector: [1, 1], n: 1 }] });
    expect(tp.status).toBe(200);
    expect(tp.body.performance.server_total_ms).toBeGreaterThanOrEqual(0);
    expect(timing(tp.headers)["do-commit"]).toBeGreaterThanOrEqual(0);
  });

  it("errors carry server-timing too, and bad input writes nothing", async () => {
    const bad = await api("POST", "/v1/namespaces/timed/upsert", t.key, { documents: [{ id: 777, vector: [1, Number.NaN] }] });
    expect(bad.status).toBe(400);
    expect(timing(bad.headers).total).toBeGreaterThanOrEqual(0);
    const wrongDims = await api("POST", "/v1/namespaces/timed/upsert", t.key, { documents: [{ id: 777, vector: [1, 2, 3] }] });
    expect(wrongDims.status).toBe(400);
    expect(timing(wrongDims.headers).do).toBeGreaterThanOrEqual(0);
    const fetched = await api("POST", "/v1/namespaces/timed/fetch", t.key, { ids: [777] });
    expect(fetched.body.documents).toEqual([]);
    const health = await api("GET", "/health", null);
    expect(Object.keys(timing(health.headers))).toEqual(["total", "respond"]);
  });
});
