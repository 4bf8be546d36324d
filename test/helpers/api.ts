/** Test helpers: a tenant with an API key, and JSON requests against the Worker. */
import { SELF, env } from "cloudflare:test";
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
