/**
 * Queries through the official turbopuffer client, on a namespace whose documents are partly in
 * segments and partly in the unflushed tail: every rank_by form (ANN, kNN, BM25, Sum, Product, Max,
 * attribute order), every filter operator, projections, vector encodings, aggregations, multi-query
 * with and without RRF, consistency levels, and 400s that name the field.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { makeTenant, namespaceStub, type TestTenant } from "../../helpers/api.ts";
import { seededRandom } from "../../helpers/random.ts";
import { tpufClient } from "../../helpers/turbopuffer.ts";

const NS = "tq";
const words = ["fox", "dog", "cat", "quick", "lazy", "brown", "jumps", "sleeps"];
const categories = ["a", "b", "c"];

interface Doc {
  id: number;
  vector: number[];
  title: string;
  body: string;
  price: number;
  category: string;
  tags: string[];
  name: string;
}

let t: TestTenant;
let ns: ReturnType<ReturnType<typeof tpufClient>["namespace"]>;
const docs: Doc[] = [];

function make(id: number, rand: () => number): Doc {
  const pick = () => words[Math.floor(rand() * words.length)];
  return {
    id,
    vector: [rand() - 0.5, rand() - 0.5, rand() - 0.5],
    title: `${pick()} ${pick()}`,
    body: `${pick()} ${pick()} ${pick()} ${pick()}`,
    price: Math.round(rand() * 1000) / 10,
    category: categories[id % 3],
    tags: [pick(), pick()].filter((w, i, a) => a.indexOf(w) === i),
    name: `Item-${String(id).padStart(3, "0")}`,
  };
}

function row(d: Doc) {
  const { vector: _v, ...attrs } = d;
  return { ...attrs };
}

beforeAll(async () => {
  t = await makeTenant();
  ns = tpufClient(t.key).namespace(NS);
  const rand = seededRandom(11);
  for (let i = 1; i <= 60; i++) docs.push(make(i, rand));
  const schema = {
    title: { type: "string", full_text_search: { language: "english", stemming: true } },
    body: { type: "string", full_text_search: true, filterable: true },
    tags: { type: "[]string" },
  };
  await ns.write({ upsert_rows: docs.slice(0, 40) as never, distance_metric: "euclidean_squared", schema: schema as never });
  while (await runDurableObjectAlarm(namespaceStub(t.id, NS))) {
    // flush the first 40 into a segment
  }
  await ns.write({ upsert_rows: docs.slice(40) as never });
});

const dist = (a: number[], b: number[]) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (Math.fround(a[i]) - Math.fround(b[i])) ** 2;
  return s;
};

describe("rank_by", () => {
  it("ANN and kNN rank by distance, with $dist", async () => {
    const q = [0.1, -0.2, 0.3];
    const expected = docs.map((d) => ({ id: d.id, d: dist(d.vector, q) })).sort((a, b) => a.d - b.d).slice(0, 7);
    for (const op of ["ANN", "kNN"] as const) {
      const r = await ns.query({ rank_by: ["vector", op, q] as never, top_k: 7 });
      expect(r.rows!.map((x) => x.id)).toEqual(expected.map((e) => e.id));
      r.rows!.forEach((x, i) => expect(x.$dist).toBeCloseTo(expected[i].d, 5));
      expect(Object.keys(r.rows![0]).sort()).toEqual(["$dist", "id"]);
      expect(r.billing.billable_logical_bytes_queried).toBeGreaterThanOrEqual(0);
      expect(r.performance.approx_namespace_size).toBe(60);
      expect(r.performance.server_total_ms).toBeGreaterThanOrEqual(0);
      expect(["hot", "warm", "cold"]).toContain(r.performance.cache_temperature);
    }
  });

  it("BM25 on one attribute, Sum with Product weights, and Max", async () => {
    const single = await ns.query({ rank_by: ["body", "BM25", "fox dog"], top_k: 10 });
    expect(single.rows!.length).toBeGreaterThan(0);
    for (const r of single.rows!) expect(/fox|dog/.test(docs[(r.id as number) - 1].body)).toBe(true);
    const scores = single.rows!.map((r) => r.$dist as number);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    const sum = await ns.query({ rank_by: ["Sum", [["Product", 2, ["title", "BM25", "jumping"]], ["body", "BM25", "cat"]]], top_k: 60 });
    const title = await ns.query({ rank_by: ["title", "BM25", "jumping"], top_k: 60 });
    const body = await ns.query({ rank_by: ["body", "BM25", "cat"], top_k: 60 });
    const byId = (rows: any[]) => new Map(rows.map((r) => [r.id, r.$dist as number]));
    const t1 = byId(title.rows!);
    const b1 = byId(body.rows!);
    for (const r of sum.rows!) expect(r.$dist).toBeCloseTo(2 * (t1.get(r.id) ?? 0) + (b1.get(r.id) ?? 0), 6);
    expect(sum.rows!.length).toBe(new Set([...t1.keys(), ...b1.keys()]).size);
    // Stemming on title: "jumping" matches "jumps".
    expect(t1.size).toBe(docs.filter((d) => d.title.includes("jumps")).length);

    const max = await ns.query({ rank_by: ["Max", [["title", "BM25", "jumping"], ["body", "BM25", "cat"]]], top_k: 60 });
    for (const r of max.rows!) expect(r.$dist).toBeCloseTo(Math.max(t1.get(r.id) ?? 0, b1.get(r.id) ?? 0), 6);
  });

  it("orders by an attribute, ascending and descending, without $dist; id order by default", async () => {
    const asc = await ns.query({ rank_by: ["price", "asc"], top_k: 5, include_attributes: ["price"] });
    const sorted = [...docs].sort((a, b) => a.price - b.price || a.id - b.id);
    expect(asc.rows!.map((r) => r.id)).toEqual(sorted.slice(0, 5).map((d) => d.id));
    expect(asc.rows![0].$dist).toBeUndefined();
    const desc = await ns.query({ rank_by: ["name", "desc"], top_k: 3 });
    expect(desc.rows!.map((r) => r.id)).toEqual([60, 59, 58]);
    const byId = await ns.query({ top_k: 4 });
    expect(byId.rows).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }]);
    const idDesc = await ns.query({ rank_by: ["id", "desc"], top_k: 2 });
    expect(idDesc.rows!.map((r) => r.id)).toEqual([60, 59]);
  });
});

describe("filters", () => {
  const ids = (pred: (d: Doc) => boolean) => docs.filter(pred).map((d) => d.id);
  const cases: [string, unknown, (d: Doc) => boolean][] = [
    ["Eq", ["category", "Eq", "a"], (d) => d.category === "a"],
    ["NotEq", ["category", "NotEq", "a"], (d) => d.category !== "a"],
    ["In", ["category", "In", ["a", "c"]], (d) => d.category !== "b"],
    ["NotIn", ["category", "NotIn", ["a", "c"]], (d) => d.category === "b"],
    ["Lt", ["price", "Lt", 50], (d) => d.price < 50],
    ["Lte", ["price", "Lte", 50], (d) => d.price <= 50],
    ["Gt", ["price", "Gt", 50], (d) => d.price > 50],
    ["Gte", ["price", "Gte", 50], (d) => d.price >= 50],
    ["Contains", ["tags", "Contains", "fox"], (d) => d.tags.includes("fox")],
    ["NotContains", ["tags", "NotContains", "fox"], (d) => !d.tags.includes("fox")],
    ["ContainsAny", ["tags", "ContainsAny", ["fox", "dog"]], (d) => d.tags.includes("fox") || d.tags.includes("dog")],
    ["NotContainsAny", ["tags", "NotContainsAny", ["fox", "dog"]], (d) => !d.tags.includes("fox") && !d.tags.includes("dog")],
    ["Glob", ["name", "Glob", "Item-0[1-2]*"], (d) => /^Item-0[12]/.test(d.name)],
    ["NotGlob", ["name", "NotGlob", "Item-0[1-2]*"], (d) => !/^Item-0[12]/.test(d.name)],
    ["IGlob", ["name", "IGlob", "item-05?"], (d) => /^Item-05.$/.test(d.name)],
    ["NotIGlob", ["name", "NotIGlob", "item-05?"], (d) => !/^Item-05.$/.test(d.name)],
    ["ContainsAllTokens", ["body", "ContainsAllTokens", "fox dog"], (d) => d.body.split(" ").includes("fox") && d.body.split(" ").includes("dog")],
    ["ContainsAnyToken", ["body", "ContainsAnyToken", ["lazy", "quick"]], (d) => /\b(lazy|quick)\b/.test(d.body)],
    // title is full-text and not filterable, but token filters still apply to it.
    ["ContainsAllTokens (not filterable)", ["title", "ContainsAllTokens", "jumping"], (d) => d.title.split(" ").includes("jumps")],
    ["id", ["id", "In", [3, 5, 99]], (d) => d.id === 3 || d.id === 5],
    ["And", ["And", [["category", "Eq", "a"], ["price", "Gte", 20]]], (d) => d.category === "a" && d.price >= 20],
    ["Or", ["Or", [["category", "Eq", "a"], ["price", "Lt", 20]]], (d) => d.category === "a" || d.price < 20],
    ["Not", ["Not", ["Or", [["category", "Eq", "a"], ["tags", "Contains", "cat"]]]], (d) => !(d.category === "a" || d.tags.includes("cat"))],
  ];
  for (const [name, filters, pred] of cases) {
    it(name, async () => {
      const r = await ns.query({ filters: filters as never, top_k: 100 });
      expect(r.rows!.map((x) => x.id)).toEqual(ids(pred));
    });
  }

  it("filters apply inside vector and BM25 search", async () => {
    const q = [0, 0, 0];
    const r = await ns.query({ rank_by: ["vector", "ANN", q], filters: ["category", "Eq", "b"], top_k: 5 });
    const expected = docs.filter((d) => d.category === "b").sort((a, b) => dist(a.vector, q) - dist(b.vector, q)).slice(0, 5);
    expect(r.rows!.map((x) => x.id)).toEqual(expected.map((d) => d.id));
    const f = await ns.query({ rank_by: ["body", "BM25", "fox"], filters: ["price", "Lt", 50], top_k: 60 });
    expect(f.rows!.every((x) => docs[(x.id as number) - 1].price < 50)).toBe(true);
  });
});

describe("projection and encoding", () => {
  it("include_attributes true or a list, exclude_attributes, base64 vectors", async () => {
    const all = await ns.query({ filters: ["id", "Eq", 41], include_attributes: true });
    expect(all.rows![0]).toEqual({ ...row(docs[40]), vector: docs[40].vector.map((x) => Math.fround(x)) });
    const some = await ns.query({ filters: ["id", "Eq", 2], include_attributes: ["price", "vector"] });
    expect(some.rows![0]).toEqual({ id: 2, price: docs[1].price, vector: docs[1].vector.map((x) => Math.fround(x)) });
    const ex = await ns.query({ filters: ["id", "Eq", 2], exclude_attributes: ["body", "title", "vector"] });
    const { body: _b, title: _t, ...rest } = row(docs[1]);
    expect(ex.rows![0]).toEqual(rest);
    const enc = await ns.query({ filters: ["id", "Eq", 2], include_attributes: ["vector"], vector_encoding: "base64" });
    const bytes = Uint8Array.from(atob(enc.rows![0].vector as string), (c) => c.charCodeAt(0));
    expect(Array.from(new Float32Array(bytes.buffer))).toEqual(docs[1].vector.map((x) => Math.fround(x)));
  });
});

describe("aggregations", () => {
  it("counts matching documents, overall and per group", async () => {
    const all = await ns.query({ aggregate_by: { n: ["Count"] }, filters: ["price", "Gte", 30] });
    expect(all.aggregations).toEqual({ n: docs.filter((d) => d.price >= 30).length });
    expect(all.rows).toBeUndefined();
    const grouped = await ns.query({ aggregate_by: { n: ["Count"] }, group_by: ["category"] });
    const expected = categories.map((c) => ({ category: c, n: docs.filter((d) => d.category === c).length }));
    expect(new Set(grouped.aggregation_groups)).toEqual(new Set(expected));
    expect(grouped.aggregation_groups!.length).toBe(3);
  });
});

describe("multi-query", () => {
  it("answers each sub-query on one snapshot, or fuses them with RRF", async () => {
    const q = [0.2, 0.2, -0.1];
    const queries = [
      { rank_by: ["vector", "ANN", q], top_k: 20 },
      { rank_by: ["body", "BM25", "fox cat"], top_k: 20 },
    ] as const;
    const plain = await ns.multiQuery({ queries: queries as never });
    expect(plain.results).toHaveLength(2);
    const a = plain.results[0].rows!;
    const b = plain.results[1].rows!;
    expect(a).toEqual((await ns.query(queries[0] as never)).rows);
    expect(b).toEqual((await ns.query(queries[1] as never)).rows);

    const k = 10;
    const weights = [2, 1];
    const fused = await ns.multiQuery({ queries: queries as never, rerank_by: ["RRF", { rank_constant: k, weights }] });
    expect(fused.results).toHaveLength(1);
    const scores = new Map<unknown, number>();
    [a, b].forEach((rows, arm) => rows.forEach((r, i) => scores.set(r.id, (scores.get(r.id) ?? 0) + weights[arm] / (k + i + 1))));
    const rows = fused.results[0].rows!;
    expect(rows).toHaveLength(20);
    rows.forEach((r) => expect(r.$dist).toBeCloseTo(scores.get(r.id)!, 12));
    const best = [...scores.values()].sort((x, y) => y - x).slice(0, 20);
    expect(rows.map((r) => r.$dist)).toEqual(best.map((s) => expect.closeTo(s, 12)));
    expect(fused.billing).toBeDefined();
    expect(fused.performance.exhaustive_search_count).toBeGreaterThanOrEqual(0);
  });

  it("validates rerank_by and sub-queries", async () => {
    const q = { rank_by: ["body", "BM25", "fox"] };
    for (const [body, msg] of [
      [{ queries: [q], rerank_by: ["RRF", { weights: [1, 2] }] }, /rerank_by\[1\]\.weights: expected 1 weights/],
      [{ queries: [q], rerank_by: ["RRF", { rank_constant: 0 }] }, /rank_constant/],
      [{ queries: [{ ...q, consistency: { level: "eventual" } }] }, /queries\[0\]\.consistency/],
      [{ queries: [{ ...q, top_k: 0 }] }, /top_k/],
    ] as const) {
      const err = await ns.multiQuery(body as never).catch((e) => e);
      expect(err.status).toBe(400);
      expect(err.message).toMatch(msg);
    }
  });
});

describe("explain_query", () => {
  it("describes the plan without running it", async () => {
    const r = await ns.explainQuery({ rank_by: ["Sum", [["Product", 2, ["title", "BM25", "jumping fox"]], ["body", "BM25", "cat"]]], filters: ["And", [["price", "Lt", 50], ["tags", "Contains", "fox"]]], top_k: 5, include_attributes: ["price"] });
    expect(r.plan_text).toContain("rank: BM25 title[jump×2 fox×2] + body[cat], top 5");
    expect(r.plan_text).toContain('filter: and(price lt 50, tags contains "fox")');
    expect(r.plan_text).toContain("return: id, price");
    const agg = await ns.explainQuery({ aggregate_by: { n: ["Count"] }, group_by: ["category"], consistency: { level: "eventual" } });
    expect(agg.plan_text).toMatch(/aggregate: count as n grouped by category/);
    expect(agg.plan_text).toMatch(/eventual/);
    expect((await ns.explainQuery({ rank_by: ["nope", "BM25", "x"] }).catch((e) => e)).status).toBe(400);
  });
});

describe("consistency and errors", () => {
  it("eventual reads see flushed data", async () => {
    while (await runDurableObjectAlarm(namespaceStub(t.id, NS))) {
      // flush the tail
    }
    // A strong read refreshes the manifest this isolate knows; eventual reads then use it.
    await ns.query({ top_k: 1 });
    const r = await ns.query({ consistency: { level: "eventual" }, top_k: 100 });
    expect(r.rows!.length).toBe(60);
    expect((r.performance as unknown as { consistency: string }).consistency).toBe("eventual");
  });

  it("400s name the offending field", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ top_k: 10_001 }, /top_k: expected an integer from 1 to 10000/],
      [{ filters: ["price", "Between", 1] }, /filters\(price\): unknown operator .*Between/],
      [{ filters: ["nope", "Eq", 1] }, /unknown attribute 'nope'/],
      [{ filters: ["title", "Eq", "x"] }, /'title' is not filterable/],
      [{ filters: ["And", [["price", "Gt", "cheap"]]] }, /filters\.And\[0\]\(price\)\.value/],
      [{ filters: ["name", "Regex", "x"] }, /Regex filter is not supported/],
      [{ rank_by: ["vector", "ANN", [1, 2]] }, /rank_by\[2\]: expected 3 dimensions, got 2/],
      [{ rank_by: ["price", "BM25", "x"] }, /'price' is not full-text indexed/],
      [{ rank_by: ["Sum", [["title", "BM25", "a"], ["title", "Fuzzy", "b"]]] }, /rank_by\.Sum\[1\]/],
      [{ rank_by: ["tags", "asc"] }, /array attribute/],
      [{ include_attributes: "all" }, /include_attributes/],
      [{ consistency: { level: "sometimes" } }, /consistency\.level/],
      [{ vector_encoding: "hex" }, /vector_encoding/],
      [{ aggregate_by: { n: ["Sum", "price"] } }, /aggregate_by\.n: the Sum aggregation is not supported/],
      [{ compute_attributes: {} }, /compute_attributes: not supported/],
      [{ distance_metric: "cosine_distance", rank_by: ["vector", "ANN", [1, 2, 3]] }, /distance_metric: this namespace uses euclidean_squared/],
    ];
    for (const [body, msg] of cases) {
      const err = await ns.query(body as never).catch((e) => e);
      expect(err?.status, JSON.stringify(body)).toBe(400);
      expect(err.message, JSON.stringify(body)).toMatch(msg);
    }
  });
});
