/** Worker entry: the HTTP app, plus the Durable Object class wrangler must find in `main`. */
import { buildApp } from "./api/app.ts";
export { NamespaceDO } from "../durable-objects/namespace-do.ts";

export default buildApp();
