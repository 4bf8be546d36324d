/**
 * turbopuffer's query body (`rank_by`, `top_k`, `filters`, `include_attributes`, …) planned against
 * the namespace schema into the engine's QueryPlan — the same plan the v1 API produces, executed by
 * the same code. Everything the engine cannot do is a 400 naming the field, never a silent
 * approximation. Rendering (`$dist`, `vector_encoding`) belongs to the HTTP layer.
 *
 * rank_by forms:
 *   ["vector", "ANN" | "kNN", [..] | base64]       distance to a vector
 *   [attr, "BM25", "text"]                           BM25 on one attribute
 *   ["Sum" | "Max", [e, ...]]  ["Product", w, e]     rank expressions over BM25 clauses
 *   [attr, "asc" | "desc"]                           attribute order (id order without rank_by)
 * `aggregate_by: {"n": ["Count"]}` (with `group_by`) counts instead of returning rows.
 */
import { decodeBase64F32 } from "../codec/base64-f32.ts";
import { InvalidArgumentError } from "../errors.ts";
import { type AggregatePlan, DEFAULT_GROUP_LIMIT, MAX_FULL_TEXT_QUERY_CHARS, type QueryPlan, checkOrderableField, parseQueryVector, parseTopK } from "../query/plan.ts";
import { type RankExpression, planRankExpression } from "../query/rank-expression.ts";
import type { Schema } from "../schema/schema.ts";
import { checkTokenParams, parseTurbopufferFilter } from "./filter.ts";
import { turbopufferMetric, turbopufferMetricName } from "./schema.ts";

const QUERY_KEYS = [
  "rank_by",
  "top_k",
  "limit",
  "filters",
  "include_attributes",
  "exclude_attributes",
  "aggregate_by",
  "group_by",
  "consistency",
  "vector_encoding",
  "distance_metric",
];
/** Fields of turbopuffer's API that Elacsym does not implement (a 400 rather than "unknown field"). */
const UNSUPPORTED_KEYS = new Set(["compute_attributes", "rerank_by"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `consistency: {"level": "strong" | "eventual"}` (absent: strong). */
export function parseTurbopufferConsistency(raw: unknown, where = "consistency"): "strong" | "eventual" {
  if (raw === undefined || raw === null) return "strong";
  if (!isObject(raw) || Object.keys(raw).some((k) => k !== "level")) throw new InvalidArgumentError(`${where}: expected {"level": "strong" | "eventual"}`);
  const level = raw.level ?? "strong";
  if (level !== "strong" && level !== "eventual") throw new InvalidArgumentError(`${where}.level: expected "strong" or "eventual", got ${JSON.stringify(level)}`);
  return level;
}

/** `vector_encoding: "float" | "base64"` (absent: float). */
export function parseVectorEncoding(raw: unknown, where = "vector_encoding"): "float" | "base64" {
  if (raw === undefined || raw === null) return "float";
  if (raw === "float" || raw === "base64") return raw;
  throw new InvalidArgumentError(`${where}: expected "float" or "base64", got ${JSON.stringify(raw)}`);
}

/** A query vector given as numbers or as base64 float32. */
function queryVector(raw: unknown, schema: Schema, where: string): Float32Array {
  if (typeof raw === "string") {
    const v = decodeBase64F32(raw, where);
    return parseQueryVector(Array.from(v), schema, where);
  }
  return parseQueryVector(raw, schema, where);
}

const UNSUPPORTED_RANKERS = ["Saturate", "Decay", "Dist", "Attribute"];

/** A BM25 rank expression (leaf, Sum, Max, Product) as the engine's RankExpression. */
function rankExpression(node: unknown, where: string, depth = 0): RankExpression {
  if (depth > 8) throw new InvalidArgumentError(`${where}: expression nests deeper than 8`);
  if (!Array.isArray(node) || node.length < 2) throw new InvalidArgumentError(`${where}: expected a ranking expression such as ["title", "BM25", "text"]`);
  const [head] = node;
  if (head === "Sum" || head === "Max") {
    if (node.length !== 2 || !Array.isArray(node[1]) || node[1].length === 0) throw new InvalidArgumentError(`${where}: expected ["${head}", [expr, ...]]`);
    const items = node[1].map((c: unknown, i: number) => rankExpression(c, `${where}.${head}[${i}]`, depth + 1));
    return { kind: head === "Sum" ? "sum" : "max", items };
  }
  if (head === "Product") {
    // ["Product", w, e], ["Product", e, w] and the older ["Product", [w, e]].
    const args = node.length === 2 && Array.isArray(node[1]) && node[1].length === 2 && typeof node[1][0] === "number" ? node[1] : node.slice(1);
    if (args.length !== 2) throw new InvalidArgumentError(`${where}: expected ["Product", weight, expr]`);
    const [a, b] = args;
    const [w, e] = typeof a === "number" ? [a, b] : [b, a];
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) throw new InvalidArgumentError(`${where}.Product: the weight must be a finite number ≥ 0`);
    return { kind: "product", weight: w, item: rankExpression(e, `${where}.Product`, depth + 1) };
  }
  if (typeof head === "string" && UNSUPPORTED_RANKERS.includes(head)) throw new InvalidArgumentError(`${where}: the ${head} ranking operator is not supported by Elacsym`);
  const [field, op, text, params] = node;
  if (typeof field !== "string" || op !== "BM25") {
    if (typeof op === "string" && /^(Not)?(Eq|In|Lt|Lte|Gt|Gte|Contains|ContainsAny|Glob|IGlob)/.test(op)) {
      throw new InvalidArgumentError(`${where}: filters as ranking expressions are not supported by Elacsym`);
    }
    throw new InvalidArgumentError(`${where}: expected [attribute, "BM25", "query text"], Sum, Max or Product`);
  }
  if (node.length > 4) throw new InvalidArgumentError(`${where}: expected [attribute, "BM25", "query text", params?]`);
  checkTokenParams(params, `${where}[3]`);
  if (Array.isArray(text)) throw new InvalidArgumentError(`${where}[2]: pre-tokenized BM25 queries (arrays) are not supported by Elacsym; pass the query text`);
  if (typeof text !== "string" || text.trim() === "") throw new InvalidArgumentError(`${where}[2]: expected a non-empty query string`);
  if (text.length > MAX_FULL_TEXT_QUERY_CHARS) throw new InvalidArgumentError(`${where}[2]: at most ${MAX_FULL_TEXT_QUERY_CHARS} characters`);
  return { kind: "bm25", field, query: text };
}

/** Checks that every BM25 leaf names a full-text attribute (errors in turbopuffer's terms). */
function checkRankFields(e: RankExpression, schema: Schema, where: string): void {
  if (e.kind === "bm25") {
    if (!schema.attributes[e.field]) throw new InvalidArgumentError(`${where}: unknown attribute '${e.field}'`);
    if (!schema.attributes[e.field].full_text) throw new InvalidArgumentError(`${where}: attribute '${e.field}' is not full-text indexed (set full_text_search in its schema)`);
  } else if (e.kind === "product") checkRankFields(e.item, schema, where);
  else for (const i of e.items) checkRankFields(i, schema, where);
}

/** `aggregate_by: {"name": ["Count"]}` with optional `group_by: ["attr", ...]`. */
function parseAggregateBy(raw: Record<string, unknown>, schema: Schema, limit: number): AggregatePlan {
  const agg = raw.aggregate_by;
  if (!isObject(agg) || Object.keys(agg).length === 0) throw new InvalidArgumentError('aggregate_by: expected {"name": ["Count"]}');
  const counts = Object.entries(agg).map(([name, fn]) => {
    if (!Array.isArray(fn) || typeof fn[0] !== "string") throw new InvalidArgumentError(`aggregate_by.${name}: expected ["Count"]`);
    if (fn[0] !== "Count") throw new InvalidArgumentError(`aggregate_by.${name}: the ${fn[0]} aggregation is not supported by Elacsym (only ["Count"])`);
    if (fn.length !== 1) throw new InvalidArgumentError(`aggregate_by.${name}: counting one attribute's values (["Count", attr]) is not supported by Elacsym; use ["Count"]`);
    return name;
  });
  let groupBy: string[] = [];
  if (raw.group_by !== undefined && raw.group_by !== null) {
    if (!Array.isArray(raw.group_by) || raw.group_by.length === 0) throw new InvalidArgumentError("group_by: expected a non-empty list of attribute names");
    groupBy = raw.group_by.map((f, i) => {
      if (typeof f !== "string") throw new InvalidArgumentError(`group_by[${i}]: expected an attribute name (group functions are not supported by Elacsym)`);
      return checkOrderableField(schema, f, `group_by[${i}]`);
    });
  }
  return { counts, groupBy, limit };
}

/** `top_k` and `limit` (a number or {"total": n}); they must agree when both are given. */
function parseLimit(raw: Record<string, unknown>): number {
  let limit: number | undefined;
  if (raw.limit !== undefined && raw.limit !== null) {
    const l = raw.limit;
    if (typeof l === "number") limit = parseTopK(l, "limit");
    else if (isObject(l)) {
      if (l.per !== undefined) throw new InvalidArgumentError("limit.per: per-key limits are not supported by Elacsym");
      if (Object.keys(l).some((k) => k !== "total" && k !== "per")) throw new InvalidArgumentError('limit: expected a number or {"total": n}');
      limit = parseTopK(l.total, "limit.total");
    } else throw new InvalidArgumentError('limit: expected a number or {"total": n}');
  }
  if (raw.top_k !== undefined && raw.top_k !== null) {
    const k = parseTopK(raw.top_k);
    if (limit !== undefined && limit !== k) throw new InvalidArgumentError("top_k: differs from limit; give one of them");
    return k;
  }
  return limit ?? parseTopK(undefined);
}

/** Which attributes rows carry: `include_attributes` (true / list; default none) or `exclude_attributes`. */
function parseProjection(raw: Record<string, unknown>, schema: Schema): { includeAttributes: string[]; includeVector: boolean } {
  const all = Object.keys(schema.attributes);
  const hasVector = schema.vector !== undefined;
  if (raw.exclude_attributes !== undefined && raw.exclude_attributes !== null) {
    if (raw.include_attributes !== undefined && raw.include_attributes !== null) throw new InvalidArgumentError("exclude_attributes: give either include_attributes or exclude_attributes");
    const ex = raw.exclude_attributes;
    if (!Array.isArray(ex) || ex.some((n) => typeof n !== "string")) throw new InvalidArgumentError("exclude_attributes: expected a list of attribute names");
    const excluded = new Set(ex as string[]);
    return { includeAttributes: all.filter((n) => !excluded.has(n)), includeVector: hasVector && !excluded.has("vector") };
  }
  const inc = raw.include_attributes;
  if (inc === undefined || inc === null || inc === false) return { includeAttributes: [], includeVector: false };
  if (inc === true) return { includeAttributes: all, includeVector: hasVector };
  if (!Array.isArray(inc) || inc.some((n) => typeof n !== "string")) throw new InvalidArgumentError("include_attributes: expected true, false or a list of attribute names");
  // Names the namespace does not have are simply absent from rows, as for documents lacking them.
  const names = (inc as string[]).filter((n) => n !== "id" && n !== "vector" && n !== "$dist");
  return { includeAttributes: names, includeVector: hasVector && inc.includes("vector") };
}

/** Plans one turbopuffer query against the schema. */
export function planTurbopufferQuery(raw: unknown, schema: Schema): QueryPlan {
  if (!isObject(raw)) throw new InvalidArgumentError("query: expected a JSON object");
  for (const key of Object.keys(raw)) {
    if (UNSUPPORTED_KEYS.has(key)) throw new InvalidArgumentError(`${key}: not supported by Elacsym`);
    if (!QUERY_KEYS.includes(key)) throw new InvalidArgumentError(`query: unknown field '${key}' (allowed: ${QUERY_KEYS.join(", ")})`);
  }
  const consistency = parseTurbopufferConsistency(raw.consistency);
  parseVectorEncoding(raw.vector_encoding);
  const aggregating = raw.aggregate_by !== undefined && raw.aggregate_by !== null;
  if (!aggregating && raw.group_by !== undefined && raw.group_by !== null) throw new InvalidArgumentError("group_by: needs aggregate_by");
  const topK = parseLimit(raw);
  const filter = raw.filters === undefined || raw.filters === null ? null : parseTurbopufferFilter(raw.filters, schema, "filters");
  const { includeAttributes, includeVector } = parseProjection(raw, schema);
  const plan: QueryPlan = {
    topK,
    vector: null,
    metric: null,
    fullText: null,
    orderBy: null,
    aggregate: null,
    hybrid: null,
    armDepth: topK,
    exact: false,
    nprobe: null,
    filter,
    includeVector,
    includeAttributes,
    consistency,
  };
  if (raw.distance_metric !== undefined && raw.distance_metric !== null) {
    const metric = turbopufferMetric(raw.distance_metric);
    if (schema.vector && schema.vector.metric !== metric) {
      throw new InvalidArgumentError(`distance_metric: this namespace uses ${turbopufferMetricName(schema.vector.metric)}; got ${raw.distance_metric}`);
    }
  }
  const rank = raw.rank_by;
  if (aggregating) {
    if (rank !== undefined && rank !== null) throw new InvalidArgumentError("aggregate_by: cannot be combined with rank_by");
    // Groups returned: top_k (or limit) when given, else the engine's default.
    const limited = (raw.top_k !== undefined && raw.top_k !== null) || (raw.limit !== undefined && raw.limit !== null);
    plan.aggregate = parseAggregateBy(raw, schema, limited ? topK : DEFAULT_GROUP_LIMIT);
    return plan;
  }
  if (rank !== undefined && rank !== null) applyRankBy(plan, rank, schema);
  return plan;
}

/** Sets the plan's ranking from `rank_by`: a vector, an attribute order or a BM25 expression. */
function applyRankBy(plan: QueryPlan, rank: unknown, schema: Schema): void {
  if (!Array.isArray(rank) || rank.length < 2) throw new InvalidArgumentError('rank_by: expected e.g. ["vector", "ANN", [...]], ["text", "BM25", "query"] or ["attr", "asc"]');
  const [field, op] = rank;
  if (op === "ANN" || op === "kNN") {
    if (rank.length !== 3) throw new InvalidArgumentError(`rank_by: expected ["vector", "${op}", [...]]`);
    if (field !== "vector") throw new InvalidArgumentError(`rank_by[0]: '${String(field)}' is not a vector attribute; Elacsym stores one vector per document, named "vector"`);
    if (!schema.vector) throw new InvalidArgumentError("rank_by: this namespace has no vectors");
    plan.vector = queryVector(rank[2], schema, "rank_by[2]");
    plan.metric = schema.vector.metric;
    // ANN: the vector index (when built); kNN: exact distances to every matching vector.
    plan.exact = op === "kNN";
    return;
  }
  if (op === "asc" || op === "desc") {
    if (rank.length !== 2) throw new InvalidArgumentError(`rank_by: expected [attribute, "${op}"]`);
    plan.orderBy = { field: checkOrderableField(schema, field, "rank_by[0]"), descending: op === "desc" };
    return;
  }
  if (Array.isArray(field)) throw new InvalidArgumentError("rank_by: ordering by several attributes is not supported by Elacsym");
  const expression = rankExpression(rank, "rank_by");
  checkRankFields(expression, schema, "rank_by");
  plan.fullText = planRankExpression(expression, schema);
}
