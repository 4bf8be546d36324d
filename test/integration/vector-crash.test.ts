import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { expectManifestsComplete, expectNoUnnamedObjects } from "../helpers/manifests.ts";
import type { NamespaceDO } from "../../durable-objects/namespace-do.ts";
import { decodeDirectory } from "../../src/core/index/vector/index-directory.ts";
import type { Manifest } from "../../src/core/segment/manifest.ts";
import { api, drainAlarms, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";
import { seededRandom } from "../helpers/random.ts";

let t: TestTenant;
const DIMS = 16;
beforeAll(async () => {
  t = await makeTenant();
});

function vectors(seed: number) {
  const rand = seededRandom(seed);
  return () => Array.from({ length: DIMS }, () => rand() * 2 - 1);
}

async function setupFault(ns: string, arm: (i: NamespaceDO) => void) {
  await runInDurableObject(namespaceStub(t.id, ns), async (instance: NamespaceDO, state) => {
    arm(instance);
    await state.storage.setAlarm(Date.now() + 60_000);
  });
}

async function drain(ns: string) {
  await drainAlarms(t.id, ns);
}

async function manifestOf(ns: string): Promise<Manifest> {
  return runInDurableObject(namespaceStub(t.id, ns), (_i, state) => JSON.parse(state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'manifest'").one().value) as Manifest);
}

/** The current manifest's index names only objects that exist, and its entries cover every live document. */
async function expectIndexComplete(ns: string, live: number) {
  const m = await manifestOf(ns);
  expect(m.vector_index).toBeDefined();
  const dir = decodeDirectory(new Uint8Array(await (await env.BUCKET.get(m.vector_index!.directory.key))!.arrayBuffer()));
  for (const o of [dir.centroids, ...dir.objects]) expect(await env.BUCKET.head(o.key), o.key).not.toBeNull();
  expect(dir.blocks.reduce((n, b) => n + b.count, 0)).toBeGreaterThanOrEqual(live);
  // Every live document is found by its own vector.
  const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { top_k: 10_000, include_vector: true, include_attributes: false });
  expect(res.body.results).toHaveLength(live);
  for (const doc of res.body.results.slice(0, 20)) {
    const q = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: doc.vector, top_k: 1, include_attributes: false });
    expect(q.body.results[0].id).toBe(doc.id);
  }
}

/** Runs alarms until the armed fault has fired (an index build takes several alarms). */
async function runUntilFaultFires(ns: string) {
  const stub = namespaceStub(t.id, ns);
  const pending = () => runInDurableObject(stub, (i: NamespaceDO) => i.faults.pending);
  for (let i = 0; i < 100 && (await pending()) > 0; i++) {
    try {
      if (!(await runDurableObjectAlarm(stub))) await runInDurableObject(stub, (_i, state) => state.storage.setAlarm(Date.now() + 60_000));
    } catch {
      await runInDurableObject(stub, (_i, state) => state.storage.setAlarm(Date.now() + 60_000));
    }
  }
  expect(await pending()).toBe(0);
}

const cases: [string, string, (i: NamespaceDO) => void][] = [
  ["build", "after its start", (i) => i.faults.arm("vector:build-started")],
  ["build", "calibration put fails", (i) => i.faults.failNextPut("/vec/build-calibration")],
  ["build", "scratch put fails", (i) => i.faults.failNextPut("/vec/build-scratch-1")],
  ["build", "after an encode step", (i) => i.faults.arm("vector:build-encoded")],
  ["build", "base object put fails", (i) => i.faults.failNextPut("/vec/build-base-1")],
  ["build", "after a merge step", (i) => i.faults.arm("vector:build-merged")],
  ["build", "before-manifest", (i) => i.faults.arm("vector:before-manifest")],
  ["build", "before-commit", (i) => i.faults.arm("vector:before-commit")],
  ["build", "centroid put fails", (i) => i.faults.failNextPut("/vec/centroids")],
  ["build", "directory put fails", (i) => i.faults.failNextPut("/vec/dir")],
  ["flush fragment", "fragment put fails", (i) => i.faults.failNextPut("/vec/frag")],
  ["flush fragment", "directory put fails", (i) => i.faults.failNextPut("/vec/dir")],
  ["maintenance", "clusters put fails", (i) => i.faults.failNextPut("/vec/clusters")],
  ["maintenance", "before-commit", (i) => i.faults.arm("vector:before-commit")],
];

describe("crash safety of the vector index", () => {
  it.each(cases)("%s: %s", async (stage, _what, arm) => {
    const ns = `vcrash-${stage.replace(/\W/g, "")}-${cases.findIndex((c) => c[2] === arm)}`;
    const next = vectors(cases.findIndex((c) => c[2] === arm) + 1);
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: DIMS, metric: "euclidean_squared" } } });
    // a build of several scratch fragments, merge steps and alarms (16-d entries are ~190 bytes)
    // (flushes wait for the test's alarms, not the runtime's timer, so no step runs before the fault is armed)
    const config = { vectorIndexMinRows: 300, flushSliceRows: 150, flushDelayMs: 60_000, vectorBuildBatchBytes: 16 << 10, vectorBuildAlarmVectors: 200 };
    await runInDurableObject(namespaceStub(t.id, ns), (i: NamespaceDO) => Object.assign(i.config, config));
    let live = 0;
    const write = async (n: number) => {
      const documents = Array.from({ length: n }, () => ({ id: live++, vector: next() }));
      expect((await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents })).status).toBe(200);
    };
    if (stage === "build") {
      for (let b = 0; b < 8; b++) await write(150);
      await setupFault(ns, arm);
    } else {
      await write(400);
      await drain(ns); // index built
      if (stage === "maintenance") {
        // Enough flushes to give clusters more blocks than maintenance allows, then the fault.
        for (let b = 0; b < 6; b++) {
          await write(50);
          await runInDurableObject(namespaceStub(t.id, ns), async (instance: NamespaceDO) => {
            await instance.flush();
          });
        }
      } else {
        await write(100);
      }
      await setupFault(ns, arm);
    }
    await runUntilFaultFires(ns);
    await evictDurableObject(namespaceStub(t.id, ns));
    // Sweep for orphans on every alarm (the default is every six hours).
    await runInDurableObject(namespaceStub(t.id, ns), (i: NamespaceDO) => Object.assign(i.config, { ...config, orphanSweepMs: 0 }));
    await write(30);
    await drain(ns);
    await expectIndexComplete(ns, live);
    await expectManifestsComplete(t.id, ns);
    // The abandoned attempt's objects are gone: the orphan sweep deleted what nothing names.
    await expectNoUnnamedObjects(t.id, ns);
  });
});
