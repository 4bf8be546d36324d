/**
 * A token bucket that hands out tokens in batches ("leases"). It holds at most one second's worth
 * of tokens (the burst) and refills continuously at the rate; a request for `want` tokens gets
 * what the bucket holds, up to `want`, or, when it is empty, the wait until the next token.
 * Pure and clock-injected: the tenant Durable Object owns one per request kind.
 */

export interface TokenBucket {
  tokens: number;
  /** Milliseconds since the epoch of the last refill. */
  updatedAt: number;
}

export interface TakeOutcome {
  granted: number;
  /** When nothing was granted: milliseconds until one token is available. */
  retryAfterMs: number;
}

export function fullBucket(ratePerSecond: number, now: number): TokenBucket {
  return { tokens: ratePerSecond, updatedAt: now };
}

export function takeTokens(bucket: TokenBucket, ratePerSecond: number, want: number, now: number): TakeOutcome {
  const capacity = ratePerSecond;
  const elapsed = Math.max(0, now - bucket.updatedAt);
  bucket.tokens = Math.min(capacity, bucket.tokens + (elapsed * ratePerSecond) / 1000);
  bucket.updatedAt = now;
  const granted = Math.min(Math.max(0, Math.floor(want)), Math.floor(bucket.tokens));
  if (granted > 0) {
    bucket.tokens -= granted;
    return { granted, retryAfterMs: 0 };
  }
  return { granted: 0, retryAfterMs: Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / ratePerSecond)) };
}
