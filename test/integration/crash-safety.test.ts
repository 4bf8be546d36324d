import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { NamespaceDO } from "../../durable-objects/namespace-do.ts";
import type { FaultPoint } from "../../durable-objects/faults.ts";
import { expectManifestsComplete } from "../helpers/manifests.ts";
import { api, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";

let t: TestTenant;
beforeAll(async () => {
  t = await makeTenant();
});

type Expected = Map<number, { v: number; vector: number[] }>;

async function readAll(ns: string): Promise<any[]> {
  const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { top_k: 10_000 });
  expect(res.status).toBe(200);
  return res.body.results;
}

/** Every acknowledged write is visible exactly once, with its latest value; deleted ids are gone. */
async function expectState(ns: string, expected: Expected): Promise<void> {
  const rows = await readAll(ns);
  const ids = rows.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
  for (const r of rows) expect(r.attributes.v, `id ${r.id}`).toBe(expected.get(r.id)!.v);
  // The full-text index agrees: every live document of version v is found by its version's word.
  for (const v of new Set([...expected.values()].map((e) => e.v))) {
    const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { full_text: { query: `word${v}` }, top_k: 10_000, include_attributes: false });
    const want = [...expected].filter(([, e]) => e.v === v).map(([id]) => id).sort((a, b) => a - b);
    expect(res.body.results.map((r: any) => r.id).sort((a: number, b: number) => a - b), `word${v}`).toEqual(want);
  }
  const desc = await api("GET", `/v1/namespaces/${ns}`, t.key);
  expect(desc.body.documents).toBe(expected.size);
}

async function write(ns: string, expected: Expected, ids: number[], v: number): Promise<void> {
  const documents = ids.map((id) => ({ id, vector: [id, v, 1], attributes: { v, text: `word${v} doc${id}` } }));
  const res = await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents });
  expect(res.status).toBe(200);
  for (const d of documents) expected.set(d.id, { v, vector: d.vector });
}

async function remove(ns: string, expected: Expected, ids: number[]): Promise<void> {
  expect((await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids })).status).toBe(200);
  for (const id of ids) expected.delete(id);
}

/** Runs the alarm until it stops rescheduling; a throwing alarm is retried, as the runtime does. */
async function drainAlarms(ns: string): Promise<number> {
  const stub = namespaceStub(t.id, ns);
  let failures = 0;
  for (let i = 0; i < 20; i++) {
    try {
      if (!(await runDurableObjectAlarm(stub))) return failures;
    } catch {
      failures++;
      await runInDurableObject(stub, async (instance: NamespaceDO, state) => {
        await state.storage.setAlarm(Date.now());
        void instance;
      });
    }
  }
  throw new Error("alarms did not settle");
}

const points: FaultPoint[] = ["flush:after-plan", "flush:after-segment", "flush:after-deletes", "flush:after-manifest", "flush:before-commit"];
const puts = ["/seg/", "/fts/", "/del/", "/manifest/"];

describe("crash safety of flush", () => {
  it.each([...points.map((p) => ["crash", p]), ...puts.map((k) => ["put-fails", k])])("%s at %s loses nothing", async (kind, where) => {
    const ns = `crash-${kind}-${where.replace(/[^a-z]/g, "")}`;
    await api("PUT", `/v1/namespaces/${ns}`, t.key, {
      schema: { vector: { dimensions: 3, metric: "euclidean_squared" }, attributes: { text: { type: "string", full_text: true } } },
    });
    const expected: Expected = new Map();
    await write(ns, expected, Array.from({ length: 100 }, (_, i) => i), 1);
    await drainAlarms(ns);

    // Updates, new ids and deletes: a flush of these supersedes versions in the first segment.
    await write(ns, expected, Array.from({ length: 50 }, (_, i) => i), 2);
    await write(ns, expected, Array.from({ length: 50 }, (_, i) => 100 + i), 2);
    await remove(ns, expected, Array.from({ length: 10 }, (_, i) => 50 + i));

    const stub = namespaceStub(t.id, ns);
    await runInDurableObject(stub, (instance: NamespaceDO) => {
      if (kind === "crash") instance.faults.arm(where as FaultPoint);
      else instance.faults.failNextPut(where);
    });
    await expect(runDurableObjectAlarm(stub)).rejects.toThrow();
    // Readers see a consistent state while the flush is broken half-way.
    await expectState(ns, expected);

    // The Durable Object restarts (memory lost), more writes arrive, then the alarm is retried.
    await evictDurableObject(stub);
    await write(ns, expected, [7, 200], 3);
    await expectState(ns, expected);
    await drainAlarms(ns);

    await expectState(ns, expected);
    await expectManifestsComplete(t.id, ns);
    const desc = await api("GET", `/v1/namespaces/${ns}`, t.key);
    expect(desc.body.wal.entries).toBe(0);
    expect(desc.body.index.status).toBe("up-to-date");
  });

  it("a retried flush rewrites the same keys with the same bytes", async () => {
    const ns = "crash-idempotent";
    await api("PUT", `/v1/namespaces/${ns}`, t.key, {
      schema: { vector: { dimensions: 3, metric: "euclidean_squared" }, attributes: { text: { type: "string", full_text: true } } },
    });
    const expected: Expected = new Map();
    await write(ns, expected, [1, 2, 3], 1);
    await drainAlarms(ns);
    await write(ns, expected, [1, 4], 2);
    const stub = namespaceStub(t.id, ns);
    await runInDurableObject(stub, (instance: NamespaceDO) => instance.faults.arm("flush:before-commit"));
    await expect(runDurableObjectAlarm(stub)).rejects.toThrow();
    const prefix = `t/${t.id}/ns/${ns}/`;
    const first = new Map<string, string>();
    for (const o of (await env.BUCKET.list({ prefix })).objects) first.set(o.key, await (await env.BUCKET.get(o.key))!.text());
    await drainAlarms(ns);
    for (const [key, bytes] of first) expect(await (await env.BUCKET.get(key))!.text(), key).toBe(bytes);
    await expectState(ns, expected);
  });
});
