/**
 * Attribute filters: the engine's filter tree, parsing the v1 JSON form against a schema (unknown
 * fields, wrong value types and unfilterable attributes are rejected), and evaluating it on a row.
 * The turbopuffer array form is translated onto the same tree in the compatibility layer.
 */
import { parseDocId } from "../codec/id-key.ts";
import { InvalidArgumentError } from "../errors.ts";
import { elementType, isArrayType, normalizeValue } from "../schema/attribute-value.ts";
import type { Schema } from "../schema/schema.ts";
import type { AttributeType, AttributeValue, DocId, ScalarValue } from "../types.ts";
import { compileGlob, globMatch } from "./glob.ts";
import { type Analyzer, createAnalyzer } from "../index/fulltext/analyzer.ts";
import type { FullTextConfig } from "../index/fulltext/full-text-config.ts";

export type CompareOp = "eq" | "ne" | "lt" | "lte" | "gt" | "gte";

export type Filter =
  | { kind: "and"; filters: Filter[] }
  | { kind: "or"; filters: Filter[] }
  | { kind: "not"; filter: Filter }
  /** `ref` names an attribute of the new document ($ref_new in conditional writes) to compare with. */
  | { kind: "compare"; field: string; op: CompareOp; value: AttributeValue | DocId; ref?: string }
  | { kind: "in"; field: string; values: (AttributeValue | DocId)[]; negate: boolean }
  | { kind: "contains"; field: string; value: ScalarValue; negate: boolean }
  | { kind: "contains_any"; field: string; values: ScalarValue[]; negate: boolean }
  | { kind: "glob"; field: string; pattern: string; negate: boolean; caseInsensitive: boolean; tokens: ReturnType<typeof compileGlob> }
  /** Token filters on full-text attributes: the value analyzed with the attribute's analyzer. */
  | { kind: "tokens"; field: string; tokens: string[]; all: boolean; negate: boolean; config: FullTextConfig };

export const MAX_FILTER_DEPTH = 16;
export const MAX_FILTER_NODES = 1024;

/** Reads a field of the row being tested: "id" or an attribute (null when absent). */
export type FieldReader = (field: string) => AttributeValue | DocId;

const V1_OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "contains", "contains_any", "glob", "not_contains", "not_contains_any", "not_glob", "iglob", "not_iglob", "contains_all_tokens", "contains_any_token"];

const analyzers = new Map<string, Analyzer>();
/** The analyzer of a full-text config (configs arrive as fresh objects after RPC: keyed by content). */
function analyzerOf(config: FullTextConfig): Analyzer {
  const key = JSON.stringify(config);
  let a = analyzers.get(key);
  if (!a) {
    a = createAnalyzer(config);
    analyzers.set(key, a);
  }
  return a;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The type of a filterable field, or an InvalidArgumentError naming the problem. */
export function fieldType(schema: Schema, field: string, where: string): AttributeType | "id" {
  if (field === "id") return "id";
  const attr = schema.attributes[field];
  if (!attr) {
    throw new InvalidArgumentError(`${where}: unknown attribute '${field}'`);
  }
  if (!attr.filterable) {
    throw new InvalidArgumentError(`${where}: attribute '${field}' is not filterable (schema filterable: false)`);
  }
  return attr.type;
}

function normalizeOperand(type: AttributeType | "id", raw: unknown, where: string, scalarOfArray: boolean): AttributeValue | DocId {
  if (type === "id") return parseDocId(raw, where).id;
  if (raw === null) return null;
  const t = scalarOfArray ? elementType(type) : type;
  return normalizeValue(t, raw, where);
}

export class FilterBuilder {
  private nodes = 0;
  private readonly schema: Schema;
  private readonly allowRefNew: boolean;
  constructor(schema: Schema, options: { allowRefNew?: boolean } = {}) {
    this.schema = schema;
    this.allowRefNew = options.allowRefNew ?? false;
  }

  /** `{"$ref_new": "attr"}` as a comparison operand, when conditions allow it. */
  private refNew(value: unknown, where: string): string | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !("$ref_new" in value)) return undefined;
    if (!this.allowRefNew) throw new InvalidArgumentError(`${where}: $ref_new is only allowed in conditions of conditional writes`);
    const name = (value as Record<string, unknown>).$ref_new;
    if (typeof name !== "string" || (name !== "id" && !this.schema.attributes[name])) {
      throw new InvalidArgumentError(`${where}: $ref_new must name an attribute of the namespace`);
    }
    return name;
  }

  private count(where: string, depth: number): void {
    if (++this.nodes > MAX_FILTER_NODES) throw new InvalidArgumentError(`${where}: filter has more than ${MAX_FILTER_NODES} conditions`);
    if (depth > MAX_FILTER_DEPTH) throw new InvalidArgumentError(`${where}: filter nests deeper than ${MAX_FILTER_DEPTH}`);
  }

  /** Builds one leaf condition, validating the operand against the field's type. */
  leaf(field: string, op: string, value: unknown, where: string, depth: number): Filter {
    this.count(where, depth);
    if (typeof field !== "string") throw new InvalidArgumentError(`${where}.field: expected an attribute name`);
    // Token filters match through the full-text analysis, which every full-text attribute has,
    // filterable or not (turbopuffer's full-text attributes are not filterable by default).
    const tokenOp = /^(not_)?contains_(all_tokens|any_token)$/.test(op);
    const type = tokenOp && this.schema.attributes[field]?.full_text ? this.schema.attributes[field].type : fieldType(this.schema, field, where);
    const isArray = type !== "id" && isArrayType(type);
    switch (op) {
      case "eq":
      case "ne":
      case "lt":
      case "lte":
      case "gt":
      case "gte": {
        if ((op !== "eq" && op !== "ne") && value === null) {
          throw new InvalidArgumentError(`${where}.value: '${op}' needs a non-null value`);
        }
        if (isArray && op !== "eq" && op !== "ne") {
          throw new InvalidArgumentError(`${where}: '${op}' does not apply to array attribute '${field}'; use contains / contains_any`);
        }
        const ref = this.refNew(value, `${where}.value`);
        if (ref) return { kind: "compare", field, op, value: null, ref };
        return { kind: "compare", field, op, value: normalizeOperand(type, value, `${where}.value`, false) };
      }
      case "in":
      case "nin": {
        if (!Array.isArray(value)) throw new InvalidArgumentError(`${where}.value: '${op}' needs an array of values`);
        if (isArray) throw new InvalidArgumentError(`${where}: '${op}' does not apply to array attribute '${field}'; use contains_any`);
        return {
          kind: "in",
          field,
          negate: op === "nin",
          values: value.map((v, i) => normalizeOperand(type, v, `${where}.value[${i}]`, false)),
        };
      }
      case "contains":
      case "not_contains": {
        if (!isArray) throw new InvalidArgumentError(`${where}: '${op}' needs an array attribute; '${field}' is ${type}`);
        if (value === null || Array.isArray(value)) throw new InvalidArgumentError(`${where}.value: '${op}' needs one element value`);
        return { kind: "contains", field, negate: op === "not_contains", value: normalizeOperand(type, value, `${where}.value`, true) as ScalarValue };
      }
      case "contains_any":
      case "not_contains_any": {
        if (!isArray) throw new InvalidArgumentError(`${where}: '${op}' needs an array attribute; '${field}' is ${type}`);
        if (!Array.isArray(value)) throw new InvalidArgumentError(`${where}.value: '${op}' needs an array of values`);
        return {
          kind: "contains_any",
          field,
          negate: op === "not_contains_any",
          values: value.map((v, i) => normalizeOperand(type, v, `${where}.value[${i}]`, true) as ScalarValue),
        };
      }
      case "glob":
      case "not_glob":
      case "iglob":
      case "not_iglob": {
        if (type !== "string" && type !== "id") throw new InvalidArgumentError(`${where}: '${op}' needs a string attribute; '${field}' is ${type}`);
        if (typeof value !== "string") throw new InvalidArgumentError(`${where}.value: '${op}' needs a pattern string`);
        const ci = op === "iglob" || op === "not_iglob";
        return { kind: "glob", field, pattern: value, negate: op.startsWith("not_"), caseInsensitive: ci, tokens: compileGlob(value, ci) };
      }
      case "contains_all_tokens":
      case "contains_any_token":
      case "not_contains_all_tokens":
      case "not_contains_any_token": {
        const config = type !== "id" ? this.schema.attributes[field].full_text : undefined;
        if (!config) throw new InvalidArgumentError(`${where}: '${op}' needs a full-text attribute; '${field}' has no full_text config`);
        if (typeof value !== "string") throw new InvalidArgumentError(`${where}.value: '${op}' needs a string of tokens`);
        const tokens = [...new Set(analyzerOf(config).terms(value))];
        return { kind: "tokens", field, tokens, all: op.includes("all"), negate: op.startsWith("not_"), config };
      }
      default:
        throw new InvalidArgumentError(`${where}.op: unknown operator ${JSON.stringify(op)}; use one of ${V1_OPS.join(", ")}`);
    }
  }

  and(filters: Filter[], where: string, depth: number): Filter {
    this.count(where, depth);
    return { kind: "and", filters };
  }
  or(filters: Filter[], where: string, depth: number): Filter {
    this.count(where, depth);
    return { kind: "or", filters };
  }
  not(filter: Filter, where: string, depth: number): Filter {
    this.count(where, depth);
    return { kind: "not", filter };
  }
}

/**
 * Parses the v1 filter JSON: {field, op, value} | {and: [...]} | {or: [...]} | {not: F}. In the
 * condition of a conditional write, a value may be {"$ref_new": "attr"}: the new document's value.
 */
export function parseV1Filter(raw: unknown, schema: Schema, where = "filter", options: { allowRefNew?: boolean } = {}): Filter {
  const b = new FilterBuilder(schema, options);
  const walk = (node: unknown, path: string, depth: number): Filter => {
    if (!isObject(node)) throw new InvalidArgumentError(`${path}: expected an object such as {"field": "price", "op": "gte", "value": 10}`);
    if ("and" in node || "or" in node) {
      const key = "and" in node ? "and" : "or";
      if (Object.keys(node).length !== 1) throw new InvalidArgumentError(`${path}: '${key}' must be the only key of its object`);
      const list = node[key];
      if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError(`${path}.${key}: expected a non-empty array of filters`);
      const children = list.map((c, i) => walk(c, `${path}.${key}[${i}]`, depth + 1));
      return key === "and" ? b.and(children, path, depth) : b.or(children, path, depth);
    }
    if ("not" in node) {
      if (Object.keys(node).length !== 1) throw new InvalidArgumentError(`${path}: 'not' must be the only key of its object`);
      return b.not(walk(node.not, `${path}.not`, depth + 1), path, depth);
    }
    for (const k of Object.keys(node)) {
      if (k !== "field" && k !== "op" && k !== "value") {
        throw new InvalidArgumentError(`${path}: unknown key '${k}' (a condition has field, op, value; combine with and / or / not)`);
      }
    }
    if (!("field" in node) || !("op" in node)) throw new InvalidArgumentError(`${path}: a condition needs 'field' and 'op'`);
    if (!("value" in node)) throw new InvalidArgumentError(`${path}: a condition needs 'value'`);
    return b.leaf(node.field as string, node.op as string, node.value, path, depth);
  };
  return walk(raw, where, 0);
}

/** The fields a filter reads (to fetch only those columns). */
export function filterFields(f: Filter, out = new Set<string>()): Set<string> {
  switch (f.kind) {
    case "and":
    case "or":
      for (const c of f.filters) filterFields(c, out);
      break;
    case "not":
      filterFields(f.filter, out);
      break;
    default:
      out.add(f.field);
  }
  return out;
}

/** Total order over scalar values of one type; null sorts first. */
export function compareValues(a: AttributeValue | DocId, b: AttributeValue | DocId): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : 1;
  if (typeof a === "boolean" && typeof b === "boolean") return a ? 1 : -1;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  // Mixed id kinds (numbers before strings), and strings by code unit order.
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return String(a) < String(b) ? -1 : 1;
}

function equalValues(a: AttributeValue | DocId, b: AttributeValue | DocId): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  return a === b;
}

/** Evaluates `f` on a row; `readNew` reads the new document for $ref_new operands. */
export function evaluateFilter(f: Filter, read: FieldReader, readNew?: FieldReader): boolean {
  switch (f.kind) {
    case "and":
      for (const c of f.filters) if (!evaluateFilter(c, read, readNew)) return false;
      return true;
    case "or":
      for (const c of f.filters) if (evaluateFilter(c, read, readNew)) return true;
      return false;
    case "not":
      return !evaluateFilter(f.filter, read, readNew);
    case "compare": {
      const v = read(f.field);
      const operand = f.ref !== undefined ? (readNew ? readNew(f.ref) : null) : f.value;
      switch (f.op) {
        case "eq":
          return equalValues(v, operand);
        case "ne":
          return !equalValues(v, operand);
      }
      if (v === null || v === undefined || operand === null || operand === undefined) return false;
      const c = compareValues(v, operand);
      switch (f.op) {
        case "lt":
          return c < 0;
        case "lte":
          return c <= 0;
        case "gt":
          return c > 0;
        case "gte":
          return c >= 0;
      }
      return false;
    }
    case "in": {
      const v = read(f.field);
      const hit = f.values.some((x) => equalValues(v, x));
      return hit !== f.negate;
    }
    case "contains": {
      const v = read(f.field);
      const hit = Array.isArray(v) && v.includes(f.value);
      return hit !== f.negate;
    }
    case "contains_any": {
      const v = read(f.field);
      const hit = Array.isArray(v) && f.values.some((x) => v.includes(x));
      return hit !== f.negate;
    }
    case "glob": {
      const v = read(f.field);
      const hit = typeof v === "string" && globMatch(f.tokens, v, f.caseInsensitive);
      return hit !== f.negate;
    }
    case "tokens": {
      const v = read(f.field);
      let hit = false;
      if (typeof v === "string" || Array.isArray(v)) {
        const have = new Set(analyzerOf(f.config).terms(v as string | string[]));
        // No tokens in the filter value: "all" holds trivially, "any" never does.
        hit = f.all ? f.tokens.every((t) => have.has(t)) : f.tokens.some((t) => have.has(t));
      }
      return hit !== f.negate;
    }
  }
}
