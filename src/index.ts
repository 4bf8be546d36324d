/** Worker entry: the HTTP app, plus the Durable Object class wrangler must find in `main`. */
import { Hono } from "hono";
import type { Env } from "./env.ts";
export { NamespaceDO } from "../durable-objects/namespace-do.ts";

const app = new Hono<{ Bindings: Env }>();
app.get("/health", (c) => c.json({ status: "ok" }));

export default app;
