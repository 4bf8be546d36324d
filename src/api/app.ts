/**
 * Builds the HTTP app: request ids, the health route, authentication for data routes, the v1 API,
 * the admin API, and the error handler that maps engine errors to statuses (in the error format of
 * the API serving the request, see `useErrorFormat`).
 */
import { Hono } from "hono";
import { mountConsole } from "../console/console-route.ts";
import { type AppEnv } from "./context.ts";
import { renderError } from "./errors.ts";
import { apiKeyAuth } from "./middleware/auth.ts";
import { requestLog } from "./middleware/request-log.ts";
import { admin } from "./routes/admin.ts";
import { metrics } from "./routes/metrics.ts";
import { v1Namespaces } from "./routes/v1-namespaces.ts";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function buildApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use("*", async (c, next) => {
    // A client's id is kept only if it is short and plain: it ends up in logs and the audit log.
    const given = c.req.header("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", id);
    await next();
    c.header("x-request-id", id);
  });
  app.use("*", requestLog());

  app.get("/health", (c) => c.json({ status: "ok" }));
  // The web console page and assets need no key (the page asks for one).
  mountConsole(app);

  app.use("/v1/*", apiKeyAuth());
  app.route("/v1/namespaces", v1Namespaces);
  app.use("/metrics", apiKeyAuth());
  app.route("/metrics", metrics);
  app.route("/admin", admin);

  app.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));
  app.onError((err, c) => {
    c.header("x-request-id", c.get("requestId"));
    return renderError(c, err);
  });
  return app;
}
