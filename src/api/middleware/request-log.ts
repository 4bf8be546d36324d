/**
 * One structured JSON log line per request (request id, route, status, latency, tenant, what the
 * route reported) and, when the ANALYTICS binding is configured, one Analytics Engine data point:
 * latency histograms and cache hit ratios are computed from those in the Analytics Engine SQL API.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";

/**
 * Data point layout (Analytics Engine): indexes [tenant]; blobs [operation, namespace, status class,
 * method]; doubles [latency ms, status, rows, cache hit ratio, object reads, bytes read].
 */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    let failed: unknown;
    try {
      await next();
    } catch (err) {
      failed = err;
      throw err;
    } finally {
      const ms = Date.now() - started;
      const status = failed ? 500 : c.res.status;
      const m = c.get("metrics");
      const tenant = (c.get("auth") as { tenant?: string } | undefined)?.tenant ?? null;
      if (c.env.ELACSYM_LOG_REQUESTS !== "0") console.log(
        JSON.stringify({
          msg: "request",
          request_id: c.get("requestId"),
          method: c.req.method,
          path: new URL(c.req.url).pathname,
          status,
          ms,
          tenant,
          ...(m ?? {}),
        }),
      );
      if (c.env.ANALYTICS && m) {
        try {
          c.env.ANALYTICS.writeDataPoint({
            indexes: [tenant ?? "-"],
            blobs: [m.operation, m.namespace, `${Math.floor(status / 100)}xx`, c.req.method],
            doubles: [ms, status, m.rows ?? 0, m.cacheHitRatio ?? -1, m.objectReads ?? 0, m.bytesRead ?? 0],
          });
        } catch (err) {
          console.error(JSON.stringify({ msg: "analytics write failed", error: String(err) }));
        }
      }
    }
  };
}
