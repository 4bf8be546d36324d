#!/usr/bin/env node
/**
 * `npm start`: prepares local state and serves the API with local DO / R2 / D1 / Cache.
 * Applies D1 migrations, seeds the development tenant and its API key, then runs `wrangler dev`.
 *
 * Environment: PORT (default 8787), ELACSYM_DEV_API_KEY (the dev key; otherwise a random key kept
 * in .elacsym/dev-api-key), ELACSYM_ADMIN_TOKEN (otherwise a random token kept in .elacsym/admin-token),
 * ELACSYM_STATE_DIR (where local DO/R2/D1 data lives; default .wrangler/state, kept across restarts),
 * ELACSYM_INSPECTOR_PORT (wrangler's DevTools inspector port; default 9229).
 * Any other ELACSYM_* variable (limits, compaction, caches: see README "Configuration") is passed to
 * the Worker as a var.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { keyHash, keyLookup, randomToken } from "../src/catalog/api-keys.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT ?? 8787);
const stateDir = join(root, ".elacsym");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
// wrangler's shebang runs `node` from PATH: make that the Node running this script (22, pinned).
const path = [join(root, "node_modules", ".bin"), dirname(process.execPath), process.env.PATH].join(":");
const env = { ...process.env, PATH: path, WRANGLER_SEND_METRICS: "false", CI: "true" };
const persist = process.env.ELACSYM_STATE_DIR ? ["--persist-to", process.env.ELACSYM_STATE_DIR] : [];
const inspector = process.env.ELACSYM_INSPECTOR_PORT ? ["--inspector-port", process.env.ELACSYM_INSPECTOR_PORT] : [];

function remembered(name, fromEnv) {
  if (fromEnv) return fromEnv;
  const file = join(stateDir, name);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(stateDir, { recursive: true });
  const value = name === "dev-api-key" ? `elk_${randomToken(20)}` : randomToken(24);
  writeFileSync(file, value + "\n", { mode: 0o600 });
  return value;
}

function run(args, what) {
  const r = spawnSync(wrangler, args, { cwd: root, env, encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`npm start: ${what} failed`);
  }
}

const apiKey = remembered("dev-api-key", process.env.ELACSYM_DEV_API_KEY);
const adminToken = remembered("admin-token", process.env.ELACSYM_ADMIN_TOKEN);

console.log("elacsym: applying D1 migrations to local state …");
run(["d1", "migrations", "apply", "elacsym-control", "--local", ...persist], "applying D1 migrations");

const salt = randomToken(16);
const now = Date.now();
const seed = [
  `INSERT INTO tenants (id, name, status, created_at) VALUES ('dev', 'development', 'active', ${now}) ON CONFLICT(id) DO UPDATE SET status = 'active'`,
  `DELETE FROM api_keys WHERE id = 'k_dev'`,
  `INSERT INTO api_keys (id, tenant_id, lookup, salt, hash, scopes, namespace_prefix, expires_at, revoked_at, created_at) VALUES ('k_dev', 'dev', '${await keyLookup(apiKey)}', '${salt}', '${await keyHash(salt, apiKey)}', 'read,write,admin', NULL, NULL, NULL, ${now})`,
].join("; ");
console.log("elacsym: seeding the development tenant and API key …");
run(["d1", "execute", "elacsym-control", "--local", ...persist, "--command", seed], "seeding the development tenant");

const banner = [
  "",
  "┌─ Elacsym (local) ─────────────────────────────────────────────",
  `│ API:          http://127.0.0.1:${port}`,
  `│ Console:      http://127.0.0.1:${port}/console`,
  `│ API key:      ${apiKey}   (tenant 'dev', scopes read/write/admin)`,
  `│ Admin token:  ${adminToken}`,
  `│ Try:          curl -H 'Authorization: Bearer ${apiKey}' http://127.0.0.1:${port}/v1/namespaces`,
  "└───────────────────────────────────────────────────────────────",
  "",
].join("\n");

const LOCAL_ONLY = new Set(["ELACSYM_DEV_API_KEY", "ELACSYM_ADMIN_TOKEN", "ELACSYM_STATE_DIR", "ELACSYM_INSPECTOR_PORT"]);
const vars = Object.entries(process.env)
  .filter(([name]) => name.startsWith("ELACSYM_") && !LOCAL_ONLY.has(name))
  .flatMap(([name, value]) => ["--var", `${name}:${value}`]);
const child = spawn(
  wrangler,
  ["dev", "--ip", "127.0.0.1", "--port", String(port), ...persist, ...inspector, "--var", `ELACSYM_ADMIN_TOKEN:${adminToken}`, ...vars, "--show-interactive-dev-session=false"],
  { cwd: root, env, stdio: ["inherit", "pipe", "inherit"] },
);
let announced = false;
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  if (!announced && /Ready on/.test(String(chunk))) {
    announced = true;
    console.log(banner);
  }
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
