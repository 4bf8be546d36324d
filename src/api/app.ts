/**
 * Builds the HTTP app: request ids, the health route, the console and API reference, authentication
 * for data routes, the v1 API, the turbopuffer-compatible API, the admin API, and the error handler that maps engine errors to statuses (in the error format of
 * the API serving the request, see `useErrorFormat`).
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { mountConsole } from "../console/console-route.ts";
import { EngineError } from "../core/errors.ts";
import { StageTimer, serverTimingHeader } from "../core/stage-timer.ts";
import { enterForeground } from "../core/foreground.ts";
import { type AppEnv } from "./context.ts";
import * as operations from "./contracts/operations.ts";
import { renderError, turbopufferErrorResponse, useErrorFormat } from "./errors.ts";
import { apiKeyAuth } from "./middleware/auth.ts";
import { validated } from "./openapi/route-spec.ts";
import { requestLog } from "./middleware/request-log.ts";
import { admin } from "./routes/admin.ts";
import { metrics } from "./routes/metrics.ts";
import { mountReference } from "./routes/reference.ts";
import { turbopufferV1, turbopufferV2 } from "./routes/turbopuffer.ts";
import { v1Namespaces } from "./routes/v1-namespaces.ts";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * turbopuffer's `/v1` routes: namespace sub-resources the Elacsym API does not have (namespace names
 * cannot contain "/", so these never shadow an Elacsym route).
 */
const TURBOPUFFER_V1_PATH = /^\/v1\/namespaces\/[^/]+\/(schema|metadata|hint_cache_warm|_debug\/recall)$/;

/**
 * `GET /v1/namespaces` exists in both APIs and answers both (items carry `id` and `name`; `limit` or
 * `page_size`). Its errors use turbopuffer's body when the request is the official client's: it
 * sends `page_size` or its `X-Stainless-Lang` / `User-Agent: Turbopuffer/…` headers.
 */
function fromTurbopufferClient(c: Context): boolean {
  return (
    c.req.query("page_size") !== undefined ||
    c.req.header("x-stainless-lang") !== undefined ||
    /^turbopuffer\//i.test(c.req.header("user-agent") ?? "")
  );
}

export function buildApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use("*", async (c, next) => {
    const timing = new StageTimer();
    c.set("timing", timing);
    // Background work in this isolate lets the request finish first (src/core/foreground.ts).
    const leave = enterForeground();
    try {
      // A client's id is kept only if it is short and plain: it ends up in logs and the audit log.
      const given = c.req.header("x-request-id");
      const id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
      c.set("requestId", id);
      await next();
      // Everything after the route's own stages: rendering the response, the request log line.
      timing.lap("respond");
      c.header("x-request-id", id);
      // Request received → response ready, with the stages the route recorded (README "Server timing").
      c.header("server-timing", serverTimingHeader(timing.lapped(), timing.stages));
    } finally {
      leave();
    }
  });
  app.use("*", requestLog());

  app.get("/health", validated(operations.health), (c) => c.json({ status: "ok" }));
  // The web console, the OpenAPI document and its reference page need no key.
  mountConsole(app, { page: validated(operations.consolePage), pageSlash: validated(operations.consolePageSlash), asset: validated(operations.consoleAsset) });
  mountReference(app);

  // Error formats are chosen before authentication, so auth errors use them too.
  app.use("/v2/*", useErrorFormat(turbopufferErrorResponse));
  app.use("/v1/*", async (c, next) => {
    const path = new URL(c.req.url).pathname;
    const listing = path === "/v1/namespaces" || path === "/v1/namespaces/";
    if (TURBOPUFFER_V1_PATH.test(path) || (listing && fromTurbopufferClient(c))) c.set("renderError", turbopufferErrorResponse);
    await next();
  });
  app.use("/v1/*", apiKeyAuth());
  app.use("/v2/*", apiKeyAuth());
  app.route("/v1/namespaces", turbopufferV1);
  app.route("/v1/namespaces", v1Namespaces);
  app.route("/v2/namespaces", turbopufferV2);
  app.use("/metrics", apiKeyAuth());
  app.get("/metrics", validated(operations.metrics), metrics);
  app.route("/admin", admin);

  app.notFound((c) => renderError(c, new EngineError("NOT_FOUND", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`)));
  app.onError((err, c) => {
    c.header("x-request-id", c.get("requestId"));
    return renderError(c, err);
  });
  return app;
}
