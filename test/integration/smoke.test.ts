import { SELF, env } from "cloudflare:test";
import { expect, it } from "vitest";

it("answers /health without a key", async () => {
  const res = await SELF.fetch("http://x/health");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" });
});

it("has the D1 schema applied", async () => {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM tenants").first<{ n: number }>();
  expect(row?.n).toBe(0);
});
