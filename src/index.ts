/** Worker entry: the HTTP app, plus the Durable Object classes wrangler must find in `main`. */
import { buildApp } from "./api/app.ts";
export { NamespaceDO } from "../durable-objects/namespace-do.ts";
export { TenantDO } from "../durable-objects/tenant-do.ts";

export default buildApp();
