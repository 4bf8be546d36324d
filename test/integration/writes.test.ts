import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";

let t: TestTenant;
beforeAll(async () => {
  t = await makeTenant();
});

async function drain(ns: string) {
  while (await runDurableObjectAlarm(namespaceStub(t.id, ns))) {
    // flush until idle
  }
}

async function all(ns: string): Promise<Record<number, any>> {
  const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { top_k: 1000, include_vector: true });
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.results.map((r: any) => [r.id, r]));
}

async function setup(ns: string, flushed: boolean) {
  await api("PUT", `/v1/namespaces/${ns}`, t.key, {
    schema: { vector: { dimensions: 2, metric: "euclidean_squared" }, attributes: { v: "int", name: "string", updated: "datetime", tags: "[]string" } },
  });
  const docs = Array.from({ length: 10 }, (_, i) => ({ id: i, vector: [i, i], attributes: { v: i, name: `n${i}`, updated: `2024-01-0${(i % 9) + 1}T00:00:00Z`, tags: i % 2 ? ["odd"] : ["even"] } }));
  expect((await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: docs })).status).toBe(200);
  if (flushed) await drain(ns);
}

describe.each([false, true])("writes that read current values (base flushed: %s)", (flushed) => {
  const p = flushed ? "f" : "t";

  it("patch changes only the named attributes, removes nulls, keeps the vector, ignores missing ids", async () => {
    const ns = `patch-${p}`;
    await setup(ns, flushed);
    const res = await api("POST", `/v1/namespaces/${ns}/patch`, t.key, {
      documents: [{ id: 1, attributes: { name: "one", tags: null } }, { id: 99, attributes: { name: "x" } }, { id: 2, attributes: { extra: true } }, { id: 1, attributes: { v: 100 } }],
    });
    expect(res.status).toBe(200);
    expect(res.body.patched).toBe(2);
    const docs = await all(ns);
    expect(docs[1].attributes).toEqual({ v: 100, name: "one", updated: "2024-01-02T00:00:00.000Z" });
    expect(docs[1].vector).toEqual([1, 1]);
    expect(docs[2].attributes.extra).toBe(true);
    expect(docs[99]).toBeUndefined();
    expect(Object.keys(docs)).toHaveLength(10);
    await drain(ns);
    expect((await all(ns))[1].attributes).toEqual(docs[1].attributes);
    // Vectors cannot be patched, and patch values are type-checked.
    expect((await api("POST", `/v1/namespaces/${ns}/patch`, t.key, { documents: [{ id: 1, vector: [0, 0], attributes: {} }] })).status).toBe(400);
    expect((await api("POST", `/v1/namespaces/${ns}/patch`, t.key, { documents: [{ id: 1, attributes: { v: "x" } }] })).status).toBe(400);
  });

  it("conditional upsert applies where the condition holds or the document is new", async () => {
    const ns = `cond-upsert-${p}`;
    await setup(ns, flushed);
    const res = await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, {
      documents: [
        { id: 1, vector: [0, 0], attributes: { v: 11, updated: "2024-06-01T00:00:00Z" } },
        { id: 2, vector: [0, 0], attributes: { v: 12, updated: "2023-01-01T00:00:00Z" } },
        { id: 50, vector: [5, 5], attributes: { v: 50, updated: "2024-06-01T00:00:00Z" } },
      ],
      condition: { field: "updated", op: "lt", value: { $ref_new: "updated" } },
    });
    expect(res.status).toBe(200);
    expect(res.body.upserted).toBe(2);
    const docs = await all(ns);
    expect(docs[1].attributes.v).toBe(11);
    expect(docs[2].attributes.v).toBe(2);
    expect(docs[50].attributes.v).toBe(50);
  });

  it("conditional patch and delete apply only where the condition holds", async () => {
    const ns = `cond-pd-${p}`;
    await setup(ns, flushed);
    const patched = await api("POST", `/v1/namespaces/${ns}/patch`, t.key, {
      documents: [0, 1, 2, 3].map((id) => ({ id, attributes: { name: "patched" } })),
      condition: { field: "tags", op: "contains", value: "odd" },
    });
    expect(patched.body.patched).toBe(2);
    const deleted = await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: [4, 5, 6, 7, 123], condition: { field: "v", op: "gte", value: 6 } });
    expect(deleted.body.deleted).toBe(2);
    const docs = await all(ns);
    expect([0, 1, 2, 3].map((i) => docs[i].attributes.name)).toEqual(["n0", "patched", "n2", "patched"]);
    expect(Object.keys(docs).map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 8, 9]);
    expect((await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: [1], condition: { field: "v", op: "eq", value: { $ref_new: "v" } } })).status).toBe(400);
  });

  it("delete by filter removes exactly the matches of one snapshot, tail and segments", async () => {
    const ns = `del-filter-${p}`;
    await setup(ns, flushed);
    // One matching document only in the tail, one flushed document updated in the tail to stop matching.
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 20, vector: [2, 0], attributes: { v: 20, tags: ["odd"] } }, { id: 3, vector: [3, 3], attributes: { v: 3, tags: ["none"] } }] });
    const res = await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { filter: { field: "tags", op: "contains", value: "odd" } });
    expect(res.status).toBe(200);
    expect(res.body.deleted).toBe(5); // 1, 5, 7, 9 and 20 (3 no longer matches)
    const ids = Object.keys(await all(ns)).map(Number).sort((a, b) => a - b);
    expect(ids).toEqual([0, 2, 3, 4, 6, 8]);
    await drain(ns);
    expect(Object.keys(await all(ns)).map(Number).sort((a, b) => a - b)).toEqual(ids);
    expect((await api("GET", `/v1/namespaces/${ns}`, t.key)).body.documents).toBe(6);
    expect((await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { filter: { field: "nope", op: "eq", value: 1 } })).status).toBe(400);
  });
});
