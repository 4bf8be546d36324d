import { SELF } from "cloudflare:test";
import Turbopuffer from "@turbopuffer/turbopuffer";
import { expect, it } from "vitest";
import { makeTenant } from "../../helpers/api.ts";

it("client loads", async () => {
  const t = await makeTenant();
  const client = new Turbopuffer({ apiKey: t.key, baseURL: "http://elacsym.test", fetch: (url, init) => SELF.fetch(url as string, init as RequestInit), maxRetries: 0 });
  const ns = client.namespace("x");
  let err: unknown;
  try { await ns.metadata(); } catch (e) { err = e; }
  console.log(String(err));
  expect(err).toBeDefined();
});
