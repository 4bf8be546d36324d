/**
 * The one table from engine error codes to HTTP statuses, and the error bodies of both APIs
 * (chosen per request with `useErrorFormat`). Unknown errors are logged and answered with a generic 500.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { EngineError, type ErrorCode } from "../core/errors.ts";
import type { AppEnv } from "./context.ts";

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

/** Renders an error thrown while serving a request in one API's error format. */
export type ErrorRenderer = (c: Context, err: unknown) => Response;

/** Status, headers and message of an error, shared by every API's format; unknown errors are logged. */
function classify(c: Context, err: unknown): { status: ContentfulStatusCode; code: ErrorCode | "INTERNAL"; message: string } {
  if (err instanceof EngineError) {
    if (err.retryAfterMs !== undefined) {
      c.header("retry-after-ms", String(err.retryAfterMs));
      c.header("retry-after", String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
    }
    if (err.code === "UNAUTHENTICATED") c.header("www-authenticate", 'Bearer realm="elacsym"');
    return { status: STATUS[err.code], code: err.code, message: err.message };
  }
  console.error(JSON.stringify({ msg: "unhandled error", request_id: c.get("requestId" as never), error: String((err as Error)?.stack ?? err) }));
  return { status: 500, code: "INTERNAL", message: "internal error" };
}

/** Error body of the Elacsym API: {"error": {"code", "message"}}. */
export const v1ErrorResponse: ErrorRenderer = (c, err) => {
  const { status, code, message } = classify(c, err);
  return c.json({ error: { code, message } }, status);
};

/** Errors the official turbopuffer client would retry by status (409, 429, 5xx) but that retrying cannot fix. */
const NOT_RETRYABLE: ReadonlySet<ErrorCode | "INTERNAL"> = new Set(["CONFLICT", "QUOTA_EXCEEDED", "DATA_CORRUPTION"]);

/**
 * Error body of the turbopuffer-compatible API: {"status": "error", "error": "message"}, with
 * `x-should-retry: false` where the client's status-based retry would only repeat the failure.
 */
export const turbopufferErrorResponse: ErrorRenderer = (c, err) => {
  const { status, code, message } = classify(c, err);
  if (NOT_RETRYABLE.has(code)) c.header("x-should-retry", "false");
  return c.json({ status: "error", error: message }, status);
};

/**
 * Selects the error format of the routes it guards; install it before `apiKeyAuth()` so that auth
 * errors use it too. Without it, errors use the Elacsym (v1) format.
 */
export function useErrorFormat(render: ErrorRenderer): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("renderError", render);
    await next();
  };
}

/** The app's error handler: the format chosen for the request, or v1's. */
export function renderError(c: Context<AppEnv>, err: unknown): Response {
  return (c.get("renderError") ?? v1ErrorResponse)(c, err);
}
