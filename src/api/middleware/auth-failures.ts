/**
 * Throttles failed authentication per client address, so that guessing API keys or the admin token
 * cannot turn into unbounded D1 lookups. Failures are counted by the Workers Rate Limiting binding
 * AUTH_FAILURE_LIMITER (wrangler.toml: 30 per 60 s per address and Cloudflare location; a fixed,
 * deployment-wide limit is exactly what the binding offers). Once an isolate sees the budget spent
 * it refuses that address's uncached key lookups and admin requests with 429 for AUTH_BLOCK_MS;
 * keys it has already verified keep working.
 *
 * The address is `cf-connecting-ip`, which Cloudflare's edge sets and clients cannot forge there.
 * Without it (local `wrangler dev`, tests that do not set it) nothing is counted.
 */
import { EngineError } from "../../core/errors.ts";
import type { Env } from "../../env.ts";
import { EntryLru } from "../../service/isolate-cache.ts";

export const AUTH_BLOCK_MS = 60_000;

const blockedUntil = new EntryLru<number>(10_000);

/** Throws RATE_LIMITED while `address` is blocked in this isolate. */
export function refuseIfBlocked(address: string | null, now = Date.now()): void {
  if (!address) return;
  const until = blockedUntil.get(address);
  if (until === undefined) return;
  if (until <= now) {
    blockedUntil.delete(address);
    return;
  }
  const wait = until - now;
  throw new EngineError("RATE_LIMITED", `auth: too many failed authentication attempts from this address; retry after ${wait} ms`, wait);
}

/** Counts one failed authentication from `address`; blocks it here once its budget is spent. */
export async function noteAuthFailure(env: Env, address: string | null, now = Date.now()): Promise<void> {
  if (!address || !env.AUTH_FAILURE_LIMITER) return;
  try {
    const { success } = await env.AUTH_FAILURE_LIMITER.limit({ key: address });
    if (!success) blockedUntil.set(address, now + AUTH_BLOCK_MS);
  } catch (err) {
    console.error(JSON.stringify({ msg: "auth failure limiter unavailable", error: String(err) }));
  }
}

/** Forgets every block in this isolate (tests). */
export function clearAuthBlocks(): void {
  blockedUntil.clear();
}
