/** The Hono environment every route shares: bindings plus per-request variables. */
import type { Context } from "hono";
import type { Env } from "../env.ts";
import type { AuthInfo } from "./middleware/auth.ts";

export interface AppEnv {
  Bindings: Env;
  Variables: { auth: AuthInfo; requestId: string };
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
