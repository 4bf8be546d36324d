/**
 * API-key authentication and authorization for the data routes of both HTTP APIs. The key in
 * `Authorization: Bearer` names the tenant — never the path or the body.
 *
 * Verified keys are cached in the isolate (by a digest of the key, never the key) for
 * `ELACSYM_AUTH_CACHE_MS` (default 30 s). That is the documented revocation delay: a revoked
 * key, a suspended (or resumed) tenant or changed limits take effect in other isolates within it; the
 * isolate that served the admin request forgets the affected entries at once. Expiry is checked on
 * every request against the cached expiry time, so it is exact.
 *
 * `apiKeyAuth()` is the middleware; errors it throws are rendered by whichever API's error format
 * the request uses (see `useErrorFormat` in ../errors.ts).
 */
import type { MiddlewareHandler } from "hono";
import { constantTimeEqual, keyDigest, keyHash } from "../../catalog/api-keys.ts";
import { D1Catalog } from "../../catalog/d1-catalog.ts";
import { defaultLimits, effectiveLimits } from "../../catalog/tenant-limits.ts";
import { EngineError } from "../../core/errors.ts";
import type { Env } from "../../env.ts";
import type { AuthInfo } from "../../service/access.ts";
import { EntryLru } from "../../service/isolate-cache.ts";
import type { AppEnv } from "../context.ts";
import { noteAuthFailure, refuseIfBlocked } from "./auth-failures.ts";

export { type AuthInfo, authorize, clampListPrefix } from "../../service/access.ts";

export const AUTH_CACHE_MS = 30_000;
const AUTH_CACHE_ENTRIES = 4096;


/** A verified key, or why it is refused (naming the key and tenant when the key itself was genuine). */
type Verdict = { info: AuthInfo } | { refusal: string; tenant?: string; keyId?: string };

const verified = new EntryLru<{ verdict: Verdict; at: number }>(AUTH_CACHE_ENTRIES);

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/** Forgets every verified key in this isolate (tests; other isolates keep theirs until the TTL). */
export function clearAuthCache(): void {
  verified.clear();
}

/** Forgets this isolate's cached verdicts for a tenant or a key, after an admin change. */
export function forgetCachedAuth(match: { tenant?: string; keyId?: string }): void {
  for (const [digest, entry] of verified.entries()) {
    const { tenant, keyId } = "info" in entry.verdict ? entry.verdict.info : entry.verdict;
    if ((match.tenant !== undefined && tenant === match.tenant) || (match.keyId !== undefined && keyId === match.keyId)) verified.delete(digest);
  }
}

export function authCacheMs(env: Env): number {
  const raw = (env as unknown as Record<string, unknown>).ELACSYM_AUTH_CACHE_MS;
  const n = raw === undefined || raw === "" ? AUTH_CACHE_MS : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : AUTH_CACHE_MS;
}

async function verify(env: Env, key: string): Promise<Verdict> {
  const candidates = await new D1Catalog(env.DB).keyCandidates(key);
  for (const row of candidates) {
    // Every candidate's hash is computed and compared in constant time, matching or not.
    if (!constantTimeEqual(await keyHash(row.salt, key), row.hash)) continue;
    const who = { tenant: row.tenant_id, keyId: row.id };
    if (row.revoked_at !== null) return { refusal: "auth: this API key has been revoked", ...who };
    if (row.tenant_status !== "active") return { refusal: "auth: the tenant of this API key is suspended", ...who };
    return {
      info: {
        tenant: row.tenant_id,
        keyId: row.id,
        scopes: row.scopes,
        namespacePrefix: row.namespace_prefix,
        expiresAt: row.expires_at,
        limits: effectiveLimits(defaultLimits(env), row.limits),
      },
    };
  }
  return { refusal: "auth: invalid API key" };
}

/**
 * The caller's identity, or a 401 error (429 while `clientAddress` has too many failed attempts and
 * the key is not cached). `now` is injectable to test the cache's time bound.
 */
export async function authenticate(env: Env, authorization: string | undefined, options: { now?: number; clientAddress?: string | null } = {}): Promise<AuthInfo> {
  const now = options.now ?? Date.now();
  const address = options.clientAddress ?? null;
  const key = bearerToken(authorization);
  if (!key) throw new EngineError("UNAUTHENTICATED", "auth: missing API key; send 'Authorization: Bearer <key>'");
  const cacheKey = await keyDigest(key);
  let entry = verified.get(cacheKey);
  if (!entry || now - entry.at >= authCacheMs(env)) {
    refuseIfBlocked(address, now);
    entry = { verdict: await verify(env, key), at: now };
    verified.set(cacheKey, entry);
    if ("refusal" in entry.verdict && entry.verdict.keyId === undefined) await noteAuthFailure(env, address, now);
  }
  const verdict = entry.verdict;
  if ("refusal" in verdict) throw new EngineError("UNAUTHENTICATED", verdict.refusal);
  if (verdict.info.expiresAt !== null && verdict.info.expiresAt <= now) throw new EngineError("UNAUTHENTICATED", "auth: this API key has expired");
  return verdict.info;
}

/** Authenticates the request's API key and stores the caller as `c.get("auth")`. */
export function apiKeyAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("auth", await authenticate(c.env, c.req.header("authorization"), { clientAddress: c.req.header("cf-connecting-ip") ?? null }));
    c.get("timing")?.lap("auth");
    await next();
  };
}
