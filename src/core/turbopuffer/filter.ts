/**
 * turbopuffer's filter syntax — nested arrays such as
 * `["And", [["price", "Gte", 10], ["tags", "ContainsAny", ["a"]]]]` — parsed onto the engine's one
 * filter tree through `FilterBuilder`, so both APIs share validation (attribute exists, is filterable,
 * operand types) and evaluation. Paths in error messages follow the array form: `filters.And[1]`.
 *
 * Operators turbopuffer has and the engine does not (AnyLt…, Regex, Fuzzy, ContainsTokenSequence)
 * are rejected with a 400 naming the operator. ContainsAllTokens / ContainsAnyToken analyze their
 * text with the attribute's full-text analyzer (an array of tokens is joined with spaces first).
 */
import { InvalidArgumentError } from "../errors.ts";
import { type Filter, FilterBuilder } from "../query/filter.ts";
import type { Schema } from "../schema/schema.ts";

/** turbopuffer operator → the FilterBuilder (v1) operator. */
const LEAF_OPS: Record<string, string> = {
  Eq: "eq",
  NotEq: "ne",
  In: "in",
  NotIn: "nin",
  Lt: "lt",
  Lte: "lte",
  Gt: "gt",
  Gte: "gte",
  Contains: "contains",
  NotContains: "not_contains",
  ContainsAny: "contains_any",
  NotContainsAny: "not_contains_any",
  Glob: "glob",
  NotGlob: "not_glob",
  IGlob: "iglob",
  NotIGlob: "not_iglob",
  ContainsAllTokens: "contains_all_tokens",
  ContainsAnyToken: "contains_any_token",
};

/** Operators of turbopuffer's API that Elacsym does not implement. */
const UNSUPPORTED_OPS = new Set(["AnyLt", "AnyLte", "AnyGt", "AnyGte", "Regex", "Fuzzy", "ContainsTokenSequence"]);
const TOKEN_OPS = new Set(["ContainsAllTokens", "ContainsAnyToken"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** BM25 clause and token-filter parameters: only `last_as_prefix: false`. */
export function checkTokenParams(params: unknown, where: string): void {
  if (params === undefined || params === null) return;
  if (!isObject(params) || Object.keys(params).some((k) => k !== "last_as_prefix")) throw new InvalidArgumentError(`${where}: expected {"last_as_prefix": false}`);
  if (params.last_as_prefix === true) throw new InvalidArgumentError(`${where}.last_as_prefix: prefix matching is not supported by Elacsym`);
}

export const TURBOPUFFER_FILTER_OPS = [...Object.keys(LEAF_OPS), "And", "Or", "Not"];

/**
 * Parses a turbopuffer filter against the schema. In the conditions of conditional writes
 * (`allowRefNew`), a comparison operand may be `{"$ref_new": "attr"}`.
 */
export function parseTurbopufferFilter(raw: unknown, schema: Schema, where = "filters", options: { allowRefNew?: boolean } = {}): Filter {
  const b = new FilterBuilder(schema, options);
  const walk = (node: unknown, path: string, depth: number): Filter => {
    if (!Array.isArray(node) || node.length < 2) {
      throw new InvalidArgumentError(`${path}: expected a filter such as ["price", "Gte", 10] or ["And", [...]]`);
    }
    const [head, second] = node;
    if (head === "And" || head === "Or") {
      if (node.length !== 2 || !Array.isArray(second)) throw new InvalidArgumentError(`${path}: expected ["${head}", [filter, ...]]`);
      const children = second.map((c, i) => walk(c, `${path}.${head}[${i}]`, depth + 1));
      return head === "And" ? b.and(children, path, depth) : b.or(children, path, depth);
    }
    if (head === "Not") {
      if (node.length !== 2) throw new InvalidArgumentError(`${path}: expected ["Not", filter]`);
      return b.not(walk(second, `${path}.Not`, depth + 1), path, depth);
    }
    if (typeof head !== "string") throw new InvalidArgumentError(`${path}[0]: expected an attribute name or And / Or / Not`);
    if (typeof second !== "string") throw new InvalidArgumentError(`${path}[1]: expected an operator such as "Eq"`);
    const leafPath = `${path}(${head})`;
    const op = LEAF_OPS[second];
    if (!op) {
      if (UNSUPPORTED_OPS.has(second)) throw new InvalidArgumentError(`${leafPath}: the ${second} filter is not supported by Elacsym`);
      throw new InvalidArgumentError(`${leafPath}: unknown operator ${JSON.stringify(second)}; use one of ${TURBOPUFFER_FILTER_OPS.join(", ")}`);
    }
    if (TOKEN_OPS.has(second)) {
      // [attr, op, "text" | ["token", ...], {"last_as_prefix": false}?]: the text is analyzed with the attribute's analyzer.
      if (node.length !== 3 && node.length !== 4) throw new InvalidArgumentError(`${leafPath}: expected [attribute, "${second}", "text", params?]`);
      checkTokenParams(node[3], `${leafPath}[3]`);
      const value = Array.isArray(node[2]) && node[2].every((t) => typeof t === "string") ? node[2].join(" ") : node[2];
      return b.leaf(head, op, value, leafPath, depth);
    }
    if (node.length !== 3) throw new InvalidArgumentError(`${leafPath}: expected [attribute, "${second}", value]`);
    return b.leaf(head, op, node[2], leafPath, depth);
  };
  return walk(raw, where, 0);
}
