/**
 * When to retry a request and how long to wait: exponential backoff with full jitter
 * (AWS architecture blog, "Exponential Backoff And Jitter"), and the server's `retry-after-ms`
 * hint when it sends one (429 backpressure and rate limits). Pure: the caller sleeps.
 */

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** Backoff base: attempt n (0-based) waits up to baseMs · 2^n. */
  baseMs: number;
  /** No single wait is longer than this. */
  capMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 10, baseMs: 250, capMs: 30_000 };

/** 408, 429 and the transient 5xx are retried; other 4xx are the caller's mistake and are not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/**
 * The wait before retry number `attempt` (0 = the first retry). A server hint wins but gets up
 * to 20 % jitter on top so that many clients told the same hint do not return in lockstep.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs: number | null, random: () => number = Math.random): number {
  if (retryAfterMs !== null && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(policy.capMs, Math.round(retryAfterMs * (1 + 0.2 * random())));
  }
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  return Math.round(ceiling * random());
}

/** Reads `retry-after-ms`, else `retry-after` in seconds; null when neither is usable. */
export function retryAfterFromHeaders(headers: Headers): number | null {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const s = headers.get("retry-after");
  if (s !== null && s.trim() !== "" && Number.isFinite(Number(s))) return Math.max(0, Number(s) * 1000);
  return null;
}
