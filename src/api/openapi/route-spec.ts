/**
 * A route's contract — request schemas, responses, an example — and `validated(spec)`, the
 * middleware that enforces it: it reads and validates the body and query parameters (400 naming the
 * field) and hands the typed values to the handler through `c.req.valid("json" | "query")`. The same
 * spec object, found on the middleware, is what the OpenAPI document describes (document.ts).
 * Not here: checks against a namespace's stored schema (the engine core makes them).
 */
import type { MiddlewareHandler } from "hono";
import type * as z from "zod";
import { readConfig } from "../../config.ts";
import { readJsonBody } from "../body.ts";
import type { AppEnv } from "../context.ts";
import { parseOrThrow } from "./zod-issues.ts";

/** Which API a route belongs to: its tag in the document and its error body. */
export type ApiTag = "Elacsym namespaces" | "Elacsym documents" | "turbopuffer" | "Admin" | "Operations" | "Console" | "Reference";

export type Security = "apiKey" | "adminToken" | "none";

export interface ResponseSpec {
  description: string;
  /** JSON body schema; omitted for bodies that are not JSON (see `contentType`) or empty. */
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface RouteSpec {
  /** Unique; also the anchor of the operation on the reference page. */
  operationId: string;
  summary: string;
  description?: string;
  tag: ApiTag;
  security: Security;
  /** API key scope the route needs (documented; enforced by the service). */
  scope?: "read" | "write" | "admin";
  /** Error body of the route (Elacsym's `{"error": {...}}` or turbopuffer's `{"status": "error", ...}`). */
  errors?: "elacsym" | "turbopuffer" | "none";
  /** Path parameters: documentation of the `:name` segments. */
  params?: Record<string, z.ZodType>;
  /** Query parameters (unknown ones are ignored). */
  query?: z.ZodObject;
  /** JSON request body. */
  body?: z.ZodType;
  /** How the body's root is named in 400 messages ("query", "write", …). */
  bodyName?: string;
  /** Body size limit; defaults to the deployment's ELACSYM_MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  responses: Record<number, ResponseSpec>;
  /** One example request: path parameters, query parameters and body. */
  example?: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown };
}

type Output<S extends z.ZodType | undefined> = S extends z.ZodType ? z.output<S> : never;
type Validated<S extends RouteSpec> = { in: {}; out: { json: Output<S["body"]>; query: Output<S["query"]> } };

const specs = new WeakMap<object, RouteSpec>();

/** The spec a `validated()` middleware enforces, or undefined for any other handler. */
export function routeSpecOf(handler: unknown): RouteSpec | undefined {
  return typeof handler === "function" ? specs.get(handler) : undefined;
}

/**
 * Enforces `spec` on the route it is installed on. Query parameters are validated first (they are
 * cheap), then the body is read (size limit, gzip, JSON) and validated.
 */
export function validated<const S extends RouteSpec>(spec: S): MiddlewareHandler<AppEnv, string, Validated<S>> {
  const mw: MiddlewareHandler<AppEnv, string, Validated<S>> = async (c, next) => {
    if (spec.query) c.req.addValidatedData("query", parseOrThrow(spec.query, c.req.query(), "query"));
    if (spec.body) {
      const raw = await readJsonBody(c, spec.maxBodyBytes ?? readConfig(c.env).maxBodyBytes);
      c.req.addValidatedData("json", parseOrThrow(spec.body, raw, spec.bodyName ?? "request") as object);
      c.get("timing")?.lap("body");
    }
    await next();
  };
  specs.set(mw, spec);
  return mw;
}

