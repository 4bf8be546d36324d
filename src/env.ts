/** Bindings the Worker and the namespace Durable Object receive (see wrangler.toml). */
import type { NamespaceDO } from "../durable-objects/namespace-do.ts";
import type { TenantDO } from "../durable-objects/tenant-do.ts";

export interface Env {
  NAMESPACE: DurableObjectNamespace<NamespaceDO>;
  /** One per tenant: rate-limit buckets, live usage, the audit outbox of writes. */
  TENANT: DurableObjectNamespace<TenantDO>;
  BUCKET: R2Bucket;
  DB: D1Database;
  /**
   * Guards the admin API; set with `wrangler secret put ELACSYM_ADMIN_TOKEN` in production. May hold
   * several comma-separated tokens (rotation). Unset: the admin API answers 503.
   */
  ELACSYM_ADMIN_TOKEN?: string;
  /** Counts failed authentications per client address (Workers Rate Limiting binding; optional). */
  AUTH_FAILURE_LIMITER?: RateLimit;
  /** How long an isolate trusts a verified API key (the revocation delay), default 30000. */
  ELACSYM_AUTH_CACHE_MS?: string;
  /** "0" turns off the per-request JSON log line. */
  ELACSYM_LOG_REQUESTS?: string;
  /** Workers Analytics Engine dataset for request latency and cache figures (optional). */
  ANALYTICS?: AnalyticsEngineDataset;
}
