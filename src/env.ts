/** Bindings the Worker and the namespace Durable Object receive (see wrangler.toml). */
import type { NamespaceDO } from "../durable-objects/namespace-do.ts";

export interface Env {
  NAMESPACE: DurableObjectNamespace<NamespaceDO>;
  BUCKET: R2Bucket;
  DB: D1Database;
  /** Guards the admin API; set with `wrangler secret put ELACSYM_ADMIN_TOKEN` in production. */
  ELACSYM_ADMIN_TOKEN?: string;
}
