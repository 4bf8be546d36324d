import { SELF, runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";

let t: TestTenant;
let reader: TestTenant;
beforeAll(async () => {
  t = await makeTenant();
  reader = await makeTenant(["read"]);
  for (const ns of ["m-one", "m-two"]) {
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: 2 } } });
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 1, vector: [1, 0] }, { id: 2, vector: [0, 1] }] });
  }
  await api("POST", `/v1/namespaces/m-one/upsert`, t.key, { documents: [{ id: 3, vector: [1, 1] }] });
  while (await runDurableObjectAlarm(namespaceStub(t.id, "m-one"))) {
    // flush
  }
});

describe("metrics", () => {
  it("per-namespace stats as JSON", async () => {
    const res = await api("GET", "/v1/namespaces/m-one/stats", t.key);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ namespace: "m-one", documents: 3, writes: 2, rows_written: 3, flushes: 1, segments: 1, wal: { entries: 0, bytes: 0 } });
    expect(res.body.bytes.segments).toBeGreaterThan(0);
  });

  it("Prometheus text for the tenant, admin scope only", async () => {
    const res = await fetchText("/metrics", t.key);
    expect(res.status).toBe(200);
    expect(res.type).toContain("text/plain");
    expect(res.text).toContain("# TYPE elacsym_namespace_documents gauge");
    expect(res.text).toContain(`elacsym_namespace_documents{tenant="${t.id}",namespace="m-one"} 3`);
    expect(res.text).toContain(`elacsym_namespace_writes_total{tenant="${t.id}",namespace="m-two"} 1`);
    expect(res.text).toContain(`elacsym_namespace_flushes_total{tenant="${t.id}",namespace="m-one"} 1`);
    // Every sample line parses as name{labels} value.
    for (const line of res.text.trim().split("\n").filter((l) => !l.startsWith("#"))) expect(line).toMatch(/^[a-z_]+\{[^}]*\} \d+(\.\d+)?$/);
    expect((await fetchText("/metrics", reader.key)).status).toBe(403);
    expect((await fetchText("/metrics", null)).status).toBe(401);
  });

  it("echoes the request id, generated or given", async () => {
    const r = await api("GET", "/v1/namespaces/m-one/stats", t.key);
    expect(r.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const res = await SELF.fetch("http://x/v1/namespaces/m-one/stats", { headers: { authorization: `Bearer ${t.key}`, "x-request-id": "trace-42" } });
    expect(res.headers.get("x-request-id")).toBe("trace-42");
  });
});

async function fetchText(path: string, key: string | null) {
  const res = await SELF.fetch(`http://x${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}
