/**
 * turbopuffer's query body (`rank_by`, `top_k`, `filters`, `include_attributes`, …) planned against
 * the namespace schema into the engine's QueryPlan — the same plan the v1 API produces, executed by
 * the same code. Everything the engine cannot do is a 400 naming the field, never a silent
 * approximation. Rendering (`$dist`, `vector_encoding`) belongs to the HTTP layer.
 *
 * rank_by forms:
 *   ["vector", "ANN" | "kNN", [..] | base64]       distance to a vector
 *   [attr, "BM25", "text"]                           BM25 on one attribute
 *   ["Sum", [e, ...]]  ["Product", w, e]             weighted sums of BM25 clauses
 *   ["id", "asc"]                                    id order (also the default without rank_by)
 */
import { decodeBase64F32 } from "../codec/base64-f32.ts";
import { InvalidArgumentError } from "../errors.ts";
import { type FieldQuery, planFullTextQuery } from "../index/fulltext/full-text-query.ts";
import { MAX_FULL_TEXT_QUERY_CHARS, type QueryPlan, parseQueryVector, parseTopK } from "../query/plan.ts";
import { type Schema, fullTextFields, parseMetric } from "../schema/schema.ts";
import { parseTurbopufferFilter } from "./filter.ts";

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

interface Bm25Clause {
  field: string;
  text: string;
  weight: number;
}

/** Flattens a BM25 expression (leaf, Sum, Product) into weighted per-field clauses. */
function bm25Clauses(node: unknown, weight: number, where: string, out: Bm25Clause[]): void {
  if (!Array.isArray(node) || node.length < 2) throw new InvalidArgumentError(`${where}: expected a ranking expression such as ["title", "BM25", "text"]`);
  const [head] = node;
  if (head === "Sum") {
    if (node.length !== 2 || !Array.isArray(node[1]) || node[1].length === 0) throw new InvalidArgumentError(`${where}: expected ["Sum", [expr, ...]]`);
    node[1].forEach((c: unknown, i: number) => bm25Clauses(c, weight, `${where}.Sum[${i}]`, out));
    return;
  }
  if (head === "Product") {
    // ["Product", w, e], ["Product", e, w] and the older ["Product", [w, e]].
    const args = node.length === 2 && Array.isArray(node[1]) && node[1].length === 2 ? node[1] : node.slice(1);
    if (args.length !== 2) throw new InvalidArgumentError(`${where}: expected ["Product", weight, expr]`);
    const [a, b] = args;
    const [w, e] = typeof a === "number" ? [a, b] : [b, a];
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) throw new InvalidArgumentError(`${where}.Product: the weight must be a finite number ≥ 0`);
    bm25Clauses(e, weight * w, `${where}.Product`, out);
    return;
  }
  if (head === "Max") throw new InvalidArgumentError(`${where}: the Max ranking operator is not supported by Elacsym`);
  if (typeof head === "string" && ["Saturate", "Decay", "Dist", "Attribute"].includes(head)) {
    throw new InvalidArgumentError(`${where}: the ${head} ranking operator is not supported by Elacsym`);
  }
  const [field, op, text, params] = node;
  if (typeof field !== "string" || op !== "BM25") {
    if (typeof op === "string" && /^(Eq|NotEq|In|NotIn|Lt|Lte|Gt|Gte|Contains|Glob)/.test(op)) {
      throw new InvalidArgumentError(`${where}: filters as ranking expressions are not supported by Elacsym`);
    }
    throw new InvalidArgumentError(`${where}: expected [attribute, "BM25", "query text"], Sum or Product`);
  }
  if (node.length > 4) throw new InvalidArgumentError(`${where}: expected [attribute, "BM25", "query text", params?]`);
  if (params !== undefined && params !== null) {
    if (!isObject(params) || Object.keys(params).some((k) => k !== "last_as_prefix")) throw new InvalidArgumentError(`${where}[3]: expected {"last_as_prefix": false}`);
    if (params.last_as_prefix === true) throw new InvalidArgumentError(`${where}[3].last_as_prefix: prefix matching is not supported by Elacsym`);
  }
  if (Array.isArray(text)) throw new InvalidArgumentError(`${where}[2]: pre-tokenized BM25 queries (arrays) are not supported by Elacsym; pass the query text`);
  if (typeof text !== "string" || text.trim() === "") throw new InvalidArgumentError(`${where}[2]: expected a non-empty query string`);
  if (text.length > MAX_FULL_TEXT_QUERY_CHARS) throw new InvalidArgumentError(`${where}[2]: at most ${MAX_FULL_TEXT_QUERY_CHARS} characters`);
  out.push({ field, text, weight });
}

/** The engine's full-text query for a BM25 expression: one analyzed field query per clause. */
function planBm25(node: unknown, schema: Schema, where: string): FieldQuery[] {
  const clauses: Bm25Clause[] = [];
  bm25Clauses(node, 1, where, clauses);
  const configs = fullTextFields(schema);
  const merged = new Map<string, Bm25Clause>();
  for (const c of clauses) {
    if (!schema.attributes[c.field]) throw new InvalidArgumentError(`${where}: unknown attribute '${c.field}'`);
    if (!configs[c.field]) throw new InvalidArgumentError(`${where}: attribute '${c.field}' is not full-text indexed (set full_text_search in its schema)`);
    const have = merged.get(c.field);
    if (!have) merged.set(c.field, { ...c });
    else if (have.text === c.text) have.weight += c.weight;
    else throw new InvalidArgumentError(`${where}: attribute '${c.field}' appears with two different query texts; Elacsym scores one text per attribute`);
  }
  const fields: FieldQuery[] = [];
  for (const c of merged.values()) fields.push(...planFullTextQuery(c.text, { [c.field]: c.weight }, configs).fields);
  return fields;
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
  if (raw.aggregate_by !== undefined || raw.group_by !== undefined) {
    throw new InvalidArgumentError("aggregate_by: aggregations are not supported by Elacsym yet");
  }
  const consistency = parseTurbopufferConsistency(raw.consistency);
  parseVectorEncoding(raw.vector_encoding);
  const topK = parseLimit(raw);
  const filter = raw.filters === undefined || raw.filters === null ? null : parseTurbopufferFilter(raw.filters, schema, "filters");
  const { includeAttributes, includeVector } = parseProjection(raw, schema);
  const plan: QueryPlan = {
    topK,
    vector: null,
    metric: null,
    fullText: null,
    hybrid: null,
    armDepth: topK,
    filter,
    includeVector,
    includeAttributes,
    consistency,
  };
  if (raw.distance_metric !== undefined && raw.distance_metric !== null) {
    const metric = parseMetric(raw.distance_metric, "distance_metric");
    if (schema.vector && schema.vector.metric !== metric) {
      throw new InvalidArgumentError(`distance_metric: this namespace uses ${schema.vector.metric === "cosine" ? "cosine_distance" : schema.vector.metric}; got ${raw.distance_metric}`);
    }
  }
  const rank = raw.rank_by;
  if (rank === undefined || rank === null) return plan;
  if (!Array.isArray(rank) || rank.length < 2) throw new InvalidArgumentError('rank_by: expected e.g. ["vector", "ANN", [...]], ["text", "BM25", "query"] or ["attr", "asc"]');
  const [field, op] = rank;
  if (op === "ANN" || op === "kNN") {
    if (rank.length !== 3) throw new InvalidArgumentError(`rank_by: expected ["vector", "${op}", [...]]`);
    if (field !== "vector") throw new InvalidArgumentError(`rank_by[0]: '${String(field)}' is not a vector attribute; Elacsym stores one vector per document, named "vector"`);
    if (!schema.vector) throw new InvalidArgumentError("rank_by: this namespace has no vectors");
    plan.vector = queryVector(rank[2], schema, "rank_by[2]");
    plan.metric = schema.vector.metric;
    return plan;
  }
  if (op === "asc" || op === "desc") {
    if (rank.length !== 2) throw new InvalidArgumentError(`rank_by: expected [attribute, "${op}"]`);
    if (field === "id" && op === "asc") return plan;
    throw new InvalidArgumentError(`rank_by: ordering by an attribute (${JSON.stringify(rank)}) is not supported by Elacsym yet; only ["id", "asc"]`);
  }
  if (Array.isArray(field)) throw new InvalidArgumentError("rank_by: ordering by several attributes is not supported by Elacsym");
  plan.fullText = { fields: planBm25(rank, schema, "rank_by") };
  return plan;
}
