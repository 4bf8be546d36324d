/**
 * The one table from engine error codes to HTTP statuses, and the error bodies of both APIs.
 * Unknown errors are logged and answered with a generic 500.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { EngineError, type ErrorCode } from "../core/errors.ts";

export const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NAMESPACE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  BACKPRESSURE: 429,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  DATA_CORRUPTION: 500,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Error body of the Elacsym API: {"error": {"code", "message"}}. */
export function v1ErrorResponse(c: Context, err: unknown): Response {
  if (err instanceof EngineError) {
    const status = STATUS[err.code];
    if (err.retryAfterMs !== undefined) {
      c.header("retry-after-ms", String(err.retryAfterMs));
      c.header("retry-after", String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
    }
    return c.json({ error: { code: err.code, message: err.message } }, status);
  }
  console.error(JSON.stringify({ msg: "unhandled error", request_id: c.get("requestId" as never), error: String((err as Error)?.stack ?? err) }));
  return c.json({ error: { code: "INTERNAL", message: "internal error" } }, 500);
}
