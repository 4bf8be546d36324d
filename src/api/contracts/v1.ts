/**
 * Contracts of the Elacsym API (v1) routes: request schemas, responses and one example each. The
 * routes enforce them with `validated()` (routes/v1-namespaces.ts); the OpenAPI document shows them.
 * Examples form one story (a 3-dimensional "products" namespace) that test/integration/openapi
 * replays against the Worker.
 */
import type { RouteSpec } from "../openapi/route-spec.ts";
import { ElacsymError, NamespaceName } from "../schemas/common.ts";
import {
  CreateNamespaceRequest,
  DeleteRequest,
  FetchRequest,
  ListNamespacesQuery,
  PatchRequest,
  QueryRequest,
  UpsertRequest,
} from "../schemas/v1-requests.ts";
import {
  DeleteResponse,
  Deleted,
  FetchResponse,
  NamespaceDescription,
  NamespaceList,
  NamespaceStats,
  PatchResponse,
  QueryResponse,
  UpsertResponse,
} from "../schemas/v1-responses.ts";

const ns = { ns: NamespaceName };
const example = { ns: "products" };
const notFound = { 404: { description: "The namespace does not exist.", schema: ElacsymError } };

export const listNamespaces = {
  operationId: "listNamespaces",
  summary: "List namespaces",
  description: "Pages through the caller's namespaces in name order. Shared with the turbopuffer API (items carry `id` too; `page_size` works as `limit`).",
  tag: "Elacsym namespaces",
  security: "apiKey",
  scope: "read",
  query: ListNamespacesQuery,
  responses: { 200: { description: "One page of namespaces.", schema: NamespaceList } },
  example: { query: { prefix: "prod", limit: "10" } },
} as const satisfies RouteSpec;

export const createNamespace = {
  operationId: "createNamespace",
  summary: "Create a namespace",
  description: "Creates the namespace with its schema: 201 when created, 200 when it exists with the same schema, 409 when it exists with another.",
  tag: "Elacsym namespaces",
  security: "apiKey",
  scope: "write",
  params: ns,
  body: CreateNamespaceRequest,
  responses: {
    200: { description: "It already exists with this schema.", schema: NamespaceDescription },
    201: { description: "Created.", schema: NamespaceDescription },
    409: { description: "It exists with another schema.", schema: ElacsymError },
  },
  example: {
    params: example,
    body: {
      schema: {
        vector: { dimensions: 3, metric: "cosine" },
        attributes: {
          title: { type: "string", full_text: { language: "english", stemming: true, remove_stopwords: true, case_sensitive: false } },
          price: { type: "float" },
          tags: { type: "[]string" },
        },
      },
    },
  },
} as const satisfies RouteSpec;

export const describeNamespace = {
  operationId: "describeNamespace",
  summary: "Describe a namespace",
  description: "Schema, document count, segments, WAL backlog and index state. `index.status` is up-to-date once every acknowledged write is flushed and indexed.",
  tag: "Elacsym namespaces",
  security: "apiKey",
  scope: "read",
  params: ns,
  responses: { 200: { description: "The namespace.", schema: NamespaceDescription }, ...notFound },
  example: { params: example },
} as const satisfies RouteSpec;

export const namespaceStats = {
  operationId: "namespaceStats",
  summary: "Namespace counters",
  description: "Writes, rows, WAL bytes, flushes, compactions and segments of one namespace (the JSON form of `/metrics`).",
  tag: "Elacsym namespaces",
  security: "apiKey",
  scope: "read",
  params: ns,
  responses: { 200: { description: "The counters.", schema: NamespaceStats }, ...notFound },
  example: { params: example },
} as const satisfies RouteSpec;

export const deleteNamespace = {
  operationId: "deleteNamespace",
  summary: "Delete a namespace",
  description: "Deletes the namespace and its data in R2.",
  tag: "Elacsym namespaces",
  security: "apiKey",
  scope: "admin",
  params: ns,
  responses: { 200: { description: "Deleted.", schema: Deleted }, ...notFound },
  example: { params: { ns: "products-old" } },
} as const satisfies RouteSpec;

export const upsertDocuments = {
  operationId: "upsertDocuments",
  summary: "Upsert documents",
  description: "Inserts or replaces whole documents (at most 10,000 per request). Acknowledged once durable in the namespace's WAL; creates the namespace on first write.",
  tag: "Elacsym documents",
  security: "apiKey",
  scope: "write",
  params: ns,
  body: UpsertRequest,
  responses: { 200: { description: "Written.", schema: UpsertResponse }, 429: { description: "Backpressure or a rate limit: retry after `retry-after-ms`.", schema: ElacsymError } },
  example: {
    params: example,
    body: {
      documents: [
        { id: 1, vector: [0.1, 0.2, 0.3], attributes: { title: "Red fox plush", price: 12.5, tags: ["toy", "red"] } },
        { id: 2, vector: [0.3, 0.1, 0.2], attributes: { title: "Blue whale poster", price: 8, tags: ["poster"] } },
      ],
    },
  },
} as const satisfies RouteSpec;

export const patchDocuments = {
  operationId: "patchDocuments",
  summary: "Patch documents",
  description: "Changes some attributes of existing documents (null removes one); missing ids are skipped.",
  tag: "Elacsym documents",
  security: "apiKey",
  scope: "write",
  params: ns,
  body: PatchRequest,
  responses: { 200: { description: "Written.", schema: PatchResponse }, ...notFound },
  example: { params: example, body: { documents: [{ id: 1, attributes: { price: 9.99 } }] } },
} as const satisfies RouteSpec;

export const deleteDocuments = {
  operationId: "deleteDocuments",
  summary: "Delete documents",
  description: "Deletes by id (optionally only where a condition holds) or by filter.",
  tag: "Elacsym documents",
  security: "apiKey",
  scope: "write",
  params: ns,
  body: DeleteRequest,
  responses: { 200: { description: "Deleted.", schema: DeleteResponse }, ...notFound },
  example: { params: example, body: { ids: [2] } },
} as const satisfies RouteSpec;

export const fetchDocuments = {
  operationId: "fetchDocuments",
  summary: "Fetch documents by id",
  description: "Strongly consistent lookup by id; documents come back in the order asked, missing ids left out.",
  tag: "Elacsym documents",
  security: "apiKey",
  scope: "read",
  params: ns,
  body: FetchRequest,
  responses: { 200: { description: "The documents found.", schema: FetchResponse }, ...notFound },
  example: { params: example, body: { ids: [1, 2], include_vector: false, include_attributes: ["title", "price"] } },
} as const satisfies RouteSpec;

export const queryDocuments = {
  operationId: "queryDocuments",
  summary: "Query",
  description:
    "Vector search (`vector`), full-text BM25 (`full_text`), both fused with RRF, order by an attribute (`order_by`), or count (`aggregate_by`), with an attribute filter applied inside the search.",
  tag: "Elacsym documents",
  security: "apiKey",
  scope: "read",
  params: ns,
  body: QueryRequest,
  bodyName: "query",
  responses: { 200: { description: "Results, timings and cache figures.", schema: QueryResponse }, ...notFound },
  example: {
    params: example,
    body: {
      vector: [0.1, 0.2, 0.3],
      full_text: { query: "red fox", fields: { title: 2 } },
      filter: { field: "price", op: "lte", value: 20 },
      top_k: 10,
      hybrid: { method: "rrf", k: 60, vector_weight: 1, full_text_weight: 1 },
      include_attributes: ["title", "price"],
      consistency: "strong",
    },
  },
} as const satisfies RouteSpec;
