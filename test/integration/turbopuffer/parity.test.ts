/**
 * The turbopuffer-compatible API is a translation layer over the same engine: for the same data and
 * the same query, it answers exactly what the Elacsym v1 API answers (ids, order and scores), for
 * vector, full-text, filtered, ordered, aggregate and hybrid (multi-query RRF vs v1 hybrid) queries.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeTenant, namespaceStub, type TestTenant } from "../../helpers/api.ts";
import { seededRandom } from "../../helpers/random.ts";
import { tpufClient } from "../../helpers/turbopuffer.ts";

const NS = "parity";
let t: TestTenant;
let ns: ReturnType<ReturnType<typeof tpufClient>["namespace"]>;

beforeAll(async () => {
  t = await makeTenant();
  ns = tpufClient(t.key).namespace(NS);
  const rand = seededRandom(21);
  const words = ["solar", "wind", "power", "grid", "battery", "storage", "panel", "turbine", "energy"];
  const text = (n: number) => Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(" ");
  await api("PUT", `/v1/namespaces/${NS}`, t.key, {
    schema: {
      vector: { dimensions: 4, metric: "cosine" },
      attributes: { title: { type: "string", full_text: true }, body: { type: "string", full_text: { stemming: true } }, price: "float", kind: "string" },
    },
  });
  const doc = (id: number) => ({
    id,
    vector: [rand(), rand(), rand(), rand()],
    attributes: { title: text(3), body: text(12), price: Math.round(rand() * 100), kind: ["x", "y", "z"][id % 3] },
  });
  // Two segments and a tail, with an update and a delete in the tail.
  for (const ids of [[...Array(40).keys()], [...Array(40).keys()].map((i) => i + 40)]) {
    await api("POST", `/v1/namespaces/${NS}/upsert`, t.key, { documents: ids.map(doc) });
    while (await runDurableObjectAlarm(namespaceStub(t.id, NS))) {
      // flush
    }
  }
  await api("POST", `/v1/namespaces/${NS}/upsert`, t.key, { documents: [doc(5), doc(90), doc(91)] });
  await api("POST", `/v1/namespaces/${NS}/delete`, t.key, { ids: [7] });
});

async function v1(body: Record<string, unknown>) {
  const r = await api("POST", `/v1/namespaces/${NS}/query`, t.key, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

const pairs = (rows: { id: unknown; score?: number; $dist?: number }[]) => rows.map((r) => [r.id, r.score ?? r.$dist]);

describe("same answers from both APIs", () => {
  it("vector search", async () => {
    const q = [0.3, 0.1, 0.5, 0.2];
    const a = await v1({ vector: q, top_k: 15, filter: { field: "price", op: "lt", value: 60 } });
    const b = await ns.query({ rank_by: ["vector", "kNN", q], top_k: 15, filters: ["price", "Lt", 60] });
    expect(pairs(b.rows!)).toEqual(pairs(a.results));
  });

  it("weighted multi-field BM25", async () => {
    const a = await v1({ full_text: { query: "solar storage", fields: { title: 2, body: 1 } }, top_k: 20 });
    const b = await ns.query({ rank_by: ["Sum", [["Product", 2, ["title", "BM25", "solar storage"]], ["body", "BM25", "solar storage"]]], top_k: 20 });
    expect(b.rows!.length).toBeGreaterThan(0);
    expect(pairs(b.rows!)).toEqual(pairs(a.results));
  });

  it("filters, ordering and attributes", async () => {
    const a = await v1({
      filter: { or: [{ field: "kind", op: "eq", value: "x" }, { not: { field: "price", op: "gte", value: 30 } }] },
      order_by: { field: "price", direction: "desc" },
      top_k: 30,
      include_attributes: ["price", "kind"],
    });
    const b = await ns.query({
      filters: ["Or", [["kind", "Eq", "x"], ["Not", ["price", "Gte", 30]]]],
      rank_by: ["price", "desc"],
      top_k: 30,
      include_attributes: ["price", "kind"],
    });
    expect(b.rows).toEqual(a.results.map((r: any) => ({ id: r.id, ...r.attributes })));
  });

  it("count aggregation with group_by", async () => {
    const a = await v1({ aggregate_by: { n: "count" }, group_by: ["kind"], filter: { field: "price", op: "gt", value: 20 } });
    const b = await ns.query({ aggregate_by: { n: ["Count"] }, group_by: ["kind"], filters: ["price", "Gt", 20] });
    expect(b.aggregation_groups).toEqual(a.aggregation_groups);
  });

  it("hybrid: v1's server-side RRF equals a multi-query fused with rerank_by RRF", async () => {
    const q = [0.9, 0.1, 0.1, 0.4];
    const a = await v1({ vector: q, full_text: { query: "wind turbine", field: "body" }, hybrid: { method: "rrf", k: 60, vector_weight: 1, full_text_weight: 1 }, top_k: 10 });
    // v1 hybrid arms retrieve max(100, 10 × top_k) candidates each; the sub-queries do the same.
    const b = await ns.multiQuery({
      queries: [
        { rank_by: ["vector", "ANN", q], top_k: 100 },
        { rank_by: ["body", "BM25", "wind turbine"], top_k: 100 },
      ],
      rerank_by: ["RRF", { rank_constant: 60 }],
      limit: 10,
    } as never);
    expect(pairs(b.results[0].rows!)).toEqual(pairs(a.results));
  });
});
