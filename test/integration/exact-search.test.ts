import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";
import { randomVector, seededRandom } from "../helpers/random.ts";

const DIMS = 16;
const N = 3000;
let t: TestTenant;

interface Doc {
  id: number;
  vector: number[];
  attributes: { price: number; color: string; tags: string[] };
}

function reference(metric: string, q: number[], docs: Doc[], k: number, keep: (d: Doc) => boolean = () => true): number[] {
  const f32 = (v: number[]) => Array.from(new Float32Array(v));
  const qq = f32(q);
  const dist = (v: number[]) => {
    const x = f32(v);
    let dot = 0, nq = 0, nx = 0, l2 = 0;
    for (let i = 0; i < x.length; i++) {
      dot += qq[i] * x[i];
      nq += qq[i] * qq[i];
      nx += x[i] * x[i];
      l2 += (qq[i] - x[i]) ** 2;
    }
    if (metric === "euclidean_squared") return l2;
    if (metric === "dot_product") return -dot;
    return 1 - dot / Math.sqrt(nq * nx);
  };
  return docs
    .filter(keep)
    .map((d) => ({ id: d.id, d: dist(d.vector) }))
    .sort((a, b) => a.d - b.d || a.id - b.id)
    .slice(0, k)
    .map((x) => x.id);
}

async function drain(ns: string) {
  while (await runDurableObjectAlarm(namespaceStub(t.id, ns))) {
    // keep flushing
  }
}

beforeAll(async () => {
  t = await makeTenant();
});

describe.each(["cosine", "euclidean_squared", "dot_product"])("exact search (%s) equals brute force", (metric) => {
  const ns = `exact-${metric.replace("_", "-")}`;
  const rand = seededRandom(metric.length * 7919);
  const colors = ["red", "green", "blue"];
  let live: Map<number, Doc>;

  beforeAll(async () => {
    await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: DIMS, metric } } });
    live = new Map();
    const docs: Doc[] = Array.from({ length: N }, (_, i) => ({
      id: i,
      vector: randomVector(rand, DIMS),
      attributes: { price: Math.floor(rand() * 1000), color: colors[i % 3], tags: [colors[(i + 1) % 3], `g${i % 7}`] },
    }));
    // Three segments, then updates and deletes both flushed and left in the tail.
    for (let b = 0; b < 3; b++) {
      const batch = docs.slice(b * 1000, (b + 1) * 1000);
      expect((await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: batch })).status).toBe(200);
      batch.forEach((d) => live.set(d.id, d));
      await drain(ns);
    }
    const updates = Array.from({ length: 200 }, (_, i) => ({ ...docs[i * 7], vector: randomVector(rand, DIMS) }));
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: updates.slice(0, 100) });
    await drain(ns);
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: updates.slice(100) });
    updates.forEach((d) => live.set(d.id, d));
    const deleted = Array.from({ length: 150 }, (_, i) => i * 13 + 1);
    await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: deleted.slice(0, 75) });
    await drain(ns);
    await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: deleted.slice(75) });
    deleted.forEach((id) => live.delete(id));
  });

  it("without a filter", async () => {
    for (let qi = 0; qi < 5; qi++) {
      const q = randomVector(rand, DIMS);
      const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: q, top_k: 20, include_attributes: false });
      expect(res.status).toBe(200);
      expect(res.body.results.map((r: any) => r.id)).toEqual(reference(metric, q, [...live.values()], 20));
    }
    const desc = await api("GET", `/v1/namespaces/${ns}`, t.key);
    expect(desc.body.documents).toBe(live.size);
  });

  it("with filters", async () => {
    const filters: [unknown, (d: Doc) => boolean][] = [
      [{ field: "color", op: "eq", value: "red" }, (d) => d.attributes.color === "red"],
      [{ and: [{ field: "price", op: "gte", value: 200 }, { field: "price", op: "lt", value: 260 }] }, (d) => d.attributes.price >= 200 && d.attributes.price < 260],
      [{ or: [{ field: "tags", op: "contains", value: "g3" }, { not: { field: "color", op: "in", value: ["red", "green"] } }] }, (d) => d.attributes.tags.includes("g3") || d.attributes.color === "blue"],
      [{ field: "id", op: "lt", value: 500 }, (d) => d.id < 500],
      [{ field: "color", op: "glob", value: "gr*" }, (d) => d.attributes.color.startsWith("gr")],
      [{ field: "tags", op: "contains_any", value: ["g1", "g2"] }, (d) => d.attributes.tags.includes("g1") || d.attributes.tags.includes("g2")],
    ];
    for (const [filter, keep] of filters) {
      const q = randomVector(rand, DIMS);
      const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { vector: q, top_k: 15, filter, include_attributes: false });
      expect(res.status, JSON.stringify(filter)).toBe(200);
      expect(res.body.results.map((r: any) => r.id), JSON.stringify(filter)).toEqual(reference(metric, q, [...live.values()], 15, keep));
    }
  });
});
