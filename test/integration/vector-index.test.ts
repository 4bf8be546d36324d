import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { scaledNprobe } from "../../durable-objects/vector-index.ts";
import type { NamespaceDO } from "../../durable-objects/namespace-do.ts";
import { type IndexDirectory, clusterStarts, decodeDirectory } from "../../src/core/index/vector/index-directory.ts";
import { MAX_CLUSTER_BLOCKS, pickClusters } from "../../src/core/index/vector/maintenance-policy.ts";
import { type CentroidList, decodeCentroidList } from "../../src/core/index/vector/centroid-list.ts";
import type { Manifest } from "../../src/core/segment/manifest.ts";
import { api, drainAlarms, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";
import { expectManifestsComplete, expectNoUnnamedObjects } from "../helpers/manifests.ts";
import { seededRandom } from "../helpers/random.ts";

let t: TestTenant;
const DIMS = 32;

beforeAll(async () => {
  t = await makeTenant();
});

/** Clustered vectors: closer to real embeddings than uniform noise. */
function generator(seed: number) {
  const rand = seededRandom(seed);
  const centres = Array.from({ length: 24 }, () => Array.from({ length: DIMS }, () => rand() * 2 - 1));
  return () => {
    const c = centres[Math.floor(rand() * centres.length)];
    return c.map((x) => Math.round((x + (rand() - 0.5) * 0.5) * 1e4) / 1e4);
  };
}

async function drain(ns: string) {
  await drainAlarms(t.id, ns);
}

async function configure(ns: string, config: Record<string, number>) {
  await runInDurableObject(namespaceStub(t.id, ns), (instance: NamespaceDO) => {
    Object.assign(instance.config, config);
  });
}

async function manifestOf(ns: string): Promise<Manifest> {
  return runInDurableObject(namespaceStub(t.id, ns), (_i, state) => JSON.parse(state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'manifest'").one().value) as Manifest);
}

async function directoryOf(ns: string): Promise<IndexDirectory> {
  const m = await manifestOf(ns);
  return decodeDirectory(new Uint8Array(await (await env.BUCKET.get(m.vector_index!.directory.key))!.arrayBuffer()));
}

async function centroidsOf(ns: string): Promise<CentroidList> {
  const m = await manifestOf(ns);
  return decodeCentroidList(new Uint8Array(await (await env.BUCKET.get(m.vector_index!.centroids.key))!.arrayBuffer()));
}

async function ids(ns: string, body: unknown): Promise<number[]> {
  const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.results.map((r: any) => r.id);
}

describe("vector index (IVF + RaBitQ)", () => {
  const ns = "ann";
  const next = generator(11);
  const queries = Array.from({ length: 20 }, () => next());

  beforeAll(async () => {
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: DIMS, metric: "cosine" }, attributes: { g: "int" } } });
    await configure(ns, { vectorIndexMinRows: 1000 });
    for (let b = 0; b < 4; b++) {
      const documents = Array.from({ length: 1000 }, (_, i) => ({ id: b * 1000 + i, vector: next(), attributes: { g: (b * 1000 + i) % 10 } }));
      expect((await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents })).status).toBe(200);
      await drain(ns);
    }
  });

  it("builds the index once the namespace has enough vectors, and reaches recall@10 ≥ 0.95", async () => {
    const m = await manifestOf(ns);
    expect(m.vector_index).toBeDefined();
    expect(m.vector_index!.entries).toBeGreaterThanOrEqual(4000);
    // Built at 1,000 live vectors, rebuilt from scratch once there were four times as many.
    expect(m.vector_index!.calibrated_at).toBe(4000);
    let hits = 0;
    for (const q of queries) {
      const exact = await ids(ns, { vector: q, top_k: 10, exact: true, include_attributes: false });
      const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: q, top_k: 10, include_attributes: false });
      expect(res.body.performance.index_candidates).toBeGreaterThan(0);
      expect(res.body.performance.exhaustive_search_count).toBe(0);
      const ann = res.body.results.map((r: any) => r.id);
      hits += ann.filter((id: number) => exact.includes(id)).length;
    }
    expect(hits / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
    // The index path returns whole documents: attributes as asked, and the stored vector.
    const docs = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: queries[0], top_k: 10, include_attributes: ["g"], include_vector: true });
    expect(docs.body.performance.index_candidates).toBeGreaterThan(0);
    for (const r of docs.body.results) {
      expect(r.attributes).toEqual({ g: r.id % 10 });
      expect(r.vector).toHaveLength(DIMS);
    }
    const exact = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: queries[0], top_k: 10, include_attributes: ["g"], include_vector: true, exact: true });
    const byId = new Map(exact.body.results.map((r: any) => [r.id, r]));
    for (const r of docs.body.results) {
      const e = byId.get(r.id) as any;
      if (!e) continue;
      expect(r.vector).toEqual(e.vector);
      expect(r.score).toBeCloseTo(e.score, 5);
    }
    const idsOnly = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: queries[0], top_k: 10, include_attributes: false });
    expect(idsOnly.body.results.map((r: any) => r.id)).toEqual(docs.body.results.map((r: any) => r.id));
    for (const r of idsOnly.body.results) expect(Object.keys(r).sort()).toEqual(["attributes", "id", "score"]);
    expect(idsOnly.body.results.every((r: any) => Object.keys(r.attributes).length === 0)).toBe(true);
  });

  it("answers identically after a Durable Object restart and from a cold isolate", async () => {
    const before = await ids(ns, { vector: queries[0], top_k: 10 });
    await api("POST", "/admin/cache/clear", "test-admin-token");
    expect(await ids(ns, { vector: queries[0], top_k: 10 })).toEqual(before);
  });

  it("sees upserts and deletes immediately, after flush and after index maintenance", async () => {
    const q = queries[1];
    const top = await ids(ns, { vector: q, top_k: 5 });
    // Delete the best match, and add a document equal to the query.
    await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: [top[0]] });
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 9000, vector: q, attributes: { g: 3 } }] });
    const check = async () => {
      const now = await ids(ns, { vector: q, top_k: 5 });
      expect(now[0]).toBe(9000);
      expect(now).not.toContain(top[0]);
    };
    await check();
    await drain(ns);
    await check();
    // Many flushes add many blocks per cluster: maintenance merges them and drops dead entries.
    for (let b = 0; b < 6; b++) {
      await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: Array.from({ length: 200 }, (_, i) => ({ id: 10_000 + b * 200 + i, vector: next(), attributes: { g: i % 10 } })) });
      await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: Array.from({ length: 20 }, (_, i) => b * 100 + i) });
      await drain(ns);
    }
    await check();
    const m = await manifestOf(ns);
    // Built at 1,000 vectors into two clusters of ~512; clusters past twice that split as the namespace grew.
    expect(m.vector_index!.nlist).toBeGreaterThanOrEqual(6);
    // The default nprobe follows √nlist from the build's calibration (not one more per split).
    expect(m.vector_index!.calibrated_nlist).toBeGreaterThan(0);
    expect(m.vector_index!.nprobe).toBe(scaledNprobe(m.vector_index!, m.vector_index!.nlist));
    // Maintenance dropped the deleted and superseded entries it met.
    expect(m.vector_index!.entries).toBeLessThan(4000 + 1 + 1200);
  });

  it("applies filters inside the search (index path and the exact fallback)", async () => {
    for (const q of queries.slice(0, 5)) {
      for (const filter of [{ field: "g", op: "in", value: [1, 2, 3, 4, 5, 6] }, { field: "id", op: "lt", value: 300 }]) {
        const exact = await ids(ns, { vector: q, top_k: 10, filter, exact: true, include_attributes: false });
        const ann = await ids(ns, { vector: q, top_k: 10, filter, include_attributes: false });
        expect(ann.filter((id) => exact.includes(id)).length).toBeGreaterThanOrEqual(8);
      }
    }
  });

  it("reports its recall against exact search (_debug/recall)", async () => {
    const res = await api("POST", `/v1/namespaces/${ns}/_debug/recall`, t.key, { num: 10, top_k: 10 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.queries).toBe(10);
    expect(res.body.avg_recall).toBeGreaterThanOrEqual(0.9);
    expect(res.body.avg_ann_count).toBeGreaterThan(0);
    expect(res.body.avg_exhaustive_count).toBeGreaterThan(4000);
    expect((await api("POST", `/v1/namespaces/${ns}/_debug/recall`, t.key, { num: 0 })).status).toBe(400);
  });

  it("leaves no manifest pointing at a missing object, and no object of the replaced index", async () => {
    await expectManifestsComplete(t.id, ns);
    await expectNoUnnamedObjects(t.id, ns);
  });
});

describe("vector index maintenance under many small flushes", () => {
  const ns = "ann-deltas";
  const next = generator(23);

  it("merges a cluster's small deltas among themselves and leaves its base block where it is", async () => {
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: DIMS, metric: "cosine" } } });
    await configure(ns, { vectorIndexMinRows: 1000 });
    const base = Array.from({ length: 1000 }, (_, i) => ({ id: i, vector: next() }));
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: base });
    await drain(ns);
    const built = await directoryOf(ns);
    const baseOf = (d: IndexDirectory) => d.blocks.map((b) => ({ cluster: b.clusterId, key: d.objects[b.object].key, offset: b.offset, count: b.count })).filter((b) => b.count > 100);
    // Small flushes: each adds a block of a few entries to every cluster, far below DELTA_RATIO of its base.
    const added: { id: number; vector: number[] }[] = [];
    let sawPending = false;
    for (let f = 0; f < 2 * MAX_CLUSTER_BLOCKS + 1; f++) {
      const documents = Array.from({ length: 6 }, (_, i) => ({ id: 5000 + f * 6 + i, vector: next() }));
      added.push(...documents);
      await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents });
      await runInDurableObject(namespaceStub(t.id, ns), (i: NamespaceDO) => i.flush());
      // describe counts the clusters maintenance has yet to rewrite: as many as the policy picks
      const flushed = await directoryOf(ns);
      const due = pickClusters(flushed, (await centroidsOf(ns)).targetClusterSize).length;
      if (due > 0) sawPending = true;
      expect((await api("GET", `/v1/namespaces/${ns}`, t.key)).body.storage.vector_maintenance).toEqual({ pending_clusters: due });
      await drain(ns);
      expect((await api("GET", `/v1/namespaces/${ns}`, t.key)).body.storage.vector_maintenance).toEqual({ pending_clusters: 0 });
    }
    expect(sawPending).toBe(true);
    const dir = await directoryOf(ns);
    expect(dir.nlist).toBe(built.nlist);
    const starts = clusterStarts(dir);
    for (let c = 0; c < dir.nlist; c++) expect(starts[c + 1] - starts[c]).toBeLessThanOrEqual(MAX_CLUSTER_BLOCKS + 1);
    // The deltas were merged (more flushes than blocks allowed) without rewriting any base block.
    expect(dir.blocks.length).toBeLessThan(built.blocks.length * (2 * MAX_CLUSTER_BLOCKS + 2));
    expect(baseOf(dir)).toEqual(baseOf(built));
    expect(dir.blocks.reduce((n, b) => n + b.count, 0)).toBe(1000 + added.length);
    for (const doc of added) {
      const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: doc.vector, top_k: 1 });
      expect(res.body.results[0].id).toBe(doc.id);
    }
    await expectManifestsComplete(t.id, ns);
  });
});

describe("vector index reads when cold", () => {
  const ns = "ann-cold";
  const dims = 768;
  const rand = seededRandom(31);
  const centres = Array.from({ length: 8 }, () => Array.from({ length: dims }, () => rand() * 2 - 1));
  const next = () => centres[Math.floor(rand() * centres.length)].map((x) => Math.round((x + (rand() - 0.5) * 0.6) * 1e4) / 1e4);

  it("waits on at most four storage round trips, reading a fraction of the index", async () => {
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: dims, metric: "cosine" }, attributes: { g: "int" } } });
    await configure(ns, { vectorIndexMinRows: 1000 });
    // 1,400 768-d entries with their vectors make a cluster object over 4 MiB: read by exact ranges.
    for (let b = 0; b < 4; b++) {
      const documents = Array.from({ length: 350 }, (_, i) => ({ id: b * 350 + i, vector: next(), attributes: { g: i % 7 } }));
      expect((await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents })).status).toBe(200);
    }
    await drain(ns);
    const m = await manifestOf(ns);
    expect(m.vector_index?.block_format).toBe(2);
    const dir = await directoryOf(ns);
    expect(dir.objects).toHaveLength(1);
    const q = next();
    const exact = await ids(ns, { vector: q, top_k: 10, exact: true, include_attributes: false });
    await api("POST", "/admin/cache/clear", "test-admin-token");
    const cold = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: q, top_k: 10, include_attributes: ["g"] });
    expect(cold.status, JSON.stringify(cold.body)).toBe(200);
    const perf = cold.body.performance;
    expect(perf.index_candidates).toBeGreaterThan(0);
    expect(perf.storage_round_trips).toBeGreaterThanOrEqual(3);
    expect(perf.storage_round_trips).toBeLessThanOrEqual(4);
    // directory + centroids + footers | block heads | survivors' ex rows | their vectors and documents
    expect(perf.cache.storage_bytes).toBeLessThan(dir.objects[0].bytes / 4);
    const got = cold.body.results.map((r: any) => r.id);
    expect(got.filter((id: number) => exact.includes(id)).length).toBeGreaterThanOrEqual(9);
    for (const r of cold.body.results) expect(r.attributes).toEqual({ g: (r.id % 350) % 7 });
    // the same query again is served by the isolate cache alone
    const warm = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: q, top_k: 10, include_attributes: ["g"] });
    expect(warm.body.results).toEqual(cold.body.results);
    expect(warm.body.performance.storage_round_trips).toBe(0);
  });
});

describe("vector index of an older block format", () => {
  const ns = "ann-format";
  const next = generator(41);

  it("is searched exactly until the alarm rebuilds it in the current format", async () => {
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: DIMS, metric: "cosine" } } });
    await configure(ns, { vectorIndexMinRows: 1000 });
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: Array.from({ length: 1200 }, (_, i) => ({ id: i, vector: next() })) });
    await drain(ns);
    const built = await manifestOf(ns);
    expect(built.vector_index?.block_format).toBe(2);
    // what a manifest written before block format 2 looks like (Workers cache manifests by version:
    // forget this one there)
    await runInDurableObject(namespaceStub(t.id, ns), async (_i, state) => {
      const { block_format: _, ...old } = built.vector_index!;
      state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'manifest'", JSON.stringify({ ...built, vector_index: old }));
      await state.storage.deleteAlarm(); // no rebuild before the queries below
    });
    await api("POST", "/admin/cache/clear", "test-admin-token");
    const q = next();
    const exact = await ids(ns, { vector: q, top_k: 10, exact: true });
    const before = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: q, top_k: 10 });
    expect(before.body.performance.index_candidates).toBe(0);
    expect(before.body.performance.exhaustive_search_count).toBe(1200);
    expect(before.body.results.map((r: any) => r.id)).toEqual(exact);
    // a write's flush adds no fragment to the old index; the alarm then rebuilds it
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 5000, vector: q }] });
    await drain(ns);
    const rebuilt = await manifestOf(ns);
    expect(rebuilt.vector_index?.block_format).toBe(2);
    expect(rebuilt.vector_index?.directory.key).not.toBe(built.vector_index!.directory.key);
    expect(rebuilt.vector_index?.entries).toBe(1201);
    const after = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: q, top_k: 10 });
    expect(after.body.performance.index_candidates).toBeGreaterThan(0);
    expect(after.body.results[0].id).toBe(5000);
    await expectManifestsComplete(t.id, ns);
    await expectNoUnnamedObjects(t.id, ns);
  });
});

describe("vector index build in steps", () => {
  const ns = "ann-steps";
  const next = generator(53);

  it("takes bounded alarms, keeps answering and takes in the writes that arrive meanwhile", async () => {
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: DIMS, metric: "cosine" } } });
    // small scratch fragments (~90 entries of 32-d) and 300 vectors per alarm: a build of many steps
    await configure(ns, { vectorIndexMinRows: 1000, flushSliceRows: 500, flushDelayMs: 60_000, vectorBuildBatchBytes: 16 << 10, vectorBuildAlarmVectors: 300 });
    const docs = new Map<number, number[]>();
    const upsert = async (from: number, n: number) => {
      const documents = Array.from({ length: n }, (_, i) => ({ id: from + i, vector: next() }));
      for (const d of documents) docs.set(d.id, d.vector);
      expect((await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents })).status).toBe(200);
    };
    for (let b = 0; b < 4; b++) await upsert(b * 500, 500); // segments (and row groups) of 500
    const stub = namespaceStub(t.id, ns);
    const job = () => runInDurableObject(stub, (_i, state) => {
      const row = state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'vector_build'").toArray()[0];
      return row ? (JSON.parse(row.value) as { phase: string; progress: { vectors: number }; fragments: unknown[]; alarms: number; maxAlarmVectors: number }) : null;
    });
    const segments = async () => (await manifestOf(ns)).segments.length;
    let sawJob = false;
    let wrote = false;
    for (let alarm = 0; alarm < 500; alarm++) {
      await runInDurableObject(stub, (_i, state) => state.storage.setAlarm(Date.now() + 60_000));
      await runDurableObjectAlarm(stub);
      const j = await job();
      if (j) {
        sawJob = true;
        if (!wrote) {
          // writes during the build: new documents, replaced ones and deletes
          wrote = true;
          const before = await segments();
          await upsert(2000, 400);
          await upsert(0, 50);
          for (let i = 100; i < 130; i++) docs.delete(i);
          await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: Array.from({ length: 30 }, (_, i) => 100 + i) });
          // answered meanwhile, before and after their flush
          const q = docs.get(2100)!;
          expect((await ids(ns, { vector: q, top_k: 1 }))[0]).toBe(2100);
          await runInDurableObject(stub, (i: NamespaceDO) => i.flush());
          expect(await segments()).toBeGreaterThan(before);
          expect((await ids(ns, { vector: q, top_k: 1 }))[0]).toBe(2100);
        }
      } else if (sawJob) break;
    }
    expect(sawJob && wrote).toBe(true);
    // each alarm did at most its budget plus the step that crossed it: a row group to encode (one
    // flush of ≤ 500 here) or a cluster range to merge (one cluster when it is larger than a range)
    const dir = await directoryOf(ns);
    const clusterEntries = new Map<number, number>();
    for (const b of dir.blocks) clusterEntries.set(b.clusterId, (clusterEntries.get(b.clusterId) ?? 0) + b.count);
    const largestStep = Math.max(500, ...clusterEntries.values());
    const built = (await api("GET", `/v1/namespaces/${ns}`, t.key)).body.storage.vector_build;
    expect(built.running).toBeNull();
    expect(built.last).toMatchObject({ phase: "committed", live: 2000, vectors: 2000 + 400 + 50 });
    expect(built.last.alarms).toBeGreaterThan(6);
    expect(built.last.max_alarm_vectors).toBeGreaterThan(0);
    expect(built.last.max_alarm_vectors).toBeLessThanOrEqual(300 + largestStep);
    await drain(ns);
    const m = await manifestOf(ns);
    expect(m.vector_index?.block_format).toBe(2);
    // every live document is found through the index by its own vector; deleted ones never
    const all = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { top_k: 10_000, include_attributes: false });
    expect(all.body.results.map((r: any) => r.id).sort((a: number, b: number) => a - b)).toEqual([...docs.keys()].sort((a, b) => a - b));
    let found = 0;
    const sample = [...docs.keys()].filter((id) => id % 37 === 0 || id >= 2390);
    for (const id of sample) {
      const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: docs.get(id), top_k: 3, include_attributes: false });
      expect(res.body.performance.index_candidates).toBeGreaterThan(0);
      if (res.body.results[0].id === id) found++;
      for (const r of res.body.results) expect(r.id < 100 || r.id >= 130).toBe(true);
    }
    expect(found / sample.length).toBeGreaterThanOrEqual(0.95);
    await expectManifestsComplete(t.id, ns);
    await runInDurableObject(stub, (i: NamespaceDO) => Object.assign(i.config, { orphanSweepMs: 0 }));
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 9999, vector: next() }] });
    await drain(ns);
    await expectNoUnnamedObjects(t.id, ns);
  });
});
