/** Test helpers for the admin API and for conditions that become true after background work. */
import { api, type ApiResponse } from "./api.ts";

/** The admin token vitest.config.ts gives the Worker. */
export const ADMIN_TOKEN = "test-admin-token";

export function admin<T = any>(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<ApiResponse<T>> {
  return api<T>(method, `/admin${path}`, token, body);
}

/** A tenant and an API key made through the admin API. */
export async function adminTenant(keyOptions: Record<string, unknown> = { scopes: ["read", "write", "admin"] }): Promise<{ id: string; key: string; keyId: string }> {
  const t = await admin("POST", "/tenants", { name: `tenant-${crypto.randomUUID().slice(0, 8)}` });
  if (t.status !== 201) throw new Error(`tenant create failed: ${JSON.stringify(t.body)}`);
  const k = await admin("POST", `/tenants/${t.body.id}/keys`, keyOptions);
  if (k.status !== 201) throw new Error(`key create failed: ${JSON.stringify(k.body)}`);
  return { id: t.body.id, key: k.body.key, keyId: k.body.id };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `check` until it stops throwing (background work: waitUntil, alarms), up to `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(25);
    }
  }
}
