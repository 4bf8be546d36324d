/** The Hono environment every route shares: bindings plus per-request variables. */
import type { Context } from "hono";
import type { StageTimer } from "../core/stage-timer.ts";
import type { Env } from "../env.ts";
import type { ErrorRenderer } from "./errors.ts";
import type { AuthInfo } from "./middleware/auth.ts";

export interface AppEnv {
  Bindings: Env;
  /**
   * `renderError`: the error format of the API serving the request (unset: v1's). `timing`: started
   * when the request is received; its stages and total become the `server-timing` header.
   */
  Variables: { auth: AuthInfo; requestId: string; renderError?: ErrorRenderer; metrics?: RequestMetrics; timing: StageTimer };
}

/** What a route reports about its work, for logs and Analytics Engine (see middleware/request-log.ts). */
export interface RequestMetrics {
  namespace: string;
  operation: string;
  rows?: number;
  cacheHitRatio?: number;
  objectReads?: number;
  bytesRead?: number;
}

export type AppContext = Context<AppEnv>;

/** Runs work after the response when the runtime offers it (ctx.waitUntil). */
export function deferOf(c: AppContext): (p: Promise<unknown>) => void {
  return (p) => {
    try {
      c.executionCtx.waitUntil(p);
    } catch {
      void p.catch(() => {});
    }
  };
}
