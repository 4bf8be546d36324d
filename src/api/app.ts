/**
 * Builds the HTTP app: request ids, the health route, authentication for data routes, the v1 API,
 * and the error handler that maps engine errors to statuses.
 */
import { Hono } from "hono";
import { mountConsole } from "../console/console-route.ts";
import { type AppEnv } from "./context.ts";
import { v1ErrorResponse } from "./errors.ts";
import { authenticate } from "./middleware/auth.ts";
import { v1Namespaces } from "./routes/v1-namespaces.ts";

export function buildApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use("*", async (c, next) => {
    const id = c.req.header("x-request-id") ?? crypto.randomUUID();
    c.set("requestId", id);
    await next();
    c.header("x-request-id", id);
  });

  app.get("/health", (c) => c.json({ status: "ok" }));
  // The web console page and assets need no key (the page asks for one).
  mountConsole(app);

  app.use("/v1/*", async (c, next) => {
    c.set("auth", await authenticate(c.env, c.req.header("authorization")));
    await next();
  });
  app.route("/v1/namespaces", v1Namespaces);

  app.notFound((c) => c.json({ error: { code: "NOT_FOUND", message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));
  app.onError((err, c) => {
    c.header("x-request-id", c.get("requestId"));
    return v1ErrorResponse(c, err);
  });
  return app;
}
