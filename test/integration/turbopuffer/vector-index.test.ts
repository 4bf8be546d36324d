/**
 * turbopuffer's vector ranking on a namespace with a built vector index: ["vector", "ANN", v] goes
 * through the index, ["vector", "kNN", v] is exact, `_debug/recall` measures one against the other,
 * and hint_cache_warm loads the index's centroids.
 */
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { NamespaceDO } from "../../../durable-objects/namespace-do.ts";
import { admin } from "../../helpers/admin.ts";
import { drainAlarms, makeTenant, namespaceStub, type TestTenant } from "../../helpers/api.ts";
import { seededRandom } from "../../helpers/random.ts";
import { tpufClient } from "../../helpers/turbopuffer.ts";

const NS = "tp-ann";
const DIMS = 16;
let t: TestTenant;
let ns: ReturnType<ReturnType<typeof tpufClient>["namespace"]>;
const rand = seededRandom(17);
const centres = Array.from({ length: 12 }, () => Array.from({ length: DIMS }, () => rand() * 2 - 1));
const vector = () => centres[Math.floor(rand() * centres.length)].map((x) => x + (rand() - 0.5) * 0.4);
const docs: { id: number; vector: number[] }[] = [];

async function drain() {
  await drainAlarms(t.id, NS);
}

beforeAll(async () => {
  t = await makeTenant();
  ns = tpufClient(t.key).namespace(NS);
  await ns.write({ upsert_rows: [{ id: 0, vector: vector(), g: 0 }], distance_metric: "euclidean_squared" });
  await runInDurableObject(namespaceStub(t.id, NS), (instance: NamespaceDO) => {
    Object.assign(instance.config, { vectorIndexMinRows: 500 });
  });
  for (let b = 0; b < 2; b++) {
    const rows = Array.from({ length: 800 }, (_, i) => ({ id: b * 800 + i + 1, vector: vector(), g: i % 4 }));
    rows.forEach((r) => docs.push(r));
    await ns.write({ upsert_rows: rows });
    await drain();
  }
});

describe("vector index through the turbopuffer API", () => {
  it("ANN uses the index, kNN scans exactly, and they agree on most neighbours", async () => {
    const q = vector();
    const exactIds = [...docs]
      .map((d) => ({ id: d.id, d: d.vector.reduce((s, x, i) => s + (Math.fround(x) - Math.fround(q[i])) ** 2, 0) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, 10)
      .map((x) => x.id);
    const knn = await ns.query({ rank_by: ["vector", "kNN", q], top_k: 10, filters: ["id", "NotEq", 0] });
    expect(knn.rows!.map((r) => r.id)).toEqual(exactIds);
    const kp = knn.performance as any;
    expect(kp.index_candidates).toBe(0);
    expect(kp.exhaustive_search_count).toBeGreaterThan(1000);
    const ann = await ns.query({ rank_by: ["vector", "ANN", q], top_k: 10 });
    const ap = ann.performance as any;
    expect(ap.index_candidates).toBeGreaterThan(0);
    expect(ap.exhaustive_search_count).toBeLessThan(1000);
    const overlap = ann.rows!.filter((r) => exactIds.includes(r.id as number)).length;
    expect(overlap).toBeGreaterThanOrEqual(8);
  });

  it("_debug/recall compares the index with exact search", async () => {
    const r = await ns.recall({ num: 10, top_k: 10 });
    expect(r.avg_recall).toBeGreaterThanOrEqual(0.8);
    expect(r.avg_ann_count).toBeGreaterThan(0);
    expect(r.avg_exhaustive_count).toBeGreaterThan(1000);
    const filtered = await ns.recall({ num: 5, top_k: 5, filters: ["g", "Eq", 1] });
    expect(filtered.avg_recall).toBeGreaterThanOrEqual(0.8);
  });

  it("hint_cache_warm loads the index's centroids", async () => {
    await admin("POST", "/cache/clear");
    const warm = await ns.hintCacheWarm();
    expect(warm.message).toMatch(/vector index centroids/);
  });
});
