/**
 * The turbopuffer translation in core: base64 vectors, schema maps both ways, schema-update rules,
 * filters onto the shared filter tree, and query planning onto the same QueryPlan as v1.
 */
import { describe, expect, it } from "vitest";
import { decodeBase64F32, encodeBase64F32 } from "../../src/core/codec/base64-f32.ts";
import { evaluateFilter, parseV1Filter } from "../../src/core/query/filter.ts";
import { planV1Query } from "../../src/core/query/plan.ts";
import { mergeSchemaUpdate } from "../../src/core/schema/schema-update.ts";
import { parseSchema } from "../../src/core/schema/schema.ts";
import { parseTurbopufferFilter } from "../../src/core/turbopuffer/filter.ts";
import { planTurbopufferQuery } from "../../src/core/turbopuffer/query.ts";
import { renderTurbopufferSchema, turbopufferSchemaToElacsym } from "../../src/core/turbopuffer/schema.ts";

const schema = parseSchema({
  vector: { dimensions: 2, metric: "euclidean_squared" },
  attributes: { title: { type: "string", full_text: true }, price: "float", tags: "[]string", kind: "string" },
});

describe("base64 vectors", () => {
  it("round-trips little-endian float32 and rejects bad input", () => {
    const v = new Float32Array([1.5, -2, 3.25]);
    expect(Array.from(decodeBase64F32(encodeBase64F32(v), "v"))).toEqual([1.5, -2, 3.25]);
    expect(encodeBase64F32(new Float32Array([1]))).toBe("AACAPw==");
    expect(() => decodeBase64F32("AAA=", "v")).toThrow(/not a whole number of float32/);
    expect(() => decodeBase64F32("%%%", "v")).toThrow(/base64/);
    expect(() => decodeBase64F32(encodeBase64F32(new Float32Array([Number.NaN])), "v")).toThrow(/v\[0\]: expected a finite number/);
  });
});

describe("schema maps", () => {
  it("translates turbopuffer's map to the Elacsym schema and back", () => {
    const raw = turbopufferSchemaToElacsym({
      id: { type: "uuid" },
      vector: { type: "[3]f32", ann: { distance_metric: "euclidean_squared" } },
      body: { type: "string", full_text_search: { language: "german", tokenizer: "word_v3" } },
      n: "int",
      tag: { type: "string", full_text_search: true, filterable: true },
    });
    const parsed = parseSchema(raw);
    expect(parsed.id_type).toBe("uuid");
    expect(parsed.vector).toEqual({ dimensions: 3, metric: "euclidean_squared" });
    expect(parsed.attributes.body.filterable).toBe(false);
    expect(parsed.attributes.body.full_text?.language).toBe("german");
    expect(parsed.attributes.tag.filterable).toBe(true);
    const back = renderTurbopufferSchema(parsed);
    expect(back.id).toEqual({ type: "uuid" });
    expect(back.vector).toEqual({ type: "[3]f32", ann: { distance_metric: "euclidean_squared" } });
    expect(back.n).toEqual({ type: "int", filterable: true });
    expect(back.body.full_text_search).toMatchObject({ language: "german" });
  });

  it("a schema read back and sent again changes nothing", () => {
    const full = parseSchema({
      id_type: "string",
      vector: { dimensions: 4, metric: "cosine" },
      attributes: { t: { type: "string", full_text: { language: "french", stemming: true, k1: 1.5 }, filterable: true }, n: { type: "uint", filterable: false }, d: "[]datetime" },
    });
    const again = parseSchema(turbopufferSchemaToElacsym(JSON.parse(JSON.stringify(renderTurbopufferSchema(full)))));
    expect(mergeSchemaUpdate(full, again, true)).toBe(full);
  });

  it("rejects what Elacsym does not store", () => {
    expect(() => turbopufferSchemaToElacsym({ vector: { type: "[3]f16" } })).toThrow(/f16/);
    expect(() => turbopufferSchemaToElacsym({ other: { type: "[3]f32" } })).toThrow(/named "vector"/);
    expect(() => turbopufferSchemaToElacsym({ a: { type: "string", regex: true } })).toThrow(/a\.regex/);
    expect(() => turbopufferSchemaToElacsym({ a: { type: "string", full_text_search: { tokenizer: "pre_tokenized_array" } } })).toThrow(/tokenizer/);
    expect(() => turbopufferSchemaToElacsym({ a: { filterable: true } })).toThrow(/schema\.a\.type: required/);
  });
});

describe("schema updates", () => {
  const base = parseSchema({ id_type: "u64", vector: { dimensions: 2 }, attributes: { a: "int", t: { type: "string", full_text: true } } });
  it("adds attributes and changes filterable; re-declaring is a no-op", () => {
    expect(mergeSchemaUpdate(base, parseSchema({ attributes: { a: "int" } }), true)).toBe(base);
    const next = mergeSchemaUpdate(base, parseSchema({ attributes: { a: { type: "int", filterable: false }, b: "string" } }), true);
    expect(next.attributes.a.filterable).toBe(false);
    expect(next.attributes.b.type).toBe("string");
    expect(base.attributes.a.filterable).toBe(true);
  });
  it("never changes types, ids or vectors; full text only before anything is flushed", () => {
    expect(() => mergeSchemaUpdate(base, parseSchema({ attributes: { a: "float" } }), false)).toThrow(/type cannot change/);
    expect(() => mergeSchemaUpdate(base, parseSchema({ id_type: "string" }), false)).toThrow(/id type cannot change/);
    expect(() => mergeSchemaUpdate(base, parseSchema({ vector: { dimensions: 3 } }), false)).toThrow(/2-dimensional/);
    expect(() => mergeSchemaUpdate(base, parseSchema({ vector: { dimensions: 2, metric: "dot_product" } }), false)).toThrow(/distance_metric/);
    const enable = parseSchema({ attributes: { a: { type: "int" }, t: { type: "string", full_text: { stemming: true } } } });
    expect(mergeSchemaUpdate(base, enable, false).attributes.t.full_text?.stemming).toBe(true);
    expect(() => mergeSchemaUpdate(base, enable, true)).toThrow(/cannot change once the namespace has flushed data/);
  });
});

describe("filters", () => {
  it("builds the same tree as the v1 syntax", () => {
    const tp = parseTurbopufferFilter(["And", [["price", "Gte", 10], ["Not", ["tags", "ContainsAny", ["a", "b"]]], ["kind", "IGlob", "X*"]]], schema);
    const v1 = parseV1Filter({ and: [{ field: "price", op: "gte", value: 10 }, { not: { field: "tags", op: "contains_any", value: ["a", "b"] } }, { field: "kind", op: "iglob", value: "X*" }] }, schema);
    expect(JSON.stringify(tp)).toBe(JSON.stringify(v1));
    const row = { price: 12, tags: ["c"], kind: "xy" } as Record<string, unknown>;
    expect(evaluateFilter(tp, (f) => (row[f] ?? null) as never)).toBe(true);
  });
  it("names the place of an error", () => {
    expect(() => parseTurbopufferFilter(["And", [["price", "Gt", 1], ["nope", "Eq", 1]]], schema)).toThrow(/filters\.And\[1\]\(nope\): unknown attribute 'nope'/);
    expect(() => parseTurbopufferFilter(["price", "AnyLt", 1], schema)).toThrow(/AnyLt filter is not supported/);
    expect(() => parseTurbopufferFilter(["price", "Eq"], schema)).toThrow(/expected \[attribute, "Eq", value\]/);
    expect(() => parseTurbopufferFilter({ field: "price" }, schema)).toThrow(/expected a filter/);
    expect(() => parseTurbopufferFilter(["price", "Eq", { $ref_new: "price" }], schema)).toThrow(/only allowed in conditions/);
    expect(parseTurbopufferFilter(["price", "Lt", { $ref_new: "price" }], schema, "upsert_condition", { allowRefNew: true })).toMatchObject({ kind: "compare", ref: "price" });
  });
});

describe("query plans", () => {
  const strip = (p: object) => JSON.parse(JSON.stringify(p, (k, v) => (k === "includeAttributes" || k === "includeVector" ? undefined : v)));
  it("plan the same as v1 for the same query", () => {
    expect(strip(planTurbopufferQuery({ rank_by: ["vector", "kNN", [1, 2]], top_k: 5, filters: ["kind", "Eq", "a"] }, schema))).toEqual(
      strip(planV1Query({ vector: [1, 2], top_k: 5, exact: true, filter: { field: "kind", op: "eq", value: "a" } }, schema)),
    );
    expect(strip(planTurbopufferQuery({ rank_by: ["vector", "ANN", [1, 2]] }, schema))).toEqual(strip(planV1Query({ vector: [1, 2] }, schema)));
    expect(strip(planTurbopufferQuery({ rank_by: ["title", "BM25", "red fox"] }, schema))).toEqual(strip(planV1Query({ full_text: { query: "red fox", field: "title" } }, schema)));
    expect(strip(planTurbopufferQuery({ rank_by: ["price", "desc"], top_k: 3 }, schema))).toEqual(strip(planV1Query({ order_by: { field: "price", direction: "desc" }, top_k: 3 }, schema)));
    expect(strip(planTurbopufferQuery({ aggregate_by: { n: ["Count"] }, group_by: ["kind"] }, schema))).toEqual(strip(planV1Query({ aggregate_by: { n: "count" }, group_by: ["kind"] }, schema)));
  });
  it("projects attributes the turbopuffer way", () => {
    expect(planTurbopufferQuery({}, schema)).toMatchObject({ includeAttributes: [], includeVector: false });
    expect(planTurbopufferQuery({ include_attributes: true }, schema)).toMatchObject({ includeAttributes: ["title", "price", "tags", "kind"], includeVector: true });
    expect(planTurbopufferQuery({ exclude_attributes: ["vector", "tags"] }, schema)).toMatchObject({ includeAttributes: ["title", "price", "kind"], includeVector: false });
    expect(planTurbopufferQuery({ rank_by: ["vector", "ANN", encodeBase64F32(new Float32Array([1, 2]))] }, schema).vector).toEqual(new Float32Array([1, 2]));
  });
});
