/**
 * The Worker served locally for Node-side tests (CLI, console): wrangler's test harness runs
 * wrangler.toml in workerd with in-memory DO / R2 / D1 and a real HTTP port that other
 * processes (the CLI, Chromium) can reach. D1 gets the migrations and one tenant with an API key.
 */
import { createTestHarness } from "wrangler";
import { generateApiKey } from "../../../src/catalog/api-keys.ts";

/** The Worker's catalog code names Cloudflare types; load it untyped so tsconfig.node.json stays Node-only. */
const CATALOG_MODULE = new URL("../../../src/catalog/d1-catalog.ts", import.meta.url).href;

interface CatalogLike {
  createTenant(name: string): Promise<{ id: string }>;
  addApiKey(tenantId: string, key: string, options: { scopes: string[] }): Promise<unknown>;
}

export interface LocalWorker {
  url: string;
  apiKey: string;
  close(): Promise<void>;
}

export async function startLocalWorker(): Promise<LocalWorker> {
  process.env.WRANGLER_SEND_METRICS = "false";
  const server = createTestHarness({ root: new URL("../../..", import.meta.url).pathname, workers: [{ configPath: "./wrangler.toml" }] });
  const { url } = await server.listen();
  const worker = server.getWorker();
  await worker.applyD1Migrations("DB");
  const env = (await worker.getEnv()) as { DB: unknown };
  const { D1Catalog } = (await import(/* @vite-ignore */ CATALOG_MODULE)) as { D1Catalog: new (db: unknown) => CatalogLike };
  const catalog = new D1Catalog(env.DB);
  const tenant = await catalog.createTenant("node-tests");
  const apiKey = generateApiKey();
  await catalog.addApiKey(tenant.id, apiKey, { scopes: ["read", "write", "admin"] });
  return { url: url.href.replace(/\/$/, ""), apiKey, close: () => server.close() };
}
