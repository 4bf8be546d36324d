/**
 * Background work lets requests go first: while a request is in flight in the isolate (and the WAL
 * backlog is below half its cap) the namespace's alarm waits before each storage operation, for at
 * most ELACSYM_REQUESTS_FIRST_MS; past half the cap it does not wait.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import type { NamespaceDO } from "../../durable-objects/namespace-do.ts";
import { enterForeground } from "../../src/core/foreground.ts";
import { api, makeTenant, namespaceStub } from "../helpers/api.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(ns: string, config: { requestsFirstMs: number; walMaxBytes?: number }) {
  const t = await makeTenant();
  await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: 2 } } });
  const stub = namespaceStub(t.id, ns);
  await runInDurableObject(stub, async (instance: NamespaceDO, state) => {
    Object.assign(instance.config, config);
    await state.storage.setAlarm(Date.now() + 60_000);
  });
  const docs = Array.from({ length: 20 }, (_, i) => ({ id: i, vector: [1, i] }));
  expect((await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: docs })).status).toBe(200);
  return { t, stub };
}

it("waits for requests in flight before flushing, and goes on once they finish", async () => {
  const { t, stub } = await setup("gated", { requestsFirstMs: 60_000 });
  const leave = enterForeground();
  let flushed = false;
  const alarm = runDurableObjectAlarm(stub).then(() => (flushed = true));
  await sleep(300);
  expect(flushed).toBe(false);
  expect((await api("GET", "/v1/namespaces/gated", t.key)).body.wal.entries).toBe(1);
  leave();
  await alarm;
  expect((await api("GET", "/v1/namespaces/gated", t.key)).body).toMatchObject({ wal: { entries: 0 }, segments: 1 });
});

it("does not wait when ELACSYM_REQUESTS_FIRST_MS is 0 or the WAL backlog is past half its cap", async () => {
  for (const [ns, config] of [["ungated", { requestsFirstMs: 0 }], ["backlogged", { requestsFirstMs: 60_000, walMaxBytes: 100 }]] as const) {
    const { t, stub } = await setup(ns, config);
    const leave = enterForeground();
    // Once flushed the backlog is gone and later steps (garbage, sweeps) wait again: the alarm
    // finishes after the request; the flush itself must not wait.
    const alarm = runDurableObjectAlarm(stub);
    try {
      const deadline = Date.now() + 10_000;
      while ((await api("GET", `/v1/namespaces/${ns}`, t.key)).body.wal.entries !== 0) {
        expect(Date.now()).toBeLessThan(deadline);
        await sleep(20);
      }
    } finally {
      leave();
    }
    await alarm;
  }
});
