import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";
import { seededRandom } from "../helpers/random.ts";

let t: TestTenant;
const ns = "order-agg";
const colors = ["red", "green", "blue", "amber"];
interface Doc {
  id: number;
  vector: number[];
  attributes: { price?: number; color: string; name: string; when: string; text: string };
}
const live = new Map<number, Doc>();

async function drain() {
  while (await runDurableObjectAlarm(namespaceStub(t.id, ns))) {
    // flush until idle
  }
}

beforeAll(async () => {
  t = await makeTenant();
  await api("PUT", `/v1/namespaces/${ns}`, t.key, {
    schema: {
      vector: { dimensions: 2 },
      attributes: { price: "float", color: "string", name: "string", when: "datetime", text: { type: "string", full_text: { stemming: true } } },
    },
  });
  const rand = seededRandom(3);
  const make = (id: number): Doc => ({
    id,
    vector: [rand(), rand()],
    attributes: {
      // Every 10th document has no price: nulls sort last.
      ...(id % 10 === 0 ? {} : { price: Math.floor(rand() * 50) }),
      color: colors[id % 4],
      name: `n${String(1000 - id).padStart(4, "0")}`,
      when: new Date(Date.UTC(2024, 0, 1 + (id % 28))).toISOString(),
      text: id % 3 === 0 ? "running dogs chase cats" : id % 3 === 1 ? "a dog runs" : "cats sleep",
    },
  });
  for (let b = 0; b < 3; b++) {
    const docs = Array.from({ length: 60 }, (_, i) => make(b * 60 + i));
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: docs });
    docs.forEach((d) => live.set(d.id, d));
    await drain();
  }
  const updates = Array.from({ length: 20 }, (_, i) => make(i * 9));
  await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: updates });
  updates.forEach((d) => live.set(d.id, d));
  await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: [1, 2, 3, 150] });
  [1, 2, 3, 150].forEach((id) => live.delete(id));
});

function expectedOrder(field: "price" | "name" | "when" | "id", desc: boolean, keep: (d: Doc) => boolean, k: number): number[] {
  const value = (d: Doc) => (field === "id" ? d.id : field === "when" ? Date.parse(d.attributes.when) : d.attributes[field]);
  return [...live.values()]
    .filter(keep)
    .sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if ((va === undefined) !== (vb === undefined)) return va === undefined ? 1 : -1;
      if (va !== undefined && vb !== undefined && va !== vb) return (va < vb ? -1 : 1) * (desc ? -1 : 1);
      return a.id - b.id;
    })
    .slice(0, k)
    .map((d) => d.id);
}

describe("order by attribute", () => {
  for (const [field, desc] of [["price", false], ["price", true], ["name", false], ["when", true], ["id", true]] as const) {
    it(`${field} ${desc ? "desc" : "asc"} across segments and the tail, nulls last`, async () => {
      const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { order_by: { field, direction: desc ? "desc" : "asc" }, top_k: 40, include_attributes: ["color"] });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.results.map((r: any) => r.id)).toEqual(expectedOrder(field, desc, () => true, 40));
      expect(res.body.results[0].score).toBeUndefined();
    });
  }
  it("with a filter, and up to every document", async () => {
    const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { order_by: { field: "price", direction: "desc" }, filter: { field: "color", op: "in", value: ["red", "blue"] }, top_k: 1000 });
    expect(res.body.results.map((r: any) => r.id)).toEqual(expectedOrder("price", true, (d) => ["red", "blue"].includes(d.attributes.color), 1000));
  });
  it("rejects bad order_by", async () => {
    for (const order_by of [{ field: "nope" }, { field: "price", direction: "up" }, "price"]) {
      expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, { order_by })).status).toBe(400);
    }
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, { order_by: { field: "price" }, vector: [0, 0] })).status).toBe(400);
  });
});

describe("count aggregation", () => {
  it("counts every live document, and per group", async () => {
    const total = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { aggregate_by: { n: "count" } });
    expect(total.status, JSON.stringify(total.body)).toBe(200);
    expect(total.body.aggregations).toEqual({ n: live.size });
    expect(total.body.results).toBeUndefined();

    const grouped = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { aggregate_by: { n: "count" }, group_by: ["color"], filter: { field: "price", op: "gte", value: 10 } });
    const want = new Map<string, number>();
    for (const d of live.values()) if ((d.attributes.price ?? -1) >= 10) want.set(d.attributes.color, (want.get(d.attributes.color) ?? 0) + 1);
    const got = new Map(grouped.body.aggregation_groups.map((g: any) => [g.color, g.n]));
    expect(got).toEqual(want);
    // Largest counts first.
    const ns_ = grouped.body.aggregation_groups.map((g: any) => g.n);
    expect([...ns_].sort((a, b) => b - a)).toEqual(ns_);
  });
  it("groups by several attributes, nulls included, limited by top_k", async () => {
    const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { aggregate_by: { c: "count" }, group_by: ["color", "price"], top_k: 5 });
    expect(res.body.aggregation_groups).toHaveLength(5);
    expect(Object.keys(res.body.aggregation_groups[0]).sort()).toEqual(["c", "color", "price"]);
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, { aggregate_by: { c: "sum" } })).status).toBe(400);
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, { group_by: ["color"] })).status).toBe(400);
  });
});

describe("token filters", () => {
  it("contains_all_tokens / contains_any_token use the attribute's analyzer", async () => {
    const ids = async (filter: unknown) =>
      (await api("POST", `/v1/namespaces/${ns}/query`, t.key, { filter, top_k: 1000, include_attributes: false })).body.results.map((r: any) => r.id).sort((a: number, b: number) => a - b);
    const byText = (pred: (text: string) => boolean) => [...live.values()].filter((d) => pred(d.attributes.text)).map((d) => d.id).sort((a, b) => a - b);
    // Stemming: "dogs running" → {dog, run}; matches "running dogs chase cats" and "a dog runs".
    expect(await ids({ field: "text", op: "contains_all_tokens", value: "dogs running" })).toEqual(byText((x) => x.includes("dog")));
    expect(await ids({ field: "text", op: "contains_any_token", value: "chase sleep" })).toEqual(byText((x) => x.includes("chase") || x.includes("sleep")));
    expect(await ids({ field: "text", op: "not_contains_any_token", value: "cat" })).toEqual(byText((x) => !x.includes("cat")));
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, { filter: { field: "color", op: "contains_all_tokens", value: "red" } })).status).toBe(400);
  });
});
