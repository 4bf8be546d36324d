/**
 * A validated query: what to rank by, what to filter on, what to return. Built from the v1 JSON
 * against the namespace schema (bad input → InvalidArgumentError naming the field); executed over
 * the WAL tail by the Durable Object and over the segments by the Worker.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { Schema } from "../schema/schema.ts";
import type { Metric } from "../types.ts";
import { type Filter, parseV1Filter } from "./filter.ts";

export const DEFAULT_TOP_K = 10;
export const MAX_TOP_K = 10_000;

export type Consistency = "strong" | "eventual";

export interface QueryPlan {
  topK: number;
  /** Rank by distance to this vector (smaller is closer); null ranks by id. */
  vector: Float32Array | null;
  metric: Metric | null;
  filter: Filter | null;
  includeVector: boolean;
  /** Attribute names to return; null returns all of them. */
  includeAttributes: string[] | null;
  consistency: Consistency;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function parseQueryVector(raw: unknown, schema: Schema, where: string): Float32Array {
  if (!schema.vector) throw new InvalidArgumentError(`${where}: this namespace has no vectors`);
  if (!Array.isArray(raw)) throw new InvalidArgumentError(`${where}: expected an array of ${schema.vector.dimensions} numbers`);
  if (raw.length !== schema.vector.dimensions) {
    throw new InvalidArgumentError(`${where}: expected ${schema.vector.dimensions} dimensions, got ${raw.length}`);
  }
  const v = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const x = raw[i];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new InvalidArgumentError(`${where}[${i}]: expected a finite number, got ${JSON.stringify(x)}`);
    }
    v[i] = x;
  }
  return v;
}

export function parseTopK(raw: unknown, where = "top_k"): number {
  if (raw === undefined) return DEFAULT_TOP_K;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 1 || raw > MAX_TOP_K) {
    throw new InvalidArgumentError(`${where}: expected an integer from 1 to ${MAX_TOP_K}`);
  }
  return raw;
}

export function parseIncludeAttributes(raw: unknown, schema: Schema, where = "include_attributes"): string[] | null {
  if (raw === undefined || raw === true) return null;
  if (raw === false) return [];
  if (!Array.isArray(raw)) throw new InvalidArgumentError(`${where}: expected true, false or a list of attribute names`);
  return raw.map((name, i) => {
    if (typeof name !== "string") throw new InvalidArgumentError(`${where}[${i}]: expected an attribute name`);
    if (name !== "id" && !schema.attributes[name]) throw new InvalidArgumentError(`${where}[${i}]: unknown attribute '${name}'`);
    return name;
  }).filter((n) => n !== "id");
}

export function parseConsistency(raw: unknown, where = "consistency"): Consistency {
  if (raw === undefined) return "strong";
  if (raw === "strong" || raw === "eventual") return raw;
  throw new InvalidArgumentError(`${where}: expected "strong" or "eventual"`);
}

const V1_QUERY_KEYS = ["vector", "full_text", "filter", "top_k", "hybrid", "include_vector", "include_attributes", "consistency"];

export function planV1Query(raw: unknown, schema: Schema): QueryPlan {
  if (!isObject(raw)) throw new InvalidArgumentError("query: expected a JSON object");
  for (const key of Object.keys(raw)) {
    if (!V1_QUERY_KEYS.includes(key)) {
      throw new InvalidArgumentError(`query: unknown field '${key}' (allowed: ${V1_QUERY_KEYS.join(", ")})`);
    }
  }
  if (raw.full_text !== undefined) {
    throw new InvalidArgumentError("query.full_text: full-text search is not available in this build yet");
  }
  const vector = raw.vector === undefined || raw.vector === null ? null : parseQueryVector(raw.vector, schema, "vector");
  if (raw.include_vector !== undefined && typeof raw.include_vector !== "boolean") {
    throw new InvalidArgumentError("include_vector: expected true or false");
  }
  return {
    topK: parseTopK(raw.top_k),
    vector,
    metric: vector ? schema.vector!.metric : null,
    filter: raw.filter === undefined || raw.filter === null ? null : parseV1Filter(raw.filter, schema),
    includeVector: raw.include_vector === true,
    includeAttributes: parseIncludeAttributes(raw.include_attributes, schema),
    consistency: parseConsistency(raw.consistency),
  };
}
