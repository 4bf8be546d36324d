/**
 * Guards `/admin`: `Authorization: Bearer <ELACSYM_ADMIN_TOKEN>`. The secret may hold several
 * tokens separated by commas, so that a new token can be rolled out before the old one is removed.
 * Tokens are compared through their SHA-256 digests in constant time (neither content nor length
 * leaks through timing), and every configured token is compared, matching or not.
 * Without a configured token the admin API answers 503: it is disabled, not open. Failed attempts
 * count against the client address's budget (auth-failures.ts).
 */
import type { MiddlewareHandler } from "hono";
import { constantTimeEqual } from "../../catalog/api-keys.ts";
import { EngineError } from "../../core/errors.ts";
import type { AppEnv } from "../context.ts";
import { noteAuthFailure, refuseIfBlocked } from "./auth-failures.ts";
import { bearerToken } from "./auth.ts";

async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function adminTokens(configured: string | undefined): string[] {
  return (configured ?? "").split(",").map((t) => t.trim()).filter((t) => t.length > 0);
}

export async function isAdminToken(given: string, configured: string[]): Promise<boolean> {
  const g = await digest(given);
  let ok = false;
  for (const token of configured) if (constantTimeEqual(g, await digest(token))) ok = true;
  return ok;
}

export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const configured = adminTokens(c.env.ELACSYM_ADMIN_TOKEN);
    if (configured.length === 0) {
      throw new EngineError("UNAVAILABLE", "admin: the admin API is disabled because this deployment has no ELACSYM_ADMIN_TOKEN; set it with `wrangler secret put ELACSYM_ADMIN_TOKEN`");
    }
    const address = c.req.header("cf-connecting-ip") ?? null;
    refuseIfBlocked(address);
    const given = bearerToken(c.req.header("authorization"));
    if (!given) throw new EngineError("UNAUTHENTICATED", "admin: missing admin token; send 'Authorization: Bearer <ELACSYM_ADMIN_TOKEN>'");
    if (!(await isAdminToken(given, configured))) {
      await noteAuthFailure(c.env, address);
      throw new EngineError("UNAUTHENTICATED", "admin: invalid admin token");
    }
    await next();
  };
}
