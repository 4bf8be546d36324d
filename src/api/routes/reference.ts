/**
 * `GET /openapi.json` and `GET /docs`: the OpenAPI document of this app and its HTML rendering, built
 * once per isolate from the routes the app registers (after every route exists: on first request).
 * No key needed: the document describes the API, not a tenant's data.
 */
import type { Hono } from "hono";
import pkg from "../../../package.json";
import type { AppEnv } from "../context.ts";
import * as contract from "../contracts/operations.ts";
import { buildOpenApiDocument } from "../openapi/document.ts";
import { renderReferencePage } from "../openapi/reference-page.ts";
import { validated } from "../openapi/route-spec.ts";

/** The page has no scripts and loads nothing: only its inline stylesheet is allowed. */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function mountReference(app: Hono<AppEnv>): void {
  let built: { json: string; html: string } | undefined;
  const build = () => {
    if (!built) {
      const document = buildOpenApiDocument(app as unknown as Hono<never>, { version: pkg.version });
      built = { json: JSON.stringify(document), html: renderReferencePage(document) };
    }
    return built;
  };
  app.get("/openapi.json", validated(contract.openApiDocument), (c) =>
    c.body(build().json, 200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-cache", "access-control-allow-origin": "*" }),
  );
  app.get("/docs", validated(contract.referencePage), (c) =>
    c.body(build().html, 200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache", "content-security-policy": CSP, "x-content-type-options": "nosniff" }),
  );
}
