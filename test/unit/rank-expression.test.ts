import { describe, expect, it } from "vitest";
import { planRankExpression } from "../../src/core/query/rank-expression.ts";
import { parseSchema } from "../../src/core/schema/schema.ts";

const schema = parseSchema({ attributes: { title: { type: "string", full_text: true }, body: { type: "string", full_text: true }, n: "int" } });
const leaf = (field: string, query: string) => ({ kind: "bm25" as const, field, query });
const weights = (q: ReturnType<typeof planRankExpression>[number]) =>
  Object.fromEntries(q.fields.flatMap((f) => f.terms.map((t) => [`${f.field}:${t.term}`, +(f.weight * t.weight).toFixed(6)])));

describe("rank expressions", () => {
  it("a weighted sum is one query; same-field clauses fold into one field with summed term weights", () => {
    const qs = planRankExpression({ kind: "sum", items: [{ kind: "product", weight: 2, item: leaf("title", "fox jumps") }, leaf("body", "fox"), leaf("title", "fox")] }, schema);
    expect(qs).toHaveLength(1);
    expect(qs[0].fields.map((f) => f.field)).toEqual(["title", "body"]);
    expect(weights(qs[0])).toEqual({ "title:fox": 3, "title:jumps": 2, "body:fox": 1 });
  });
  it("Max becomes alternatives, and Sum distributes over Max", () => {
    const qs = planRankExpression({ kind: "sum", items: [{ kind: "max", items: [leaf("title", "a"), leaf("body", "b")] }, { kind: "product", weight: 0.5, item: leaf("body", "c") }] }, schema);
    expect(qs.map(weights)).toEqual([{ "title:a": 1, "body:c": 0.5 }, { "body:b": 1, "body:c": 0.5 }]);
  });
  it("rejects what it cannot run", () => {
    expect(() => planRankExpression(leaf("n", "x"), schema)).toThrow(/not full-text indexed/);
    expect(() => planRankExpression({ kind: "sum", items: [] }, schema)).toThrow(/at least one/);
    expect(() => planRankExpression({ kind: "product", weight: -1, item: leaf("title", "a") }, schema)).toThrow(/≥ 0/);
    const wide = { kind: "max" as const, items: Array.from({ length: 5 }, (_, i) => leaf("title", `t${i}`)) };
    expect(() => planRankExpression({ kind: "sum", items: [wide, wide] }, schema)).toThrow(/alternatives/);
  });
});
