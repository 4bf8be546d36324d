/**
 * A query as a request carries it, before the schema is at hand: which API's syntax it uses and the
 * raw body. Each API has exactly one planning function producing the engine's QueryPlan; this picks
 * it. Plans are made where the schema lives: the namespace's Durable Object for strong reads, the
 * Worker (with the manifest's schema) for eventual ones.
 */
import type { Schema } from "../schema/schema.ts";
import { planTurbopufferQuery } from "../turbopuffer/query.ts";
import { type QueryPlan, planV1Query } from "./plan.ts";

export interface QueryInput {
  syntax: "v1" | "turbopuffer";
  raw: unknown;
}

export function planQueryInput(input: QueryInput, schema: Schema): QueryPlan {
  return input.syntax === "turbopuffer" ? planTurbopufferQuery(input.raw, schema) : planV1Query(input.raw, schema);
}
