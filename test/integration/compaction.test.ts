import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { NamespaceDO } from "../../durable-objects/namespace-do.ts";
import type { FaultPoint } from "../../durable-objects/faults.ts";
import type { EngineConfig } from "../../src/config.ts";
import { expectManifestsComplete } from "../helpers/manifests.ts";
import { api, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";

let t: TestTenant;
beforeAll(async () => {
  t = await makeTenant();
});

const schema = {
  vector: { dimensions: 2, metric: "euclidean_squared" },
  attributes: { v: "int", text: { type: "string", full_text: true } },
};

/**
 * Changes the Durable Object's limits (and optionally arms a fault) and schedules an alarm far
 * enough ahead that only the test runs it (runDurableObjectAlarm), not the runtime's timer.
 */
async function configure(ns: string, config: Partial<EngineConfig>, fault?: (instance: NamespaceDO) => void): Promise<void> {
  await runInDurableObject(namespaceStub(t.id, ns), async (instance: NamespaceDO, state) => {
    Object.assign(instance.config, config);
    fault?.(instance);
    await state.storage.setAlarm(Date.now() + 60_000);
  });
}

const NO_COMPACTION: Partial<EngineConfig> = { compactionMinMerge: 1000, compactionDeadRatio: 2 };
const COMPACTION: Partial<EngineConfig> = { compactionMinMerge: 4, compactionDeadRatio: 0.3 };

/** Runs alarms until none is pending; a throwing alarm is retried as the runtime would. */
async function drain(ns: string): Promise<number> {
  const stub = namespaceStub(t.id, ns);
  let failures = 0;
  for (let i = 0; i < 50; i++) {
    try {
      if (!(await runDurableObjectAlarm(stub))) return failures;
    } catch {
      failures++;
      await runInDurableObject(stub, (_i, state) => state.storage.setAlarm(Date.now() + 60_000));
    }
  }
  throw new Error("alarms did not settle");
}

type Expected = Map<number, number>;

async function write(ns: string, expected: Expected, ids: number[], v: number): Promise<void> {
  const documents = ids.map((id) => ({ id, vector: [id, v], attributes: { v, text: `word${v} doc${id}` } }));
  expect((await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents })).status).toBe(200);
  for (const id of ids) expected.set(id, v);
}

async function remove(ns: string, expected: Expected, ids: number[]): Promise<void> {
  expect((await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids })).status).toBe(200);
  for (const id of ids) expected.delete(id);
}

async function snapshot(ns: string, consistency: "strong" | "eventual" = "strong") {
  const all = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { top_k: 10_000, consistency });
  const vector = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: [40, 2], top_k: 15, include_attributes: ["v"], consistency });
  const text = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { full_text: { query: "word2 doc7" }, top_k: 15, consistency });
  for (const r of [all, vector, text]) expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { all: all.body.results, vector: vector.body.results, text: text.body.results };
}

async function expectState(ns: string, expected: Expected): Promise<void> {
  const rows = (await snapshot(ns)).all;
  const ids = rows.map((r: any) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort((a: number, b: number) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
  for (const r of rows) expect(r.attributes.v, `id ${r.id}`).toBe(expected.get(r.id));
  expect((await api("GET", `/v1/namespaces/${ns}`, t.key)).body.documents).toBe(expected.size);
}

/** Five flushed segments, then updates and deletes that make some of their rows dead. */
async function setup(ns: string): Promise<Expected> {
  expect((await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema })).status).toBe(201);
  await configure(ns, NO_COMPACTION);
  const expected: Expected = new Map();
  for (let b = 0; b < 5; b++) {
    await write(ns, expected, Array.from({ length: 20 }, (_, i) => b * 20 + i), 1);
    await drain(ns);
  }
  await write(ns, expected, Array.from({ length: 30 }, (_, i) => i * 3), 2);
  await remove(ns, expected, Array.from({ length: 20 }, (_, i) => 1 + i * 5));
  await drain(ns);
  return expected;
}

describe("compaction", () => {
  it("merges small segments, drops dead rows, and answers stay the same", async () => {
    const ns = "compact-basic";
    const expected = await setup(ns);
    const before = await snapshot(ns);
    const d1 = (await api("GET", `/v1/namespaces/${ns}`, t.key)).body;
    expect(d1.segments).toBe(6);
    expect(d1.storage.dead_rows).toBeGreaterThan(0);
    await configure(ns, COMPACTION);
    expect((await api("GET", `/v1/namespaces/${ns}`, t.key)).body.storage.compaction.pending).toBe(true);
    await drain(ns);

    const d2 = (await api("GET", `/v1/namespaces/${ns}`, t.key)).body;
    expect(d2.segments).toBeLessThan(6);
    expect(d2.storage.compaction.compactions).toBeGreaterThan(0);
    expect(d2.storage.compaction.pending).toBe(false);
    expect(d2.storage.dead_rows).toBeLessThan(d1.storage.dead_rows);
    expect(d2.storage.rows_in_segments).toBeLessThan(d1.storage.rows_in_segments);
    expect(d2.storage.garbage.objects).toBe(0); // grace 0 in tests: collected by the same alarm run
    expect(await snapshot(ns)).toEqual(before);
    await expectState(ns, expected);
    await expectManifestsComplete(t.id, ns);
    // Old segments are gone from R2 once collected.
    const keys = (await env.BUCKET.list({ prefix: `t/${t.id}/ns/${ns}/` })).objects.map((o) => o.key);
    expect(keys.filter((k) => k.includes("/seg/")).length).toBe(d2.segments);
  });

  const points: FaultPoint[] = ["compaction:after-plan", "compaction:after-segment", "compaction:after-fts", "compaction:after-deletes", "compaction:after-manifest", "compaction:before-commit", "gc:after-delete"];
  const puts = ["-c.parquet", "-c.eftx", "/del/", "/manifest/"];
  it.each([...points.map((p) => ["crash", p]), ...puts.map((k) => ["put-fails", k])])("%s at %s loses nothing", async (kind, where) => {
    const ns = `compact-${kind}-${where.replace(/[^a-z]/g, "")}`;
    const expected = await setup(ns);
    const stub = namespaceStub(t.id, ns);
    // Merges of about three segments leave dead rows elsewhere, so a deletion file is written too.
    await configure(ns, { ...COMPACTION, compactionMaxSegmentRows: 40 }, (instance) => {
      if (kind === "crash") instance.faults.arm(where as FaultPoint);
      else instance.faults.failNextPut(where);
    });
    await expect(runDurableObjectAlarm(stub)).rejects.toThrow();
    await expectState(ns, expected);
    await evictDurableObject(stub);
    await write(ns, expected, [7, 500], 3);
    await remove(ns, expected, [10]);
    await drain(ns);
    await expectState(ns, expected);
    await expectManifestsComplete(t.id, ns);
    const desc = (await api("GET", `/v1/namespaces/${ns}`, t.key)).body;
    expect(desc.storage.compaction.running).toBe(false);
    expect(desc.storage.compaction.compactions).toBeGreaterThan(0);
  });

  it("a reader holding an old manifest keeps working within the grace period", async () => {
    const ns = "compact-old-reader";
    const expected = await setup(ns);
    await configure(ns, { gcGraceMs: 60_000 });
    const before = await snapshot(ns); // the Worker now knows this manifest
    await configure(ns, COMPACTION);
    // Garbage keeps an alarm pending for its grace period: run alarms until compaction is done.
    for (let i = 0; i < 10; i++) {
      await runDurableObjectAlarm(namespaceStub(t.id, ns));
      const d = (await api("GET", `/v1/namespaces/${ns}`, t.key)).body;
      if (!d.storage.compaction.pending && !d.storage.compaction.running) break;
    }
    expect((await api("GET", `/v1/namespaces/${ns}`, t.key)).body.storage.garbage.objects).toBeGreaterThan(0);
    // An eventual read within the staleness bound still uses the old manifest and its segments.
    const old = await snapshot(ns, "eventual");
    expect(old).toEqual(before);
    await expectState(ns, expected);
    // After the grace period the old objects are collected.
    await configure(ns, { gcGraceMs: 0 });
    await drain(ns);
    expect((await api("GET", `/v1/namespaces/${ns}`, t.key)).body.storage.garbage.objects).toBe(0);
    await expectState(ns, expected);
  });

  it("keeps flushing during a long merge so writers are not starved", async () => {
    const ns = "compact-interleave";
    const expected = await setup(ns);
    // Every step of the merge sees a backlog over half the cap, so it flushes in between.
    await configure(ns, { ...COMPACTION, walMaxBytes: 1 });
    await write(ns, expected, [900, 901], 4);
    await drain(ns);
    await expectState(ns, expected);
    await expectManifestsComplete(t.id, ns);
  });
});
