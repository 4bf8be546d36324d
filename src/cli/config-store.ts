/**
 * CLI configuration: where the endpoint and API key come from and where they are saved.
 *
 * Precedence, highest first: command-line flags (--endpoint, --api-key), environment
 * (ELACSYM_ENDPOINT, ELACSYM_API_KEY), the config file, defaults. The config file is
 * `$ELACSYM_CONFIG_DIR/config.json`, else `$XDG_CONFIG_HOME/elacsym/config.json`, else
 * `~/.config/elacsym/config.json`, written with mode 0600 because it holds a key. The same
 * directory keeps import checkpoints (see checkpoint.ts).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const DEFAULT_ENDPOINT = "http://127.0.0.1:8787";

export interface StoredConfig {
  endpoint?: string;
  api_key?: string;
}

export interface ResolvedConfig {
  endpoint: string;
  apiKey: string | undefined;
  /** Where each value came from, for `elacsym config get`. */
  sources: { endpoint: string; apiKey: string };
}

export const CONFIG_KEYS = { endpoint: "endpoint", key: "api_key", "api-key": "api_key" } as const;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ELACSYM_CONFIG_DIR) return env.ELACSYM_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "elacsym");
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), "config.json");
}

export function readStoredConfig(env: NodeJS.ProcessEnv = process.env): StoredConfig {
  const path = configPath(env);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as StoredConfig;
  } catch (err) {
    throw new Error(`config: ${path} is not valid JSON (${(err as Error).message}); fix or delete it`);
  }
}

/** Writes the config atomically (temporary file + rename) with owner-only permissions. */
export function writeStoredConfig(config: StoredConfig, env: NodeJS.ProcessEnv = process.env): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = configPath(env);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}

export function normalizeEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`config: endpoint '${raw}' is not a URL (expected e.g. ${DEFAULT_ENDPOINT})`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`config: endpoint '${raw}' must be http or https`);
  return url.href.replace(/\/+$/, "");
}

export function resolveConfig(flags: { endpoint?: string; apiKey?: string }, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const stored = readStoredConfig(env);
  const pick = (flag: string | undefined, envName: string, storedValue: string | undefined): [string | undefined, string] => {
    if (flag) return [flag, "flag"];
    if (env[envName]) return [env[envName], `env ${envName}`];
    if (storedValue) return [storedValue, configPath(env)];
    return [undefined, "unset"];
  };
  const [endpoint, endpointSource] = pick(flags.endpoint, "ELACSYM_ENDPOINT", stored.endpoint);
  const [apiKey, keySource] = pick(flags.apiKey, "ELACSYM_API_KEY", stored.api_key);
  return {
    endpoint: normalizeEndpoint(endpoint ?? DEFAULT_ENDPOINT),
    apiKey,
    sources: { endpoint: endpoint ? endpointSource : "default", apiKey: keySource },
  };
}

/** Shows a key as its prefix and last four characters. */
export function maskKey(key: string | undefined): string {
  if (!key) return "(not set)";
  if (key.length <= 12) return "****";
  return `${key.slice(0, 4)}…${key.slice(-4)}`;
}
