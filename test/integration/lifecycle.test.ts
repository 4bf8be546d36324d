import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { NamespaceDO } from "../../durable-objects/namespace-do.ts";
import { api, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";

let t: TestTenant;
beforeAll(async () => {
  t = await makeTenant();
});

async function drain(ns: string) {
  while (await runDurableObjectAlarm(namespaceStub(t.id, ns))) {
    // flush / purge until idle
  }
}

describe("consistency", () => {
  it("eventual reads skip the Durable Object and see flushed data", async () => {
    const ns = "eventual";
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: 2, metric: "euclidean_squared" } } });
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 1, vector: [0, 0] }] });
    // Not flushed yet: an eventual read does not see it, a strong one does.
    const early = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: [0, 0], consistency: "eventual" });
    expect(early.status).toBe(200);
    expect(early.body.results).toEqual([]);
    expect(early.body.performance.consistency).toBe("eventual");
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: [0, 0] })).body.results).toHaveLength(1);
    await drain(ns);
    // The strong read above cached manifest v0; a strong read refreshes it, and eventual then uses it.
    await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: [0, 0] });
    const later = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: [0, 0], consistency: "eventual" });
    expect(later.body.results.map((r: any) => r.id)).toEqual([1]);
    expect(later.body.performance.manifest_version).toBe(1);
  });

  it("eventual reads answer 404 for unknown namespaces", async () => {
    const res = await api("POST", `/v1/namespaces/nope-eventual/query`, t.key, { consistency: "eventual" });
    expect(res.status).toBe(404);
  });
});

describe("namespace deletion", () => {
  it("removes data from R2 and the catalog, and the name can be reused at once", async () => {
    const ns = "drop-me";
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: 2 } } });
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 1, vector: [1, 0] }, { id: 2, vector: [0, 1] }] });
    await drain(ns);
    const prefix = `t/${t.id}/ns/${ns}/`;
    expect((await env.BUCKET.list({ prefix })).objects.length).toBeGreaterThan(1);

    expect((await api("DELETE", `/v1/namespaces/${ns}`, t.key)).status).toBe(200);
    expect((await api("GET", `/v1/namespaces/${ns}`, t.key)).status).toBe(404);
    expect((await api("GET", `/v1/namespaces?prefix=drop-me`, t.key)).body.namespaces).toEqual([]);

    // Re-create right away with another schema: fresh and empty.
    expect((await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: 3 } } })).status).toBe(201);
    const q = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: [1, 0, 0] });
    expect(q.body.results).toEqual([]);
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 9, vector: [1, 0, 0] }] });
    await drain(ns);

    // Only the new incarnation's objects remain.
    const remaining = (await env.BUCKET.list({ prefix })).objects.map((o) => o.key.split("/")[4]);
    expect(new Set(remaining).size).toBe(1);
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: [1, 0, 0] })).body.results.map((r: any) => r.id)).toEqual([9]);
  });
});

describe("orphan sweep", () => {
  it("deletes objects nothing names once they are older than the grace period, and nothing else", async () => {
    const ns = "orphans";
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: 2, metric: "euclidean_squared" } } });
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 1, vector: [0, 1] }, { id: 2, vector: [1, 0] }] });
    await drain(ns);
    const listed = await env.BUCKET.list({ prefix: `t/${t.id}/ns/${ns}/` });
    const prefix = listed.objects[0].key.replace(/(\/ns\/[^/]+\/[^/]+\/).*/, "$1");
    // What a crash between an object's put and its commit leaves behind.
    const orphan = `${prefix}seg/stray-from-a-crash.parquet`;
    await env.BUCKET.put(orphan, new Uint8Array([1, 2, 3]));
    const stub = namespaceStub(t.id, ns);
    const exists = async (key: string) => (await env.BUCKET.list({ prefix: key })).objects.length > 0;
    const sweep = async (config: Record<string, number>) => {
      await runInDurableObject(stub, async (i: NamespaceDO, state) => {
        Object.assign(i.config, config);
        // Far enough ahead that only drain() runs it.
        await state.storage.setAlarm(Date.now() + 60_000);
      });
      await drain(ns);
    };
    // Younger than the grace period: kept (a step may be about to reference it).
    await sweep({ orphanSweepMs: 0, gcGraceMs: 3_600_000 });
    expect(await exists(orphan)).toBe(true);
    await sweep({ orphanSweepMs: 0, gcGraceMs: 0 });
    expect(await exists(orphan)).toBe(false);
    const d = await api("GET", `/v1/namespaces/${ns}`, t.key);
    expect(d.body.storage.garbage.orphans_deleted).toBe(1);
    expect(d.body.storage.garbage.last_orphan_sweep).toBeGreaterThan(0);
    // Everything the manifest names is still there and answers.
    const q = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: [0, 1], top_k: 2 });
    expect(q.body.results.map((r: any) => r.id)).toEqual([1, 2]);
  });
});

describe("backpressure", () => {
  it("answers 429 with retry-after-ms past the WAL cap, and accepts writes again after a flush", async () => {
    const ns = "backpressure";
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: 8 } } });
    const stub = namespaceStub(t.id, ns);
    await runInDurableObject(stub, (instance: NamespaceDO) => {
      instance.config.walMaxBytes = 2000;
    });
    const docs = (base: number) => ({ documents: Array.from({ length: 20 }, (_, i) => ({ id: base + i, vector: Array(8).fill(i + 1) })) });
    let status = 200;
    let res;
    for (let i = 0; i < 10 && status === 200; i++) {
      res = await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, docs(i * 100));
      status = res.status;
    }
    expect(status).toBe(429);
    expect(Number(res!.headers.get("retry-after-ms"))).toBeGreaterThan(0);
    expect(res!.body.error.code).toBe("BACKPRESSURE");
    const before = (await api("GET", `/v1/namespaces/${ns}`, t.key)).body;
    await drain(ns);
    expect((await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, docs(5000))).status).toBe(200);
    const after = (await api("GET", `/v1/namespaces/${ns}`, t.key)).body;
    expect(after.documents).toBe(before.documents + 20);
  });
});
