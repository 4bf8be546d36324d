import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createAnalyzer } from "../../src/core/index/fulltext/analyzer.ts";
import { resolveFullTextConfig } from "../../src/core/index/fulltext/full-text-config.ts";
import { FULL_TEXT_READERS_BYTES, fullTextReadersBytes, trimFullTextReaders } from "../../src/service/query-executor.ts";
import { api, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";
import { seededRandom } from "../helpers/random.ts";

let t: TestTenant;
beforeAll(async () => {
  t = await makeTenant();
});

async function drain(ns: string) {
  while (await runDurableObjectAlarm(namespaceStub(t.id, ns))) {
    // flush until idle
  }
}

const WORDS = "alpha beta gamma delta epsilon zeta theta iota kappa lambda omicron sigma tau upsilon phi chi psi omega river stone cloud fire".split(" ");
const titleCfg = resolveFullTextConfig({ stemming: true, remove_stopwords: true });
const bodyCfg = resolveFullTextConfig({ k1: 1.5, b: 0.6 });
const analyzers = { title: createAnalyzer(titleCfg), body: createAnalyzer(bodyCfg) };

interface Doc {
  id: number;
  vector: number[];
  attributes: { title: string; body: string; group: number };
}

/** BM25 straight from the formula over the live documents' analyzed tokens. */
function referenceBm25(docs: Doc[], text: string, weights: Record<"title" | "body", number>): Map<number, number> {
  const scores = new Map<number, number>();
  for (const field of ["title", "body"] as const) {
    const w = weights[field];
    if (!w) continue;
    const cfg = field === "title" ? titleCfg : bodyCfg;
    const tokens = docs.map((d) => analyzers[field].terms(d.attributes[field]));
    const withField = tokens.filter((t) => t.length > 0);
    const N = withField.length;
    const avgdl = withField.reduce((s, t) => s + t.length, 0) / N;
    const all = analyzers[field].terms(text);
    for (const term of new Set(all)) {
      const n = tokens.filter((t) => t.includes(term)).length;
      if (n === 0) continue;
      // A term repeated q times in the query weighs q·(k3+1)/(k3+q) (turbopuffer's k3).
      const q = all.filter((x) => x === term).length;
      const qweight = (q * (cfg.k3 + 1)) / (cfg.k3 + q);
      const idf = qweight * Math.log(1 + (N - n + 0.5) / (n + 0.5));
      docs.forEach((d, i) => {
        const tf = tokens[i].filter((x) => x === term).length;
        if (tf === 0) return;
        const dl = tokens[i].length;
        const part = (tf * (cfg.k1 + 1)) / (tf + cfg.k1 * (1 - cfg.b + (cfg.b * dl) / avgdl));
        scores.set(d.id, (scores.get(d.id) ?? 0) + w * idf * part);
      });
    }
  }
  return scores;
}

/** The engine's order: score descending, then version (seq) ascending. */
const seqOf = new Map<number, number>();
function ranked(scores: Map<number, number>, k: number): { id: number; score: number }[] {
  return [...scores]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || seqOf.get(a.id)! - seqOf.get(b.id)!)
    .slice(0, k);
}

async function upsert(ns: string, documents: Doc[]): Promise<void> {
  const res = await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents });
  expect(res.status).toBe(200);
  documents.forEach((d, i) => seqOf.set(d.id, res.body.sequence - documents.length + 1 + i));
}

const schema = {
  vector: { dimensions: 4, metric: "euclidean_squared" },
  attributes: {
    title: { type: "string", full_text: { stemming: true, remove_stopwords: true } },
    body: { type: "string", full_text: { k1: 1.5, b: 0.6 } },
    group: { type: "int" },
  },
};

describe("full-text search through the API", () => {
  const ns = "fts-e2e";
  const rand = seededRandom(42);
  const live = new Map<number, Doc>();
  const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(rand() ** 2 * WORDS.length)]).join(" ");
  const makeDoc = (id: number): Doc => ({
    id,
    vector: [rand(), rand(), rand(), rand()],
    attributes: { title: `The ${sentence(3)} rivers`, body: sentence(5 + Math.floor(rand() * 30)), group: id % 3 },
  });

  beforeAll(async () => {
    expect((await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema })).status).toBe(201);
    // Three segments, updates and deletes flushed and in the tail, new documents in the tail.
    for (let s = 0; s < 3; s++) {
      const docs = Array.from({ length: 150 }, (_, i) => makeDoc(s * 150 + i));
      await upsert(ns, docs);
      docs.forEach((d) => live.set(d.id, d));
      await drain(ns);
    }
    const updates = Array.from({ length: 40 }, (_, i) => makeDoc(i * 7));
    await upsert(ns, updates.slice(0, 20));
    await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: [1, 2, 3, 200, 301] });
    await drain(ns);
    await upsert(ns, updates.slice(20));
    await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: [4, 5, 400] });
    const fresh = Array.from({ length: 30 }, (_, i) => makeDoc(1000 + i));
    await upsert(ns, fresh);
    [...updates, ...fresh].forEach((d) => live.set(d.id, d));
    [1, 2, 3, 200, 301, 4, 5, 400].forEach((id) => live.delete(id));
  });

  it("scores equal the BM25 formula over the live corpus (segments + tail, dead excluded) to 1e-6", async () => {
    const cases: [string, { title?: number; body?: number }][] = [
      ["gamma river", { title: 1, body: 1 }],
      ["the stone stones of the cloud", { title: 2, body: 0.5 }],
      ["omega", { body: 1 }],
      ["Rivers running", { title: 1 }],
    ];
    for (const [text, fields] of cases) {
      const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, { full_text: { query: text, fields }, top_k: 25, include_attributes: false });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const expected = ranked(referenceBm25([...live.values()], text, { title: fields.title ?? 0, body: fields.body ?? 0 }), 25);
      expect(res.body.results.map((r: any) => r.id)).toEqual(expected.map((e) => e.id));
      res.body.results.forEach((r: any, i: number) => expect(Math.abs(r.score - expected[i].score)).toBeLessThan(1e-6));
      expect(res.body.performance.index_candidates).toBeGreaterThan(0);
    }
  });

  it("keeps the isolate's full-text readers within their memory budget, and answers the same after trimming", async () => {
    const body = { full_text: { query: "gamma river stone", fields: { title: 1, body: 1 } }, top_k: 25, include_attributes: false };
    const before = await api("POST", `/v1/namespaces/${ns}/query`, t.key, body);
    expect(fullTextReadersBytes()).toBeGreaterThan(0); // the Worker's module instance: readers of the segments
    expect(fullTextReadersBytes()).toBeLessThanOrEqual(FULL_TEXT_READERS_BYTES);
    trimFullTextReaders(0);
    expect(fullTextReadersBytes()).toBe(0);
    const after = await api("POST", `/v1/namespaces/${ns}/query`, t.key, body);
    expect(after.body.results).toEqual(before.body.results);
  });

  it("filters inside the full-text search", async () => {
    const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, {
      full_text: { query: "gamma", field: "body" },
      filter: { field: "group", op: "eq", value: 1 },
      top_k: 50,
    });
    const all = ranked(referenceBm25([...live.values()], "gamma", { title: 0, body: 1 }), 10_000);
    const expected = all.filter((e) => live.get(e.id)!.attributes.group === 1).slice(0, 50);
    expect(res.body.results.map((r: any) => r.id)).toEqual(expected.map((e) => e.id));
    expect(res.body.results.every((r: any) => r.attributes.group === 1)).toBe(true);
  });

  it("hybrid results equal Reciprocal Rank Fusion of the two rankings", async () => {
    const q = [0.2, 0.4, 0.1, 0.9];
    const text = "delta fire";
    const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, {
      vector: q,
      full_text: { query: text, fields: { title: 1, body: 1 } },
      hybrid: { method: "rrf", k: 60, vector_weight: 1.5, full_text_weight: 1 },
      top_k: 10,
      include_attributes: ["group"],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const docs = [...live.values()];
    const f32 = (v: number[]) => Array.from(new Float32Array(v));
    const qf = f32(q);
    const vectorRank = docs
      .map((d) => ({ id: d.id, d: f32(d.vector).reduce((s, x, i) => s + (x - qf[i]) ** 2, 0) }))
      .sort((a, b) => a.d - b.d || a.id - b.id)
      .slice(0, 100)
      .map((x) => x.id);
    const textRank = ranked(referenceBm25(docs, text, { title: 1, body: 1 }), 100).map((x) => x.id);
    const fused = new Map<number, number>();
    vectorRank.forEach((id, i) => fused.set(id, (fused.get(id) ?? 0) + 1.5 / (60 + i + 1)));
    textRank.forEach((id, i) => fused.set(id, (fused.get(id) ?? 0) + 1 / (60 + i + 1)));
    const expected = ranked(fused, 10);
    expect(res.body.results.map((r: any) => r.id)).toEqual(expected.map((e) => e.id));
    res.body.results.forEach((r: any, i: number) => expect(r.score).toBeCloseTo(expected[i].score, 12));
    expect(res.body.results[0].attributes).toEqual({ group: live.get(res.body.results[0].id)!.attributes.group });
  });

  it("updates and deletes change results immediately and after flush", async () => {
    const marker = { id: 5000, vector: [0, 0, 0, 0], attributes: { title: "zebra zebra", body: "zebra", group: 0 } };
    await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [marker] });
    const q = { full_text: { query: "zebra" }, top_k: 5 };
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, q)).body.results.map((r: any) => r.id)).toEqual([5000]);
    await drain(ns);
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, q)).body.results.map((r: any) => r.id)).toEqual([5000]);
    await api("POST", `/v1/namespaces/${ns}/patch`, t.key, { documents: [{ id: 5000, attributes: { title: "no stripes", body: "horse" } }] });
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, q)).body.results).toEqual([]);
    await api("POST", `/v1/namespaces/${ns}/patch`, t.key, { documents: [{ id: 5000, attributes: { body: "zebra again" } }] });
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, q)).body.results.map((r: any) => r.id)).toEqual([5000]);
    await api("POST", `/v1/namespaces/${ns}/delete`, t.key, { ids: [5000] });
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, q)).body.results).toEqual([]);
    await drain(ns);
    expect((await api("POST", `/v1/namespaces/${ns}/query`, t.key, q)).body.results).toEqual([]);
  });

  it("rejects bad full-text queries", async () => {
    for (const body of [
      { full_text: { query: "" } },
      { full_text: { query: "x", field: "group" } },
      { full_text: { query: "x", fields: { title: -1 } } },
      { full_text: "text" },
      { vector: [0, 0, 0, 0], hybrid: { method: "rrf" } },
      { vector: [0, 0, 0, 0], full_text: { query: "x" }, hybrid: { method: "sum" } },
    ]) {
      const res = await api("POST", `/v1/namespaces/${ns}/query`, t.key, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});
