/**
 * Contracts of the routes outside the two data APIs: liveness, Prometheus metrics, the web console
 * and this API reference itself (the OpenAPI document and its HTML page).
 */
import * as z from "zod";
import type { RouteSpec } from "../openapi/route-spec.ts";

export const health = {
  operationId: "health",
  summary: "Liveness",
  tag: "Operations",
  security: "none",
  errors: "none",
  responses: { 200: { description: "The Worker is up.", schema: z.object({ status: z.literal("ok") }) } },
} as const satisfies RouteSpec;

export const metrics = {
  operationId: "metrics",
  summary: "Prometheus metrics",
  description: "Per namespace of the caller's tenant: documents, writes, WAL backlog, segments, flushes, compactions, stored bytes and garbage, in the Prometheus text format.",
  tag: "Operations",
  security: "apiKey",
  scope: "admin",
  responses: { 200: { description: "Prometheus text exposition 0.0.4.", contentType: "text/plain; version=0.0.4" } },
} as const satisfies RouteSpec;

const page = { description: "An HTML page.", contentType: "text/html" };

export const consolePage = {
  operationId: "consolePage",
  summary: "Web console",
  description: "Log in with an API key, browse namespaces and documents, run queries. No external network needed.",
  tag: "Console",
  security: "none",
  errors: "none",
  responses: { 200: page },
} as const satisfies RouteSpec;

export const consolePageSlash = { ...consolePage, operationId: "consolePageSlash", summary: "Web console (trailing slash)" } as const satisfies RouteSpec;

export const consoleAsset = {
  operationId: "consoleAsset",
  summary: "Web console asset",
  tag: "Console",
  security: "none",
  errors: "none",
  params: { name: z.string().meta({ description: "A file name of the console's scripts and stylesheet." }) },
  responses: { 200: { description: "A script or stylesheet of the console.", contentType: "text/javascript" }, 404: { description: "No such asset." } },
  example: { params: { name: "console.js" } },
} as const satisfies RouteSpec;

export const openApiDocument = {
  operationId: "openApiDocument",
  summary: "This OpenAPI document",
  tag: "Reference",
  security: "none",
  errors: "none",
  responses: { 200: { description: "OpenAPI 3.1, generated from the request schemas the routes validate with.", contentType: "application/json" } },
} as const satisfies RouteSpec;

export const referencePage = {
  operationId: "referencePage",
  summary: "API reference page",
  description: "This document rendered as one HTML page (no scripts, no external resources).",
  tag: "Reference",
  security: "none",
  errors: "none",
  responses: { 200: page },
} as const satisfies RouteSpec;
