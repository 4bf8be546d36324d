/**
 * Builds the OpenAPI 3.1 document from the Hono app itself: every registered route that carries a
 * contract (`validated(spec)`) becomes an operation, with its zod request and response schemas
 * converted by zod's own JSON Schema (draft 2020-12) output. Shared schemas with an id become
 * `components.schemas`. Not here: rendering the document as HTML (reference-page.ts).
 */
import type { Hono } from "hono";
import * as z from "zod";
import { ElacsymError, TurbopufferError } from "../schemas/common.ts";
import { documentedJsonSchema } from "../schemas/fast-checked.ts";
import { type ResponseSpec, type RouteSpec, routeSpecOf } from "./route-spec.ts";

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: Json;
  servers: Json[];
  tags: Json[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Json };
}

const TAGS = [
  { name: "Elacsym namespaces", description: "The Elacsym API (v1): create, describe, list and delete namespaces." },
  { name: "Elacsym documents", description: "The Elacsym API (v1): upsert, patch, delete, fetch and query documents." },
  { name: "turbopuffer", description: "The turbopuffer-compatible API: point the official @turbopuffer/turbopuffer client at this deployment with `baseURL`." },
  { name: "Admin", description: "Tenants, API keys, limits, usage and the audit log; guarded by ELACSYM_ADMIN_TOKEN." },
  { name: "Operations", description: "Liveness and Prometheus metrics." },
  { name: "Console", description: "The web console (HTML, no API key needed to load it)." },
  { name: "Reference", description: "This document and its rendered reference page." },
];

const SECURITY: Record<RouteSpec["security"], Json[]> = {
  apiKey: [{ apiKey: [] }],
  adminToken: [{ adminToken: [] }],
  none: [],
};

/** Shared error answers per API; a route's own entries for a status win. */
function errorResponses(spec: RouteSpec): Record<number, ResponseSpec> {
  const format = spec.errors ?? (spec.tag === "turbopuffer" ? "turbopuffer" : "elacsym");
  if (format === "none") return {};
  const schema = format === "turbopuffer" ? TurbopufferError : ElacsymError;
  const out: Record<number, ResponseSpec> = {};
  if (spec.body || spec.query) out[400] = { description: "The request is invalid; the message names the field.", schema };
  if (spec.security !== "none") {
    out[401] = { description: "Missing or unknown key or token.", schema };
    if (spec.security === "apiKey") out[403] = { description: "The key lacks the scope or namespace prefix.", schema };
  }
  if (spec.security === "apiKey") out[429] = { description: "Rate limited, over quota or backpressure; retry after `retry-after-ms`.", schema };
  out[500] = { description: "Internal error.", schema };
  return out;
}

/** `/v1/namespaces/:ns/query` → `/v1/namespaces/{ns}/query`. */
function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/**
 * Names the schemas operations use, then converts every named schema in one pass, so that shared
 * schemas (and recursive ones) become `$ref`s to components. Names live in zod's global registry,
 * where `.meta({id})` puts the shared ones; a route's own schemas are named after its operation.
 */
class SchemaCollector {
  /** A `$ref` to `schema`; it becomes component `name` unless it already has an id. */
  ref(schema: z.ZodType, name: string): Json {
    const meta = z.globalRegistry.get(schema);
    let id = meta?.id;
    if (!id) {
      id = name;
      z.globalRegistry.add(schema, { ...meta, id });
    }
    return { $ref: `#/components/schemas/${id}` };
  }

  /** Every named schema as a JSON Schema component. */
  components(): Record<string, Json> {
    const { schemas } = z.toJSONSchema(z.globalRegistry, conversion({ uri: (id: string) => `#/components/schemas/${id}` }));
    const out: Record<string, Json> = {};
    for (const id of Object.keys(schemas).sort()) {
      // Components live inside the document, whose base URI the `#/components/...` refs resolve against.
      const { $schema: _s, $id: _i, ...rest } = schemas[id] as Json;
      out[id] = rest;
    }
    return out;
  }
}

/** Options of every conversion: request shapes as clients send them; fast-checked values as documented. */
function conversion<T extends object>(extra: T) {
  return {
    target: "draft-2020-12" as const,
    io: "input" as const,
    unrepresentable: "any" as const,
    override: (ctx: { zodSchema: unknown; jsonSchema: Json }) => {
      const documented = documentedJsonSchema(ctx.zodSchema as object);
      if (documented) Object.assign(ctx.jsonSchema, documented);
    },
    ...extra,
  };
}

/** A query or path parameter's schema, inline (they are scalars). */
function parameterSchema(schema: z.ZodType): { schema: Json; required: boolean; description?: string } {
  const { $schema: _s, description, ...json } = z.toJSONSchema(schema, conversion({})) as Json;
  return { schema: json, required: !schema.safeParse(undefined).success, description: description as string | undefined };
}

/** A query parameter's example as its documented type (examples are written as the URL carries them). */
function exampleValue(raw: string, schema: Json): unknown {
  return schema.type === "integer" || schema.type === "number" ? Number(raw) : raw;
}

function operation(spec: RouteSpec, collect: SchemaCollector): Json {
  const parameters: Json[] = [];
  for (const [name, schema] of Object.entries(spec.params ?? {})) {
    const p = parameterSchema(schema);
    parameters.push({ name, in: "path", required: true, schema: p.schema, ...(p.description ? { description: p.description } : {}), ...(spec.example?.params?.[name] ? { example: spec.example.params[name] } : {}) });
  }
  for (const [name, schema] of Object.entries(spec.query?.shape ?? {})) {
    const p = parameterSchema(schema as z.ZodType);
    parameters.push({ name, in: "query", required: p.required, schema: p.schema, ...(p.description ? { description: p.description } : {}), ...(spec.example?.query?.[name] ? { example: exampleValue(spec.example.query[name], p.schema) } : {}) });
  }
  const op: Json = { operationId: spec.operationId, summary: spec.summary, tags: [spec.tag] };
  const description = [spec.description, spec.scope ? `Needs an API key with the \`${spec.scope}\` scope.` : ""].filter(Boolean).join(" ");
  if (description) op.description = description;
  if (parameters.length) op.parameters = parameters;
  if (spec.body) {
    const content: Json = { schema: collect.ref(spec.body, `${pascal(spec.operationId)}Request`) };
    if (spec.example?.body !== undefined) content.example = spec.example.body;
    op.requestBody = { required: true, content: { "application/json": content } };
  }
  const responses: Json = {};
  const all = { ...errorResponses(spec), ...spec.responses };
  for (const [status, r] of Object.entries(all).sort(([a], [b]) => Number(a) - Number(b))) {
    const type = r.contentType ?? "application/json";
    const media: Json = r.schema ? { schema: collect.ref(r.schema, `${pascal(spec.operationId)}${status}`) } : {};
    responses[status] = { description: r.description, headers: RESPONSE_HEADERS, ...(r.schema || r.contentType ? { content: { [type]: media } } : {}) };
  }
  op.responses = responses;
  op.security = SECURITY[spec.security];
  return op;
}

/** Headers every response carries (app.ts). */
const RESPONSE_HEADERS: Json = {
  "x-request-id": { description: "The request's id (the client's own `x-request-id` if it is plain), as in the logs and the audit log.", schema: { type: "string" } },
  "server-timing": {
    description:
      "Server time (W3C Server Timing): `total` from the request's arrival in the Worker to the response being ready, then the stages that took part, e.g. `auth`, `body` (read, JSON parse, request schema), `parse`, `admit` (scope, rate limit), `do` (the namespace Durable Object call) with `do-*` inside it (`do-commit`: the WAL transaction), `report`, `respond`. In ms; the runtime's clock ticks in whole ms locally and, in production, only advances while waiting on I/O.",
    schema: { type: "string" },
    example: "total;dur=7, auth;dur=0, body;dur=4, parse;dur=0, admit;dur=0, do;dur=3, do-commit;dur=1, respond;dur=0",
  },
};

function pascal(id: string): string {
  return id.charAt(0).toUpperCase() + id.slice(1);
}

/** Routes of the app without a contract (a route added without `validated()`), for the coverage test. */
export function undocumentedRoutes(app: Hono<never>): string[] {
  const documented = new Set<string>();
  const all = new Set<string>();
  for (const r of (app as unknown as Hono).routes) {
    if (r.method === "ALL") continue;
    const key = `${r.method} ${r.path}`;
    all.add(key);
    if (routeSpecOf(r.handler)) documented.add(key);
  }
  return [...all].filter((k) => !documented.has(k));
}

export function buildOpenApiDocument(app: Hono<never>, info: { version: string }): OpenApiDocument {
  const collect = new SchemaCollector();
  const paths: OpenApiDocument["paths"] = {};
  for (const r of (app as unknown as Hono).routes) {
    const spec = routeSpecOf(r.handler);
    if (!spec || r.method === "ALL") continue;
    const path = openApiPath(r.path);
    (paths[path] ??= {})[r.method.toLowerCase()] = operation(spec, collect);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Elacsym",
      version: info.version,
      summary: "Search database for vectors, full text and attributes on Cloudflare Workers.",
      description:
        "Two HTTP APIs over one engine: the Elacsym API (`/v1`) and a turbopuffer-compatible API (`/v2` and turbopuffer's `/v1` namespace routes), plus the admin API (`/admin`). Request schemas here are the ones the routes validate with.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    servers: [{ url: "/" }],
    tags: TAGS,
    paths,
    components: {
      schemas: collect.components(),
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "An API key of a tenant: `Authorization: Bearer <key>`." },
        adminToken: { type: "http", scheme: "bearer", description: "The deployment's ELACSYM_ADMIN_TOKEN." },
      },
    },
  };
}
