import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";

let t: TestTenant;
beforeAll(async () => {
  t = await makeTenant();
});

async function flushAll(ns: string): Promise<void> {
  const stub = namespaceStub(t.id, ns);
  while (await runDurableObjectAlarm(stub)) {
    // drain: flush and any follow-up alarms
  }
}

const schema = {
  vector: { dimensions: 3, metric: "euclidean_squared" },
  attributes: { title: { type: "string" }, price: { type: "float" }, tags: { type: "[]string" } },
};

describe("write → query → flush → query", () => {
  it("creates, upserts, queries before and after flush, deletes and replaces", async () => {
    const ns = "e2e-basic";
    const created = await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe(ns);
    expect((await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema })).status).toBe(200);

    const docs = [
      { id: 1, vector: [0, 0, 0], attributes: { title: "origin", price: 1, tags: ["a"] } },
      { id: 2, vector: [1, 0, 0], attributes: { title: "x", price: 2, tags: ["b"] } },
      { id: 3, vector: [0, 2, 0], attributes: { title: "y", price: 3, tags: ["a", "b"] } },
      { id: 4, vector: [0, 0, 3], attributes: { title: "z", price: 4 } },
    ];
    const up = await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: docs });
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ upserted: 4, sequence: 4, took_ms: expect.any(Number) });

    const q = { vector: [0.1, 0, 0], top_k: 3 };
    const before = await api("POST", `/v1/namespaces/${ns}/query`, t.key, q);
    expect(before.status).toBe(200);
    expect(before.body.results.map((r: any) => r.id)).toEqual([1, 2, 3]);
    expect(before.body.results[0].attributes).toEqual({ title: "origin", price: 1, tags: ["a"] });
    expect(before.body.performance.exhaustive_search_count).toBe(4);

    await flushAll(ns);
    const desc = await api("GET", `/v1/namespaces/${ns}`, t.key);
    expect(desc.body.segments).toBe(1);
    expect(desc.body.wal.entries).toBe(0);
    expect(desc.body.index.status).toBe("up-to-date");
    expect(desc.body.documents).toBe(4);

    const after = await api("POST", `/v1/namespaces/${ns}/query`, t.key, q);
    expect(after.body.results).toEqual(before.body.results);
    expect(after.body.performance.segments_scanned).toBe(1);
    // The same query again is served from the isolate's cache.
    const warm = await api("POST", `/v1/namespaces/${ns}/query`, t.key, q);
    expect(warm.body.performance.cache.storage_reads).toBe(0);
    expect(warm.body.performance.cache_hit_ratio).toBe(1);

    // Delete before flush hides the flushed row; replace an id with a new vector.
    expect((await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: [1] })).body.deleted).toBe(1);
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 4, vector: [0.2, 0, 0], attributes: { title: "z2" } }] });
    const tail = await api("POST", `/v1/namespaces/${ns}/query`, t.key, q);
    expect(tail.body.results.map((r: any) => r.id)).toEqual([4, 2, 3]);
    expect(tail.body.results[0].attributes).toEqual({ title: "z2" });

    await flushAll(ns);
    const flushed = await api("POST", `/v1/namespaces/${ns}/query`, t.key, q);
    expect(flushed.body.results).toEqual(tail.body.results);

    const fetched = await api("POST", `/v1/namespaces/${ns}/fetch`, t.key, { ids: [4, 1, 2], include_vector: true });
    expect(fetched.body.documents.map((d: any) => d.id)).toEqual([4, 2]);
    expect(fetched.body.documents[0].vector.map((x: number) => Math.round(x * 10) / 10)).toEqual([0.2, 0, 0]);
    expect((await api("GET", `/v1/namespaces/${ns}`, t.key)).body.documents).toBe(3);
  });

  it("filters inside the search and lists namespaces", async () => {
    const ns = "e2e-filter";
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema });
    const docs = Array.from({ length: 20 }, (_, i) => ({ id: i, vector: [i, 0, 0], attributes: { price: i, tags: i % 2 ? ["odd"] : ["even"] } }));
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: docs.slice(0, 10) });
    await flushAll(ns);
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: docs.slice(10) });
    const q = await api("POST", `/v1/namespaces/${ns}/query`, t.key, {
      vector: [0, 0, 0],
      top_k: 5,
      filter: { and: [{ field: "price", op: "gte", value: 5 }, { field: "tags", op: "contains", value: "odd" }] },
      include_attributes: ["price"],
    });
    expect(q.status).toBe(200);
    expect(q.body.results.map((r: any) => r.id)).toEqual([5, 7, 9, 11, 13]);
    expect(q.body.results[0].attributes).toEqual({ price: 5 });

    const list = await api("GET", `/v1/namespaces?prefix=e2e-&limit=1`, t.key);
    expect(list.body.namespaces).toHaveLength(1);
    expect(list.body.next_cursor).toBeDefined();
  });

  it("runs overlapping flushes one at a time: each WAL slice is committed once", async () => {
    const ns = "e2e-overlap";
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema });
    const docs = Array.from({ length: 30 }, (_, i) => ({ id: i, vector: [i, 1, 0], attributes: { price: i } }));
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: docs });
    const stub = namespaceStub(t.id, ns);
    // The second call arrives while the first awaits R2 (or after it): either way one commit.
    await Promise.all([stub.flush(), stub.flush()]);
    await flushAll(ns);
    const desc = await api("GET", `/v1/namespaces/${ns}`, t.key);
    expect(desc.body.segments).toBe(1);
    expect(desc.body.documents).toBe(30);
    expect(desc.body.wal).toMatchObject({ entries: 0, bytes: 0 });
    expect(desc.body.flushes).toBe(1);
    const all = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: [0, 1, 0], top_k: 100 });
    expect(all.body.results.map((r: any) => r.id)).toEqual(docs.map((d) => d.id));
  });
});
