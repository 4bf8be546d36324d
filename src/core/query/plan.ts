/**
 * A validated query: what to rank by, what to filter on, what to return. Built from the v1 JSON
 * (its shape already checked by the route's request schema) against the namespace schema (bad input
 * → InvalidArgumentError naming the field); executed over the WAL tail by the Durable Object and
 * over the segments by the Worker.
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

/**
 * The v1 query body as the route's request schema (src/api/schemas/v1-requests.ts) has validated
 * it: field names, types, ranges and enums are checked there; what depends on the namespace's schema
 * (dimensions, attributes, full-text fields) and how the parts combine is checked here.
 */
export interface V1QueryBody {
  vector?: unknown[] | null;
  full_text?: { query: string; field?: string; fields?: Record<string, number> | string[] } | null;
  filter?: unknown;
  top_k?: number;
  hybrid?: { method?: "rrf"; k?: number; vector_weight?: number; full_text_weight?: number };
  include_vector?: boolean;
  include_attributes?: boolean | string[];
  consistency?: Consistency;
  order_by?: { field: string; direction?: "asc" | "desc" };
  aggregate_by?: Record<string, "count">;
  group_by?: string[];
  exact?: boolean;
  nprobe?: number | null;
}

/** Checks a query vector against the namespace: it has vectors, the dimensions match, values are finite. */
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

/** `include_attributes` against the schema: null returns all attributes. */
export function parseIncludeAttributes(raw: boolean | string[] | undefined, schema: Schema, where = "include_attributes"): string[] | null {
  if (raw === undefined || raw === true) return null;
  if (raw === false) return [];
  return raw.map((name, i) => {
    if (name !== "id" && !schema.attributes[name]) throw new InvalidArgumentError(`${where}[${i}]: unknown attribute '${name}'`);
    return name;
  }).filter((n) => n !== "id");
}

/** An attribute that rows can be ordered or grouped by: a scalar attribute or "id". */
export function checkOrderableField(schema: Schema, field: unknown, where: string): string {
  if (field === "id") return field;
  if (typeof field !== "string" || !schema.attributes[field]) throw new InvalidArgumentError(`${where}: unknown attribute ${JSON.stringify(field)}`);
  if (schema.attributes[field].type.startsWith("[]")) throw new InvalidArgumentError(`${where}: '${field}' is an array attribute; order and group by scalar attributes`);
  return field;
}

/** `full_text` against the schema: the named fields must be full-text attributes (default: all of them). */
function planFullTextClause(raw: NonNullable<V1QueryBody["full_text"]>, schema: Schema, where = "full_text"): FullTextQuery {
  const configs = fullTextFields(schema);
  if (Object.keys(configs).length === 0) {
    throw new InvalidArgumentError(`${where}: this namespace has no full-text attributes (declare one with "full_text" in the schema)`);
  }
  let fields: string | Record<string, number>;
  if (raw.field !== undefined) fields = raw.field;
  else if (Array.isArray(raw.fields)) fields = Object.fromEntries(raw.fields.map((f) => [f, 1]));
  else fields = raw.fields ?? Object.fromEntries(Object.keys(configs).map((f) => [f, 1]));
  return planFullTextQuery(raw.query, fields, configs);
}

/** How deep each arm of a hybrid query goes: enough candidates for the fused top-k. */
export function hybridArmDepth(topK: number): number {
  return Math.min(Math.max(10 * topK, 100), MAX_TOP_K);
}

export function planV1Query(body: unknown, schema: Schema): QueryPlan {
  const raw = body as V1QueryBody;
  const vector = raw.vector === undefined || raw.vector === null ? null : parseQueryVector(raw.vector, schema, "vector");
  const fullText = raw.full_text === undefined || raw.full_text === null ? null : [planFullTextClause(raw.full_text, schema)];
  const orderBy = raw.order_by === undefined ? null : { field: checkOrderableField(schema, raw.order_by.field, "order_by.field"), descending: raw.order_by.direction === "desc" };
  if (orderBy && (vector || fullText)) throw new InvalidArgumentError("order_by: cannot be combined with vector or full_text ranking");
  if (raw.group_by !== undefined && raw.aggregate_by === undefined) throw new InvalidArgumentError("group_by: needs aggregate_by");
  const aggregate: AggregatePlan | null = raw.aggregate_by === undefined ? null : {
    counts: Object.keys(raw.aggregate_by),
    groupBy: (raw.group_by ?? []).map((f, i) => checkOrderableField(schema, f, `group_by[${i}]`)),
    limit: raw.top_k ?? DEFAULT_GROUP_LIMIT,
  };
  if (aggregate && (vector || fullText || orderBy)) throw new InvalidArgumentError("aggregate_by: cannot be combined with vector, full_text or order_by");
  if (raw.hybrid !== undefined && !(vector && fullText)) {
    throw new InvalidArgumentError("hybrid: needs both vector and full_text in the query");
  }
  const hybrid = vector && fullText
    ? { k: raw.hybrid?.k ?? DEFAULT_RRF_K, vectorWeight: raw.hybrid?.vector_weight ?? 1, fullTextWeight: raw.hybrid?.full_text_weight ?? 1 }
    : null;
  if ((raw.exact !== undefined || raw.nprobe !== undefined) && !vector) throw new InvalidArgumentError("exact / nprobe: only apply to vector queries");
  const topK = raw.top_k ?? DEFAULT_TOP_K;
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
    nprobe: raw.nprobe ?? null,
    filter: raw.filter === undefined || raw.filter === null ? null : parseV1Filter(raw.filter, schema),
    includeVector: raw.include_vector === true,
    includeAttributes: parseIncludeAttributes(raw.include_attributes, schema),
    consistency: raw.consistency ?? "strong",
  };
}
