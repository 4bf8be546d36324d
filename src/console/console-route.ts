/**
 * Serves the web console at /console: one HTML page and its script and stylesheet, bundled into
 * the Worker as text (no build step, no CDN). The page itself needs no API key; it asks for one
 * and calls the v1 API with it from the browser. A strict Content-Security-Policy allows only
 * this origin's scripts, styles and API.
 */
import type { Env, Hono, MiddlewareHandler } from "hono";
import apiJs from "./api.client.js";
import consoleJs from "./console.client.js";
import css from "./console.client.css";
import html from "./index.html";
import renderJs from "./render.client.js";

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

interface Asset {
  body: string;
  type: string;
  etag: string;
}

/** FNV-1a: a cheap content hash for ETags (not a security boundary). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

function asset(body: string, type: string): Asset {
  return { body, type, etag: `"${fnv1a(body)}-${body.length}"` };
}

const PAGE = asset(html, "text/html; charset=utf-8");
const ASSETS: Record<string, Asset> = {
  "console.js": asset(consoleJs, "text/javascript; charset=utf-8"),
  "api.js": asset(apiJs, "text/javascript; charset=utf-8"),
  "render.js": asset(renderJs, "text/javascript; charset=utf-8"),
  "console.css": asset(css, "text/css; charset=utf-8"),
};

function serve(a: Asset, ifNoneMatch: string | undefined): Response {
  const headers = {
    "content-type": a.type,
    etag: a.etag,
    // Revalidate every time: the console changes with every deployment and is small.
    "cache-control": "no-cache",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
  };
  if (ifNoneMatch === a.etag) return new Response(null, { status: 304, headers });
  return new Response(a.body, { headers });
}

/**
 * Registers GET /console (also /console/) and GET /console/assets/:name on `app`; no authentication.
 * `docs` carries each route's contract for the API reference (src/api/contracts/operations.ts).
 */
export function mountConsole<E extends Env>(app: Hono<E>, docs: { page: MiddlewareHandler<E>; pageSlash: MiddlewareHandler<E>; asset: MiddlewareHandler<E> }): void {
  app.get("/console", docs.page, (c) => serve(PAGE, c.req.header("if-none-match")));
  app.get("/console/", docs.pageSlash, (c) => serve(PAGE, c.req.header("if-none-match")));
  app.get("/console/assets/:name", docs.asset, (c) => {
    const a = ASSETS[c.req.param("name")];
    if (!a) return c.json({ error: { code: "NOT_FOUND", message: `console: no asset '${c.req.param("name")}'` } }, 404);
    return serve(a, c.req.header("if-none-match"));
  });
}
