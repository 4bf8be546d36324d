/** Bindings the Worker and the namespace Durable Object receive (see wrangler.toml). */

export interface Env {
  NAMESPACE: DurableObjectNamespace;
  BUCKET: R2Bucket;
  DB: D1Database;
  /** Guards the admin API; set with `wrangler secret put ELACSYM_ADMIN_TOKEN` in production. */
  ELACSYM_ADMIN_TOKEN?: string;
}
