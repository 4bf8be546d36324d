/** Test helpers: a tenant with an API key, and JSON requests against the Worker. */
import { SELF, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { generateApiKey } from "../../src/catalog/api-keys.ts";
import { D1Catalog, type Scope } from "../../src/catalog/d1-catalog.ts";

export interface TestTenant {
  id: string;
  key: string;
}

let counter = 0;

export async function makeTenant(scopes: Scope[] = ["read", "write", "admin"]): Promise<TestTenant> {
  const catalog = new D1Catalog(env.DB);
  const tenant = await catalog.createTenant(`test-${++counter}`);
  const key = generateApiKey();
  await catalog.addApiKey(tenant.id, key, { scopes });
  return { id: tenant.id, key };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function api<T = any>(method: string, path: string, key: string | null, body?: unknown): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  let payload: string | undefined;
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = typeof body === "string" ? body : JSON.stringify(body);
  }
  const res = await SELF.fetch(`http://elacsym.test${path}`, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // leave as text
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** The namespace's Durable Object stub, for flushing and fault injection. */
export function namespaceStub(tenant: string, ns: string) {
  return env.NAMESPACE.get(env.NAMESPACE.idFromName(`${tenant}/${ns}`));
}

/**
 * Runs a namespace's alarms until it has no background work left: a flush, an index build (which
 * takes an alarm per step), maintenance or compaction. An alarm that asks to run again "now" may be
 * started by the runtime itself rather than by runDurableObjectAlarm, so "no alarm to run" is
 * checked against the namespace's own state before it counts as idle. Alarm failures are retried.
 */
export async function drainAlarms(tenant: string, ns: string, maxAlarms = 500): Promise<void> {
  const stub = namespaceStub(tenant, ns);
  const busy = () =>
    runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      const meta = sql.exec<{ n: number }>("SELECT count(*) AS n FROM meta WHERE key IN ('vector_build', 'flush_plan', 'compaction_plan', 'vector_commit')").one().n;
      const wal = sql.exec<{ n: number }>("SELECT count(*) AS n FROM wal").one().n;
      return meta + wal > 0;
    });
  let failure = "";
  for (let i = 0; i < maxAlarms; i++) {
    let ran = false;
    try {
      ran = await runDurableObjectAlarm(stub);
    } catch (err) {
      failure = String(err);
      ran = true;
    }
    if (ran) continue;
    if (!(await busy())) return;
    await runInDurableObject(stub, (_i, state) => state.storage.setAlarm(Date.now() + 60_000));
  }
  throw new Error(`namespace ${ns}: background work did not settle after ${maxAlarms} alarms${failure ? ` (last failure: ${failure})` : ""}`);
}
