/**
 * The auth middleware is shared by both HTTP APIs; each renders errors in its own format. A route
 * group that selects the turbopuffer format gets {"status": "error", "error": "..."} for auth errors
 * and handler errors alike, while the rest of the app keeps the v1 format.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../../src/api/context.ts";
import { renderError, turbopufferErrorResponse, useErrorFormat } from "../../../src/api/errors.ts";
import { apiKeyAuth } from "../../../src/api/middleware/auth.ts";
import { EngineError } from "../../../src/core/errors.ts";
import { makeTenant } from "../../helpers/api.ts";

function buildTestApp() {
  const app = new Hono<AppEnv>();
  app.use("/v2/*", useErrorFormat(turbopufferErrorResponse), apiKeyAuth());
  app.use("/v1/*", apiKeyAuth());
  for (const prefix of ["/v2", "/v1"]) {
    app.get(`${prefix}/ok`, (c) => c.json({ tenant: c.get("auth").tenant }));
    app.get(`${prefix}/busy`, () => {
      throw new EngineError("RATE_LIMITED", "rate limit: slow down", 250);
    });
  }
  app.onError((err, c) => renderError(c, err));
  return app;
}

async function call(path: string, key?: string) {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  const res = await buildTestApp().fetch(new Request(`http://x${path}`, { headers }), env, createExecutionContext());
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

describe("pluggable error format", () => {
  it("renders auth and handler errors in the format of the API serving the request", async () => {
    const t = await makeTenant();
    expect(await call("/v2/ok", t.key)).toMatchObject({ status: 200, body: { tenant: t.id } });

    const tpuf = await call("/v2/ok");
    expect(tpuf.status).toBe(401);
    expect(tpuf.body).toEqual({ status: "error", error: "auth: missing API key; send 'Authorization: Bearer <key>'" });
    expect(tpuf.headers.get("content-type")).toMatch(/application\/json/);
    expect((await call("/v2/ok", "elk_wrong")).body).toEqual({ status: "error", error: "auth: invalid API key" });

    const busy = await call("/v2/busy", t.key);
    expect(busy.status).toBe(429);
    expect(busy.body).toEqual({ status: "error", error: "rate limit: slow down" });
    expect(busy.headers.get("retry-after-ms")).toBe("250");

    const v1 = await call("/v1/ok");
    expect(v1.status).toBe(401);
    expect(v1.body).toEqual({ error: { code: "UNAUTHENTICATED", message: "auth: missing API key; send 'Authorization: Bearer <key>'" } });
    expect((await call("/v1/busy", t.key)).body.error.code).toBe("RATE_LIMITED");
  });
});
