/**
 * A validated query: what to rank by, what to filter on, what to return. Built from the v1 JSON
 * against the namespace schema (bad input → InvalidArgumentError naming the field); executed over
 * the WAL tail by the Durable Object and over the segments by the Worker.
 */
import { InvalidArgumentError } from "../errors.ts";
import { type FullTextQuery, planFullTextQuery } from "../index/fulltext/full-text-query.ts";
import { type Schema, fullTextFields } from "../schema/schema.ts";
import type { Metric } from "../types.ts";
import { type Filter, parseV1Filter } from "./filter.ts";
import { DEFAULT_RRF_K } from "./fusion.ts";

export const DEFAULT_TOP_K = 10;
export const MAX_TOP_K = 10_000;

export type Consistency = "strong" | "eventual";
export const MAX_FULL_TEXT_QUERY_CHARS = 4096;

export interface HybridPlan {
  /** The RRF rank constant. */
  k: number;
  vectorWeight: number;
  fullTextWeight: number;
}

export interface OrderByPlan {
  /** An attribute or "id". */
  field: string;
  descending: boolean;
}

export interface AggregatePlan {
  /** Names under which the count of matching documents is reported. */
  counts: string[];
  /** Attributes to group by (empty: one count over everything matching). */
  groupBy: string[];
  /** Most groups returned (largest counts first). */
  limit: number;
}

export const DEFAULT_GROUP_LIMIT = 1000;

export interface QueryPlan {
  topK: number;
  /** Rank by distance to this vector (smaller is closer). With no ranking at all, rank by id. */
  vector: Float32Array | null;
  metric: Metric | null;
  /**
   * Rank by BM25: one query (weighted fields, analyzed terms inside), or several whose maximum
   * is the score (rank expressions with Max).
   */
  fullText: FullTextQuery[] | null;
  /** Rank by an attribute's value (nulls last) instead. */
  orderBy: OrderByPlan | null;
  /** Count matching documents (optionally per group) instead of returning rows. */
  aggregate: AggregatePlan | null;
  /** Set when both vector and fullText are given: fuse them with Reciprocal Rank Fusion. */
  hybrid: HybridPlan | null;
  /** Candidates an arm returns before fusion (top_k when there is a single arm). */
  armDepth: number;
  /** Vector search: scan every vector exactly instead of using the approximate index. */
  exact: boolean;
  /** Vector search: clusters to probe (null: the index's calibrated default). */
  nprobe: number | null;
  filter: Filter | null;
  includeVector: boolean;
  /** Attribute names to return; null returns all of them. */
  includeAttributes: string[] | null;
  consistency: Consistency;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function parseQueryVector(raw: unknown, schema: Schema, where: string): Float32Array {
  if (!schema.vector) throw new InvalidArgumentError(`${where}: this namespace has no vectors`);
  if (!Array.isArray(raw)) throw new InvalidArgumentError(`${where}: expected an array of ${schema.vector.dimensions} numbers`);
  if (raw.length !== schema.vector.dimensions) {
    throw new InvalidArgumentError(`${where}: expected ${schema.vector.dimensions} dimensions, got ${raw.length}`);
  }
  const v = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const x = raw[i];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new InvalidArgumentError(`${where}[${i}]: expected a finite number, got ${JSON.stringify(x)}`);
    }
    v[i] = x;
  }
  return v;
}

export function parseTopK(raw: unknown, where = "top_k"): number {
  if (raw === undefined) return DEFAULT_TOP_K;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 1 || raw > MAX_TOP_K) {
    throw new InvalidArgumentError(`${where}: expected an integer from 1 to ${MAX_TOP_K}`);
  }
  return raw;
}

export function parseIncludeAttributes(raw: unknown, schema: Schema, where = "include_attributes"): string[] | null {
  if (raw === undefined || raw === true) return null;
  if (raw === false) return [];
  if (!Array.isArray(raw)) throw new InvalidArgumentError(`${where}: expected true, false or a list of attribute names`);
  return raw.map((name, i) => {
    if (typeof name !== "string") throw new InvalidArgumentError(`${where}[${i}]: expected an attribute name`);
    if (name !== "id" && !schema.attributes[name]) throw new InvalidArgumentError(`${where}[${i}]: unknown attribute '${name}'`);
    return name;
  }).filter((n) => n !== "id");
}

export function parseConsistency(raw: unknown, where = "consistency"): Consistency {
  if (raw === undefined) return "strong";
  if (raw === "strong" || raw === "eventual") return raw;
  throw new InvalidArgumentError(`${where}: expected "strong" or "eventual"`);
}

const V1_QUERY_KEYS = ["vector", "full_text", "filter", "top_k", "hybrid", "include_vector", "include_attributes", "consistency", "order_by", "aggregate_by", "group_by", "exact", "nprobe"];

export function parseNprobe(raw: unknown, where = "nprobe"): number | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 1 || raw > 1_000_000) throw new InvalidArgumentError(`${where}: expected an integer ≥ 1`);
  return raw;
}

/** An attribute that rows can be ordered or grouped by: a scalar attribute or "id". */
export function checkOrderableField(schema: Schema, field: unknown, where: string): string {
  if (field === "id") return field;
  if (typeof field !== "string" || !schema.attributes[field]) throw new InvalidArgumentError(`${where}: unknown attribute ${JSON.stringify(field)}`);
  if (schema.attributes[field].type.startsWith("[]")) throw new InvalidArgumentError(`${where}: '${field}' is an array attribute; order and group by scalar attributes`);
  return field;
}

export function parseOrderBy(raw: unknown, schema: Schema, where = "order_by"): OrderByPlan {
  if (!isObject(raw)) throw new InvalidArgumentError(`${where}: expected {"field": "price", "direction": "asc" | "desc"}`);
  for (const key of Object.keys(raw)) {
    if (key !== "field" && key !== "direction") throw new InvalidArgumentError(`${where}: unknown field '${key}' (allowed: field, direction)`);
  }
  const direction = raw.direction ?? "asc";
  if (direction !== "asc" && direction !== "desc") throw new InvalidArgumentError(`${where}.direction: expected "asc" or "desc"`);
  return { field: checkOrderableField(schema, raw.field, `${where}.field`), descending: direction === "desc" };
}

/** `aggregate_by: {"name": "count"}` and `group_by: ["attr", ...]`. */
export function parseAggregate(rawAggregate: unknown, rawGroupBy: unknown, schema: Schema, limit: number): AggregatePlan {
  if (!isObject(rawAggregate) || Object.keys(rawAggregate).length === 0) {
    throw new InvalidArgumentError(`aggregate_by: expected {"<name>": "count"}`);
  }
  const counts = Object.entries(rawAggregate).map(([name, fn]) => {
    if (fn !== "count") throw new InvalidArgumentError(`aggregate_by.${name}: only "count" is supported`);
    return name;
  });
  let groupBy: string[] = [];
  if (rawGroupBy !== undefined) {
    if (!Array.isArray(rawGroupBy) || rawGroupBy.length === 0) throw new InvalidArgumentError("group_by: expected a non-empty list of attributes");
    groupBy = rawGroupBy.map((f, i) => checkOrderableField(schema, f, `group_by[${i}]`));
  }
  return { counts, groupBy, limit };
}

/** `full_text`: {query, fields: {name: weight}} | {query, field} | {query} (all full-text attributes). */
export function parseFullTextClause(raw: unknown, schema: Schema, where = "full_text"): FullTextQuery {
  if (!isObject(raw)) throw new InvalidArgumentError(`${where}: expected {"query": "...", "fields": {"title": 2, "body": 1}} or {"query": "...", "field": "title"}`);
  for (const key of Object.keys(raw)) {
    if (key !== "query" && key !== "fields" && key !== "field") throw new InvalidArgumentError(`${where}: unknown field '${key}' (allowed: query, field, fields)`);
  }
  const text = raw.query;
  if (typeof text !== "string" || text.trim() === "") throw new InvalidArgumentError(`${where}.query: expected a non-empty string`);
  if (text.length > MAX_FULL_TEXT_QUERY_CHARS) throw new InvalidArgumentError(`${where}.query: at most ${MAX_FULL_TEXT_QUERY_CHARS} characters`);
  const configs = fullTextFields(schema);
  if (Object.keys(configs).length === 0) {
    throw new InvalidArgumentError(`${where}: this namespace has no full-text attributes (declare one with "full_text" in the schema)`);
  }
  let fields: string | Record<string, number>;
  if (raw.field !== undefined && raw.fields !== undefined) throw new InvalidArgumentError(`${where}: give either field or fields`);
  if (raw.field !== undefined) {
    if (typeof raw.field !== "string") throw new InvalidArgumentError(`${where}.field: expected an attribute name`);
    fields = raw.field;
  } else if (raw.fields !== undefined) {
    if (Array.isArray(raw.fields) && raw.fields.every((f) => typeof f === "string")) fields = Object.fromEntries(raw.fields.map((f) => [f, 1]));
    else if (isObject(raw.fields)) fields = raw.fields as Record<string, number>;
    else throw new InvalidArgumentError(`${where}.fields: expected {"attribute": weight, ...} or a list of attribute names`);
  } else {
    fields = Object.fromEntries(Object.keys(configs).map((f) => [f, 1]));
  }
  return planFullTextQuery(text, fields, configs);
}

function weight(raw: unknown, where: string): number {
  if (raw === undefined) return 1;
  if (typeof raw !== "number" || !Number.isFinite(raw) || raw < 0) throw new InvalidArgumentError(`${where}: expected a number ≥ 0`);
  return raw;
}

export function parseHybrid(raw: unknown, where = "hybrid"): HybridPlan {
  if (raw === undefined) return { k: DEFAULT_RRF_K, vectorWeight: 1, fullTextWeight: 1 };
  if (!isObject(raw)) throw new InvalidArgumentError(`${where}: expected {"method": "rrf", "k": 60, "vector_weight": 1, "full_text_weight": 1}`);
  for (const key of Object.keys(raw)) {
    if (!["method", "k", "vector_weight", "full_text_weight"].includes(key)) throw new InvalidArgumentError(`${where}: unknown field '${key}'`);
  }
  if (raw.method !== undefined && raw.method !== "rrf") throw new InvalidArgumentError(`${where}.method: only "rrf" is supported`);
  const k = raw.k ?? DEFAULT_RRF_K;
  if (typeof k !== "number" || !Number.isFinite(k) || k <= 0) throw new InvalidArgumentError(`${where}.k: expected a number > 0`);
  return { k, vectorWeight: weight(raw.vector_weight, `${where}.vector_weight`), fullTextWeight: weight(raw.full_text_weight, `${where}.full_text_weight`) };
}

/** How deep each arm of a hybrid query goes: enough candidates for the fused top-k. */
export function hybridArmDepth(topK: number): number {
  return Math.min(Math.max(10 * topK, 100), MAX_TOP_K);
}

export function planV1Query(raw: unknown, schema: Schema): QueryPlan {
  if (!isObject(raw)) throw new InvalidArgumentError("query: expected a JSON object");
  for (const key of Object.keys(raw)) {
    if (!V1_QUERY_KEYS.includes(key)) {
      throw new InvalidArgumentError(`query: unknown field '${key}' (allowed: ${V1_QUERY_KEYS.join(", ")})`);
    }
  }
  const vector = raw.vector === undefined || raw.vector === null ? null : parseQueryVector(raw.vector, schema, "vector");
  const fullText = raw.full_text === undefined || raw.full_text === null ? null : [parseFullTextClause(raw.full_text, schema)];
  const orderBy = raw.order_by === undefined ? null : parseOrderBy(raw.order_by, schema);
  if (orderBy && (vector || fullText)) throw new InvalidArgumentError("order_by: cannot be combined with vector or full_text ranking");
  if (raw.group_by !== undefined && raw.aggregate_by === undefined) throw new InvalidArgumentError("group_by: needs aggregate_by");
  const aggregate = raw.aggregate_by === undefined ? null : parseAggregate(raw.aggregate_by, raw.group_by, schema, raw.top_k === undefined ? DEFAULT_GROUP_LIMIT : parseTopK(raw.top_k));
  if (aggregate && (vector || fullText || orderBy)) throw new InvalidArgumentError("aggregate_by: cannot be combined with vector, full_text or order_by");
  if (raw.hybrid !== undefined && !(vector && fullText)) {
    throw new InvalidArgumentError("hybrid: needs both vector and full_text in the query");
  }
  const hybrid = vector && fullText ? parseHybrid(raw.hybrid) : null;
  if (raw.include_vector !== undefined && typeof raw.include_vector !== "boolean") {
    throw new InvalidArgumentError("include_vector: expected true or false");
  }
  if (raw.exact !== undefined && typeof raw.exact !== "boolean") throw new InvalidArgumentError("exact: expected true or false");
  if ((raw.exact !== undefined || raw.nprobe !== undefined) && !vector) throw new InvalidArgumentError("exact / nprobe: only apply to vector queries");
  const topK = parseTopK(raw.top_k);
  return {
    topK,
    vector,
    metric: vector ? schema.vector!.metric : null,
    fullText,
    orderBy,
    aggregate,
    hybrid,
    armDepth: hybrid ? hybridArmDepth(topK) : topK,
    exact: raw.exact === true,
    nprobe: parseNprobe(raw.nprobe),
    filter: raw.filter === undefined || raw.filter === null ? null : parseV1Filter(raw.filter, schema),
    includeVector: raw.include_vector === true,
    includeAttributes: parseIncludeAttributes(raw.include_attributes, schema),
    consistency: parseConsistency(raw.consistency),
  };
}
