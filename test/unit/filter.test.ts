import { describe, expect, it } from "vitest";
import { evaluateFilter, parseV1Filter } from "../../src/core/query/filter.ts";
import { compileGlob, globMatch } from "../../src/core/query/glob.ts";
import { parseSchema } from "../../src/core/schema/schema.ts";

const schema = parseSchema({
  attributes: { s: "string", n: "int", f: "float", b: "bool", d: "datetime", tags: "[]string", nums: "[]int", u: "uuid", hidden: { type: "string", filterable: false } },
});
const doc: Record<string, unknown> = { s: "hello world", n: 5, f: 2.5, b: true, d: Date.parse("2024-05-01T00:00:00Z"), tags: ["a", "b"], nums: [1, 2], u: "3f1c4c4e-0000-4000-8000-00000000000a" };
const read = (field: string) => (field === "id" ? 42 : (doc[field] as never) ?? null);
const match = (f: unknown) => evaluateFilter(parseV1Filter(f, schema), read);

describe("filters", () => {
  it("evaluates every operator", () => {
    expect(match({ field: "n", op: "eq", value: 5 })).toBe(true);
    expect(match({ field: "n", op: "ne", value: 5 })).toBe(false);
    expect(match({ field: "n", op: "gt", value: 4 })).toBe(true);
    expect(match({ field: "n", op: "gte", value: 6 })).toBe(false);
    expect(match({ field: "f", op: "lt", value: 3 })).toBe(true);
    expect(match({ field: "f", op: "lte", value: 2.5 })).toBe(true);
    expect(match({ field: "s", op: "in", value: ["x", "hello world"] })).toBe(true);
    expect(match({ field: "s", op: "nin", value: ["hello world"] })).toBe(false);
    expect(match({ field: "tags", op: "contains", value: "b" })).toBe(true);
    expect(match({ field: "tags", op: "contains_any", value: ["z", "a"] })).toBe(true);
    expect(match({ field: "nums", op: "contains_any", value: [7] })).toBe(false);
    expect(match({ field: "s", op: "glob", value: "hello*" })).toBe(true);
    expect(match({ field: "s", op: "iglob", value: "HELLO*" })).toBe(true);
    expect(match({ field: "s", op: "glob", value: "HELLO*" })).toBe(false);
    expect(match({ field: "d", op: "gte", value: "2024-01-01T00:00:00Z" })).toBe(true);
    expect(match({ field: "u", op: "eq", value: "3F1C4C4E-0000-4000-8000-00000000000A" })).toBe(true);
    expect(match({ field: "b", op: "eq", value: true })).toBe(true);
    expect(match({ field: "id", op: "in", value: [1, 42] })).toBe(true);
    expect(match({ field: "id", op: "gte", value: 43 })).toBe(false);
  });

  it("treats absent attributes as null", () => {
    const absent = (f: unknown) => evaluateFilter(parseV1Filter(f, schema), () => null);
    expect(absent({ field: "n", op: "eq", value: null })).toBe(true);
    expect(absent({ field: "n", op: "ne", value: 1 })).toBe(true);
    expect(absent({ field: "n", op: "gt", value: 1 })).toBe(false);
    expect(absent({ field: "tags", op: "contains", value: "a" })).toBe(false);
    expect(absent({ field: "s", op: "nin", value: ["a"] })).toBe(true);
  });

  it("combines with and / or / not", () => {
    expect(match({ and: [{ field: "n", op: "eq", value: 5 }, { not: { field: "b", op: "eq", value: false } }] })).toBe(true);
    expect(match({ or: [{ field: "n", op: "eq", value: 1 }, { field: "s", op: "glob", value: "*world" }] })).toBe(true);
    expect(match({ not: { or: [{ field: "n", op: "eq", value: 1 }, { field: "n", op: "eq", value: 5 }] } })).toBe(false);
  });

  it("rejects what cannot be evaluated, naming the problem", () => {
    expect(() => parseV1Filter({ field: "hidden", op: "eq", value: "x" }, schema)).toThrow(/not filterable/);
    expect(() => parseV1Filter({ field: "n", op: "glob", value: "x" }, schema)).toThrow(/string attribute/);
    expect(() => parseV1Filter({ field: "n", op: "lt", value: null }, schema)).toThrow(/non-null/);
    expect(() => parseV1Filter({ field: "tags", op: "gt", value: "a" }, schema)).toThrow(/array attribute/);
    expect(() => parseV1Filter({ field: "n", op: "eq" }, schema)).toThrow(/needs 'value'/);
    let deep: unknown = { field: "n", op: "eq", value: 1 };
    for (let i = 0; i < 20; i++) deep = { not: deep };
    expect(() => parseV1Filter(deep, schema)).toThrow(/deeper than/);
  });
});

describe("glob", () => {
  const g = (p: string, s: string, ci = false) => globMatch(compileGlob(p, ci), s, ci);
  it("matches like a Unix glob", () => {
    expect(g("a*c", "abbbc")).toBe(true);
    expect(g("a?c", "abc")).toBe(true);
    expect(g("a?c", "ac")).toBe(false);
    expect(g("[a-c]x", "bx")).toBe(true);
    expect(g("[!a-c]x", "bx")).toBe(false);
    expect(g("\\*x", "*x")).toBe(true);
    expect(g("*", "")).toBe(true);
    expect(g("a*", "b")).toBe(false);
    expect(g("*SSE", "strasse", true)).toBe(true);
  });
  it("stays fast on patterns that make backtracking regexes explode", () => {
    const started = Date.now();
    expect(g("a*a*a*a*a*a*a*a*b", "a".repeat(5000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
