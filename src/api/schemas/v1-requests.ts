/**
 * Request bodies and query parameters of the Elacsym API (v1): the shape every request must have
 * before it reaches the engine. Checks that need the namespace's stored schema (dimensions, attribute
 * types, which attributes exist) are the core's (write-batch.ts, plan.ts, filter.ts).
 */
import * as z from "zod";
import { FULL_TEXT_LANGUAGES } from "../../core/index/fulltext/full-text-config.ts";
import { MAX_FULL_TEXT_QUERY_CHARS, MAX_TOP_K } from "../../core/query/plan.ts";
import { SCALAR_TYPES } from "../../core/schema/attribute-value.ts";
import { MAX_ATTRIBUTES, MAX_DIMENSIONS } from "../../core/schema/schema.ts";
import { MAX_BATCH_DOCUMENTS } from "../../core/wal/write-batch.ts";
import { Attributes, DocId, DocIds, Filter, IncludeAttributes, Vector, fullTextOptionFields, intParam, intRange } from "./common.ts";

export const MAX_LIST_LIMIT = 1000;

export const ListNamespacesQuery = z.object({
  prefix: z.string().optional().meta({ description: "Only names starting with this prefix." }),
  cursor: z.string().optional().meta({ description: "`next_cursor` of the previous page." }),
  limit: intParam(1, MAX_LIST_LIMIT).optional().meta({ description: "Page size (default 100)." }),
  page_size: intParam(1, MAX_LIST_LIMIT).optional().meta({ description: "turbopuffer's name for `limit`." }),
});

export const AttributeType = z
  .enum([...SCALAR_TYPES, ...SCALAR_TYPES.map((t) => `[]${t}`)], { error: (iss) => `unknown type ${JSON.stringify(iss.input)}; use string, int, uint, float, bool, datetime, uuid or []<type>` })
  .meta({ id: "AttributeType" });

export const FullTextOptions = z
  .strictObject({
    language: z.enum(FULL_TEXT_LANGUAGES).optional(),
    ...fullTextOptionFields,
    k3: z.number().min(0).optional(),
  })
  .meta({ id: "FullTextOptions", description: "Full-text (BM25) settings of a string attribute; omitted options take their defaults (english, stemming, stopwords removed, case-insensitive, k1 1.2, b 0.75)." });

const FullText = z.union([z.boolean(), FullTextOptions], { error: "expected true, false or an object of full-text options" });

export const AttributeSchema = z
  .union([
    AttributeType,
    z.strictObject({ type: AttributeType, filterable: z.boolean().optional(), full_text: FullText.optional(), full_text_search: FullText.optional() }),
  ], { error: "expected a type name or {type, filterable?, full_text?}" })
  .meta({ id: "AttributeSchema", description: "A type name, or the type with its filter and full-text settings." });

export const NamespaceSchema = z
  .strictObject({
    id_type: z.enum(["u64", "uuid", "string"]).optional(),
    vector: z
      .strictObject({
        dimensions: intRange(1, MAX_DIMENSIONS),
        metric: z.enum(["cosine", "euclidean_squared", "dot_product", "cosine_distance", "euclidean", "dot"]).optional().meta({ description: "Default cosine." }),
      })
      .nullish(),
    attributes: z.record(z.string(), AttributeSchema).optional().meta({ description: `At most ${MAX_ATTRIBUTES} attributes; more are added (typed by their first value) as documents arrive.` }),
  })
  .meta({
    id: "NamespaceSchema",
    example: {
      vector: { dimensions: 3, metric: "cosine" },
      attributes: { title: { type: "string", full_text: { language: "english", stemming: true } }, price: "float", tags: "[]string" },
    },
  });

export const CreateNamespaceRequest = z.strictObject({ schema: NamespaceSchema.optional() }).meta({ id: "CreateNamespaceRequest" });

const V1Document = z
  .strictObject({ id: DocId, vector: Vector.nullish(), attributes: Attributes.nullish() })
  .meta({ id: "Document", description: "A whole document. Either every document of a request has a vector or none has." });

function batchOf<T extends z.ZodType>(item: T) {
  return z
    .array(item)
    .min(1, { error: "expected a non-empty array" })
    .max(MAX_BATCH_DOCUMENTS, { error: (iss) => `at most ${MAX_BATCH_DOCUMENTS} documents per request (got ${(iss.input as unknown[]).length})` });
}

export const UpsertRequest = z
  .strictObject({
    documents: batchOf(V1Document),
    condition: Filter.optional().meta({ description: "Conditional write: a document is written only where the condition holds for its current version." }),
  })
  .meta({ id: "UpsertRequest" });

const V1Patch = z
  .strictObject({
    id: DocId,
    attributes: Attributes,
    vector: z.never({ error: "vectors cannot be patched; upsert the whole document" }).optional(),
  })
  .meta({ id: "DocumentPatch", description: "Attributes to change; null removes one. Vectors cannot be patched." });

export const PatchRequest = z.strictObject({ documents: batchOf(V1Patch), condition: Filter.optional() }).meta({ id: "PatchRequest" });

export const DeleteRequest = z
  .strictObject({ ids: DocIds.optional(), condition: Filter.optional(), filter: Filter.optional() })
  .check((ctx) => {
    const { ids, condition, filter } = ctx.value;
    if ((filter === undefined) === (ids === undefined) || (filter !== undefined && condition !== undefined)) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: "pass either ids (with an optional condition) or a filter" });
    }
  })
  .meta({ id: "DeleteRequest", description: "Either `ids` (with an optional `condition`) or `filter`." });

export const FetchRequest = z
  .strictObject({ ids: DocIds, include_vector: z.boolean().optional(), include_attributes: IncludeAttributes.optional() })
  .meta({ id: "FetchRequest" });

const FullTextClause = z
  .strictObject({
    query: z
      .string()
      .refine((s) => s.trim() !== "", { error: "expected a non-empty string" })
      .max(MAX_FULL_TEXT_QUERY_CHARS, { error: `at most ${MAX_FULL_TEXT_QUERY_CHARS} characters` }),
    field: z.string().optional().meta({ description: "One attribute." }),
    fields: z
      .union([z.record(z.string(), z.number().min(0)), z.array(z.string())], { error: 'expected {"attribute": weight, ...} or a list of attribute names' })
      .optional()
      .meta({ description: "Attributes with weights, or a list of attributes (weight 1). Default: every full-text attribute." }),
  })
  .check((ctx) => {
    if (ctx.value.field !== undefined && ctx.value.fields !== undefined) ctx.issues.push({ code: "custom", input: ctx.value, message: "give either field or fields" });
  })
  .meta({ id: "FullTextQuery" });

const Weight = z.number().min(0, { error: "expected a number ≥ 0" });

export const QueryRequest = z
  .strictObject({
    vector: Vector.nullish().meta({ description: "Rank by distance to this vector." }),
    full_text: FullTextClause.nullish().meta({ description: "Rank by BM25. With `vector` too, the two rankings are fused (RRF)." }),
    filter: Filter.nullish(),
    top_k: intRange(1, MAX_TOP_K).optional().meta({ description: "Results to return (default 10; for aggregations, groups: default 1000)." }),
    hybrid: z
      .strictObject({
        method: z.literal("rrf", { error: 'only "rrf" is supported' }).optional(),
        k: z.number().positive({ error: "expected a number > 0" }).optional(),
        vector_weight: Weight.optional(),
        full_text_weight: Weight.optional(),
      })
      .optional()
      .meta({ description: "Reciprocal Rank Fusion settings (default k 60, weights 1)." }),
    include_vector: z.boolean().optional(),
    include_attributes: IncludeAttributes.optional(),
    consistency: z.enum(["strong", "eventual"]).optional().meta({ description: "strong (default): every acknowledged write is visible; eventual: flushed data only, no call to the namespace's Durable Object." }),
    order_by: z.strictObject({ field: z.string(), direction: z.enum(["asc", "desc"]).optional() }).optional().meta({ description: "Order by an attribute or id instead of a score." }),
    aggregate_by: z
      .record(z.string(), z.literal("count", { error: 'only "count" is supported' }))
      .refine((r) => Object.keys(r).length > 0, { error: 'expected {"<name>": "count"}' })
      .optional()
      .meta({ description: "Count matching documents instead of returning them." }),
    group_by: z.array(z.string()).min(1, { error: "expected a non-empty list of attributes" }).optional(),
    exact: z.boolean().optional().meta({ description: "Vector search: exact distances to every vector instead of the index." }),
    nprobe: intRange(1, 1_000_000).nullish().meta({ description: "Vector search: clusters to probe (default: calibrated)." }),
  })
  .meta({ id: "QueryRequest" });

export type V1Query = z.output<typeof QueryRequest>;
