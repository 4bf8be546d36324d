/**
 * Request bodies of the turbopuffer-compatible API, as the official client (2.8) sends them: the
 * write body, the query body (single or multi-query), the schema map, the recall probe. Shape only;
 * the translation onto the engine (validate/turbopuffer-write.ts, core/turbopuffer/*) checks values
 * against the namespace's schema and the parts that depend on each other.
 */
import * as z from "zod";
import { MAX_TOP_K } from "../../core/query/plan.ts";
import { TURBOPUFFER_FILTER_OPS } from "../../core/turbopuffer/filter.ts";
import { MAX_BATCH_DOCUMENTS } from "../../core/wal/write-batch.ts";
import { MAX_RECALL_QUERIES } from "../../service/namespace-service.ts";
import { DocId, DocIds, IncludeAttributes, TurbopufferVector, fullTextOptionFields, intRange } from "./common.ts";
import { fastChecked } from "./fast-checked.ts";

/** Sub-queries of one multi-query request. */
export const MAX_SUBQUERIES = 16;

/** A field of turbopuffer's API that Elacsym does not implement: a 400 saying so, not "unknown field". */
function unsupported(what = "not supported by Elacsym") {
  return z.never({ error: what }).optional().meta({ description: `Not supported by Elacsym (${what}).` });
}

const filterRef = { $ref: "#/components/schemas/TurbopufferFilter" };

/** The filter grammar; operands are typed by the attribute they compare, so the core parses it. */
export const TurbopufferFilter = fastChecked<unknown[]>(
  (v) => Array.isArray(v),
  {
    oneOf: [
      {
        title: "Condition",
        type: "array",
        prefixItems: [{ type: "string", description: 'An attribute name or "id".' }, { enum: TURBOPUFFER_FILTER_OPS.filter((op) => !["And", "Or", "Not"].includes(op)) }, { description: "The operand." }],
        minItems: 3,
        maxItems: 4,
      },
      { title: "And / Or", type: "array", prefixItems: [{ enum: ["And", "Or"] }, { type: "array", items: filterRef }], minItems: 2, maxItems: 2 },
      { title: "Not", type: "array", prefixItems: [{ const: "Not" }, filterRef], minItems: 2, maxItems: 2 },
    ],
    examples: [["And", [["price", "Gte", 10], ["tags", "ContainsAny", ["red"]]]]],
  },
  () => 'expected a filter such as ["price", "Gte", 10] or ["And", [...]]',
  { id: "TurbopufferFilter", description: "A filter as nested arrays: [attribute, operator, value], [\"And\" | \"Or\", [filter, ...]] or [\"Not\", filter]." },
);

const rankRef = { $ref: "#/components/schemas/RankBy" };

/** The rank_by grammar (vector, BM25 expressions, attribute order), parsed by the core. */
export const RankBy = fastChecked<unknown[]>(
  (v) => Array.isArray(v),
  {
    oneOf: [
      { title: "Vector", type: "array", prefixItems: [{ const: "vector" }, { enum: ["ANN", "kNN"] }, { $ref: "#/components/schemas/TurbopufferVector" }], minItems: 3, maxItems: 3 },
      { title: "BM25", type: "array", prefixItems: [{ type: "string" }, { const: "BM25" }, { type: "string", minLength: 1 }, { type: "object", properties: { last_as_prefix: { const: false } } }], minItems: 3, maxItems: 4 },
      { title: "Sum / Max", type: "array", prefixItems: [{ enum: ["Sum", "Max"] }, { type: "array", minItems: 1, items: rankRef }], minItems: 2, maxItems: 2 },
      { title: "Product", type: "array", prefixItems: [{ const: "Product" }, { type: "number", minimum: 0 }, rankRef], minItems: 3, maxItems: 3 },
      { title: "Order by attribute", type: "array", prefixItems: [{ type: "string" }, { enum: ["asc", "desc"] }], minItems: 2, maxItems: 2 },
    ],
    examples: [["vector", "ANN", [0.1, 0.2, 0.3]], ["Sum", [["Product", 2, ["title", "BM25", "red fox"]], ["body", "BM25", "red fox"]]]],
  },
  () => 'expected e.g. ["vector", "ANN", [...]], ["text", "BM25", "query"] or ["attr", "asc"]',
  { id: "RankBy", description: "What to rank by: a vector (ANN or exact kNN), a BM25 expression, or an attribute order." },
);

export const DistanceMetric = z
  .enum(["cosine_distance", "euclidean_squared", "cosine", "dot_product"], { error: (iss) => `expected "cosine_distance" or "euclidean_squared", got ${JSON.stringify(iss.input)}` })
  .meta({ id: "DistanceMetric" });

const FullTextSearch = z.union([
  z.boolean(),
  z.strictObject({
    language: z.string().optional(),
    ...fullTextOptionFields,
    tokenizer: z.string().optional().meta({ description: "word_v0 … word_v4." }),
  }),
], { error: "expected true, false or an object of full-text options" });

export const TurbopufferSchema = z
  .record(
    z.string(),
    z.union([
      z.string(),
      z.strictObject({
        type: z.string().optional().meta({ description: 'A type (string, int, uint, float, bool, datetime, uuid, []<type>), "[N]f32" for the vector, uint / uuid / string for id.' }),
        filterable: z.boolean().optional(),
        full_text_search: FullTextSearch.optional(),
        glob: z.boolean().optional(),
        regex: z.boolean().optional(),
        fuzzy: z.unknown().optional(),
        ann: z.union([z.boolean(), z.strictObject({ distance_metric: DistanceMetric.optional() })]).optional(),
        embed: z.unknown().optional(),
        sparse_knn: z.unknown().optional(),
      }),
    ], { error: 'expected a type name or {"type": ...}' }),
  )
  .meta({
    id: "TurbopufferSchema",
    description: "Attribute name → type or settings; `id` and `vector` are ordinary keys.",
    example: { id: { type: "uint" }, vector: { type: "[3]f32", ann: { distance_metric: "cosine_distance" } }, title: { type: "string", full_text_search: true }, price: "float" },
  });

const Row = z.object({ id: DocId, vector: TurbopufferVector.nullish() }).catchall(z.unknown()).meta({ id: "TurbopufferRow", description: "A document: id, optional vector, and attributes as top-level keys." });
const noVector = z.never({ error: "vectors cannot be patched; upsert the whole document" }).nullish();
const PatchRow = z.object({ id: DocId, vector: noVector }).catchall(z.unknown()).meta({ id: "TurbopufferPatchRow" });

function rowsOf<T extends z.ZodType>(row: T) {
  return z
    .array(row)
    .min(1, { error: "expected a non-empty array of rows" })
    .max(MAX_BATCH_DOCUMENTS, { error: (iss) => `at most ${MAX_BATCH_DOCUMENTS} rows per request (got ${(iss.input as unknown[]).length})` });
}

const column = z.array(z.unknown(), { error: "expected an array with one value per id" });
const Columns = z
  .object({ id: DocIds, vector: z.union([z.array(TurbopufferVector), z.string()], { error: "expected an array of vectors or a base64 string" }).nullish() })
  .catchall(column)
  .meta({ id: "TurbopufferColumns", description: "Documents as columns: `id`, optional `vector`, and one array per attribute, each with one value per id." });
const PatchColumns = z.object({ id: DocIds, vector: noVector }).catchall(column).meta({ id: "TurbopufferPatchColumns" });

const Flag = z.boolean().nullish();

export const WriteRequest = z
  .strictObject({
    upsert_rows: rowsOf(Row).nullish(),
    upsert_columns: Columns.nullish(),
    patch_rows: rowsOf(PatchRow).nullish(),
    patch_columns: PatchColumns.nullish(),
    deletes: DocIds.nullish(),
    delete_by_filter: TurbopufferFilter.nullish(),
    delete_by_filter_allow_partial: Flag,
    patch_by_filter: z
      .strictObject({
        filters: TurbopufferFilter,
        patch: z
          .record(z.string(), z.unknown())
          .refine((p) => Object.keys(p).length > 0, { error: "expected an object of attributes to set" })
          .refine((p) => !("id" in p) && !("vector" in p), { error: "ids and vectors cannot be patched" }),
      })
      .nullish(),
    patch_by_filter_allow_partial: Flag,
    upsert_condition: TurbopufferFilter.nullish(),
    patch_condition: TurbopufferFilter.nullish(),
    delete_condition: TurbopufferFilter.nullish(),
    distance_metric: DistanceMetric.nullish(),
    schema: TurbopufferSchema.nullish(),
    return_affected_ids: Flag,
    disable_backpressure: Flag,
    encryption: z
      .strictObject({ mode: z.literal("default", { error: 'only {"mode": "default"} is supported by Elacsym' }) }, { error: 'only {"mode": "default"} is supported by Elacsym' })
      .nullish(),
    copy_from_namespace: unsupported(),
    branch_from_namespace: unsupported(),
    sharding: unsupported(),
  })
  .meta({ id: "TurbopufferWriteRequest", description: "Any combination of upserts, patches and deletes, applied atomically in one WAL entry." });

export type TurbopufferWrite = z.output<typeof WriteRequest>;

const TopK = intRange(1, MAX_TOP_K);

const queryFields = {
  rank_by: RankBy.nullish(),
  top_k: TopK.nullish(),
  limit: z
    .union([TopK, z.strictObject({ total: TopK, per: unsupported("per-key limits are not supported by Elacsym") })])
    .nullish()
    .meta({ description: 'A number or {"total": n}; same as top_k.' }),
  filters: TurbopufferFilter.nullish(),
  include_attributes: IncludeAttributes.nullish(),
  exclude_attributes: z.array(z.string()).nullish(),
  aggregate_by: z
    .record(z.string(), z.array(z.unknown(), { error: 'expected ["Count"]' }))
    .refine((a) => Object.keys(a).length > 0, { error: 'expected {"name": ["Count"]}' })
    .nullish()
    .meta({ description: 'Count matching rows: {"name": ["Count"]}.' }),
  group_by: z.array(z.unknown()).min(1, { error: "expected a non-empty list of attribute names" }).nullish(),
  consistency: z.strictObject({ level: z.enum(["strong", "eventual"]).optional() }, { error: 'expected {"level": "strong" | "eventual"}' }).nullish(),
  vector_encoding: z.enum(["float", "base64"]).nullish(),
  distance_metric: DistanceMetric.nullish(),
  compute_attributes: unsupported(),
};

export const Query = z.strictObject(queryFields).meta({ id: "TurbopufferQuery" });
export type TurbopufferQueryBody = z.output<typeof Query>;

const setOnce = z.never({ error: "set it once, at the top level of a multi-query" }).optional();
const SubQuery = z.strictObject({ ...queryFields, consistency: setOnce, vector_encoding: setOnce }).meta({ id: "TurbopufferSubQuery" });

const positive = z.number().positive({ error: "expected a number > 0" });

export const QueryRequest = z
  .strictObject({
    ...queryFields,
    queries: z
      .array(SubQuery)
      .min(1, { error: `expected an array of 1 to ${MAX_SUBQUERIES} queries` })
      .max(MAX_SUBQUERIES, { error: `expected an array of 1 to ${MAX_SUBQUERIES} queries` })
      .optional()
      .meta({ description: "Multi-query: several queries on one snapshot; with rerank_by their rows are fused." }),
    rerank_by: z
      .tuple([z.literal("RRF"), z.strictObject({ rank_constant: positive.optional(), weights: z.array(positive).optional() }).optional()], {
        error: 'expected ["RRF"] or ["RRF", {"rank_constant": 60, "weights": [...]}]',
      })
      .optional()
      .meta({ description: "Multi-query only: fuse the sub-queries' rows with Reciprocal Rank Fusion (one weight per query)." }),
  })
  .meta({ id: "TurbopufferQueryRequest", description: "One query, or `queries` (with optional `rerank_by`, `limit`, `consistency`, `vector_encoding`)." });

export const RecallRequest = z
  .strictObject({
    num: intRange(1, MAX_RECALL_QUERIES).optional().meta({ description: "Query vectors sampled from the namespace (default 20; 1 with rank_by)." }),
    top_k: intRange(1, 1000).optional(),
    filters: TurbopufferFilter.nullish(),
    rank_by: z.tuple([z.literal("vector"), z.enum(["ANN", "kNN"]), TurbopufferVector], { error: 'expected ["vector", "ANN", [...]]' }).nullish(),
    include_ground_truth: z.boolean().optional(),
  })
  .meta({ id: "RecallRequest", description: "Measures the vector index's recall against exact search." });
