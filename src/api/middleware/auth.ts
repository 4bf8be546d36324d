/**
 * Authentication of data routes: the API key in `Authorization: Bearer` names the tenant (never the
 * path or body). Verified keys are cached in the isolate for AUTH_CACHE_MS, which is therefore the
 * longest a revoked key or suspended tenant keeps working.
 */
import { constantTimeEqual, keyDigest, keyHash } from "../../catalog/api-keys.ts";
import { D1Catalog, type Scope } from "../../catalog/d1-catalog.ts";
import { EngineError } from "../../core/errors.ts";
import type { Env } from "../../env.ts";
import { EntryLru } from "../../service/isolate-cache.ts";

export const AUTH_CACHE_MS = 30_000;

export interface AuthInfo {
  tenant: string;
  keyId: string;
  scopes: Scope[];
  namespacePrefix: string | null;
  expiresAt: number | null;
}

const verified = new EntryLru<{ info: AuthInfo | null; at: number }>(4096);

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

export function clearAuthCache(): void {
  verified.clear();
}

async function verify(env: Env, key: string): Promise<AuthInfo | null> {
  const candidates = await new D1Catalog(env.DB).keyCandidates(key);
  for (const row of candidates) {
    if (!constantTimeEqual(await keyHash(row.salt, key), row.hash)) continue;
    if (row.revoked_at !== null || row.tenant_status !== "active") return null;
    return { tenant: row.tenant_id, keyId: row.id, scopes: row.scopes, namespacePrefix: row.namespace_prefix, expiresAt: row.expires_at };
  }
  return null;
}

/** The caller's identity, or a 401 error. Cached by the key's digest, never the key itself. */
export async function authenticate(env: Env, authorization: string | undefined): Promise<AuthInfo> {
  const key = bearerToken(authorization);
  if (!key) throw new EngineError("UNAUTHENTICATED", "auth: missing API key; send 'Authorization: Bearer <key>'");
  const cacheKey = await keyDigest(key);
  const now = Date.now();
  let entry = verified.get(cacheKey);
  if (!entry || now - entry.at > AUTH_CACHE_MS) {
    entry = { info: await verify(env, key), at: now };
    verified.set(cacheKey, entry);
  }
  const info = entry.info;
  if (!info) throw new EngineError("UNAUTHENTICATED", "auth: invalid, revoked or suspended API key");
  if (info.expiresAt !== null && info.expiresAt <= now) throw new EngineError("UNAUTHENTICATED", "auth: API key has expired");
  return info;
}

/** 403 unless the key has `scope` (admin implies write, write implies read) and may touch `namespace`. */
export function authorize(info: AuthInfo, scope: Scope, namespace?: string): void {
  const rank: Record<Scope, number> = { read: 0, write: 1, admin: 2 };
  const best = Math.max(...info.scopes.map((s) => rank[s] ?? -1));
  if (best < rank[scope]) throw new EngineError("PERMISSION_DENIED", `auth: this API key lacks the '${scope}' scope`);
  if (namespace !== undefined && info.namespacePrefix && !namespace.startsWith(info.namespacePrefix)) {
    throw new EngineError("PERMISSION_DENIED", `auth: this API key is limited to namespaces starting with '${info.namespacePrefix}'`);
  }
}
