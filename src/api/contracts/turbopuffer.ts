/**
 * Contracts of the turbopuffer-compatible routes (`/v2/namespaces/...` and turbopuffer's `/v1`
 * namespace sub-resources), enforced by routes/turbopuffer.ts with `validated()`. Query parameters
 * are not declared: the official client adds some (`stainless_overload=...`) and they are ignored.
 * Examples continue the v1 contracts' "products" namespace (3-dimensional vectors).
 */
import type { RouteSpec } from "../openapi/route-spec.ts";
import { NamespaceName, TurbopufferError } from "../schemas/common.ts";
import { Query, QueryRequest, RecallRequest, TurbopufferSchema, WriteRequest } from "../schemas/turbopuffer-requests.ts";
import { ExplainResponse, Metadata, QueryResponse, StatusOk, WarmResponse, WriteResponse } from "../schemas/turbopuffer-responses.ts";
import { RecallResponse } from "../schemas/v1-responses.ts";

const ns = { ns: NamespaceName };
const example = { ns: "products" };
const notFound = { 404: { description: "The namespace does not exist (the client's `exists()` relies on it).", schema: TurbopufferError } };

export const write = {
  operationId: "turbopufferWrite",
  summary: "Write (upsert, patch, delete)",
  description: "Rows or columns to upsert or patch, ids or a filter to delete, conditions, a schema and a distance metric, in one atomic write. Creates the namespace when it upserts or declares a schema.",
  tag: "turbopuffer",
  security: "apiKey",
  scope: "write",
  params: ns,
  body: WriteRequest,
  bodyName: "write",
  responses: { 200: { description: "Written.", schema: WriteResponse }, ...notFound, 429: { description: "Backpressure: retry after `retry-after-ms`.", schema: TurbopufferError } },
  example: {
    params: example,
    body: {
      upsert_rows: [{ id: 3, vector: [0.2, 0.2, 0.9], title: "Green frog mug", price: 14, tags: ["mug"] }],
      patch_rows: [{ id: 1, price: 11 }],
      distance_metric: "cosine_distance",
    },
  },
} as const satisfies RouteSpec;

export const query = {
  operationId: "turbopufferQuery",
  summary: "Query (single or multi-query)",
  description: "One query (`rank_by`, `filters`, `top_k`, `include_attributes`, `aggregate_by`, …) or several in `queries`, optionally fused with `rerank_by: [\"RRF\", …]`.",
  tag: "turbopuffer",
  security: "apiKey",
  scope: "read",
  params: ns,
  body: QueryRequest,
  bodyName: "query",
  responses: { 200: { description: "Rows (or aggregations), billing and performance.", schema: QueryResponse }, ...notFound },
  example: {
    params: example,
    body: { rank_by: ["vector", "ANN", [0.1, 0.2, 0.3]], top_k: 10, filters: ["price", "Lte", 20], include_attributes: ["title", "price"], consistency: { level: "strong" } },
  },
} as const satisfies RouteSpec;

export const explainQuery = {
  operationId: "turbopufferExplainQuery",
  summary: "Explain a query",
  description: "The plan of one query as text, planned against the current schema without running it.",
  tag: "turbopuffer",
  security: "apiKey",
  scope: "read",
  params: ns,
  body: Query,
  bodyName: "query",
  responses: { 200: { description: "The plan.", schema: ExplainResponse }, ...notFound },
  example: { params: example, body: { rank_by: ["title", "BM25", "red fox"], filters: ["price", "Lt", 50], top_k: 5 } },
} as const satisfies RouteSpec;

export const deleteNamespace = {
  operationId: "turbopufferDeleteNamespace",
  summary: "Delete a namespace",
  tag: "turbopuffer",
  security: "apiKey",
  scope: "admin",
  params: ns,
  responses: { 200: { description: "Deleted.", schema: StatusOk }, ...notFound },
  example: { params: { ns: "products-old" } },
} as const satisfies RouteSpec;

export const metadata = {
  operationId: "turbopufferMetadata",
  summary: "Namespace metadata",
  description: "Schema, approximate size and row count, index state (served at `/v2/...` and `/v1/...`).",
  tag: "turbopuffer",
  security: "apiKey",
  scope: "read",
  params: ns,
  responses: { 200: { description: "The metadata.", schema: Metadata }, ...notFound },
  example: { params: example },
} as const satisfies RouteSpec;

export const metadataV1 = { ...metadata, operationId: "turbopufferMetadataV1", summary: "Namespace metadata (v1 path)" } as const satisfies RouteSpec;

export const pinMetadata = {
  operationId: "turbopufferUpdateMetadata",
  summary: "Update metadata (not supported)",
  description: "turbopuffer's pinning settings; Elacsym answers 400.",
  tag: "turbopuffer",
  security: "apiKey",
  params: ns,
  responses: { 400: { description: "Pinning is not supported by Elacsym.", schema: TurbopufferError } },
} as const satisfies RouteSpec;

export const getSchema = {
  operationId: "turbopufferGetSchema",
  summary: "Get the schema",
  tag: "turbopuffer",
  security: "apiKey",
  scope: "read",
  params: ns,
  responses: { 200: { description: "The schema map.", schema: TurbopufferSchema }, ...notFound },
  example: { params: example },
} as const satisfies RouteSpec;

export const updateSchema = {
  operationId: "turbopufferUpdateSchema",
  summary: "Update the schema",
  description: "The body is the bare schema map; attributes may be added, made (un)filterable or given full-text search. Answers the whole schema after the change.",
  tag: "turbopuffer",
  security: "apiKey",
  scope: "write",
  params: ns,
  body: TurbopufferSchema,
  bodyName: "schema",
  responses: { 200: { description: "The schema after the change.", schema: TurbopufferSchema } },
  example: { params: example, body: { color: { type: "string", filterable: true } } },
} as const satisfies RouteSpec;

export const warmCache = {
  operationId: "turbopufferHintCacheWarm",
  summary: "Warm the caches",
  description: "Reads the manifest, the vector index centroids, segment footers and full-text indexes into the caches.",
  tag: "turbopuffer",
  security: "apiKey",
  scope: "read",
  params: ns,
  responses: { 200: { description: "Warmed.", schema: WarmResponse }, ...notFound },
  example: { params: example },
} as const satisfies RouteSpec;

export const recall = {
  operationId: "measureRecall",
  summary: "Measure recall",
  description: "Recall of the vector index against exact search over sampled (or given) query vectors. Serves both APIs (the Elacsym `{num, top_k}` body is a subset).",
  tag: "turbopuffer",
  security: "apiKey",
  scope: "read",
  params: ns,
  body: RecallRequest,
  bodyName: "recall",
  responses: { 200: { description: "Average recall and candidate counts.", schema: RecallResponse }, ...notFound },
  example: { params: example, body: { num: 5, top_k: 10 } },
} as const satisfies RouteSpec;
