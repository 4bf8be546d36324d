/**
 * Builds a v1 query body from `elacsym query` flags: vector (inline JSON, @file or - for
 * stdin), full-text text and fields with weights (`title:2,body`), filter JSON, hybrid
 * fusion settings, top_k, include flags and consistency.
 */
import { readFileSync } from "node:fs";

export interface QueryFlags {
  vector?: string;
  text?: string;
  fields?: string;
  filter?: string;
  topK?: string;
  includeVector?: boolean;
  attributes?: string;
  consistency?: string;
  rrfK?: string;
  vectorWeight?: string;
  textWeight?: string;
}

/** Reads `@path` from a file and `-` from stdin; anything else is the value itself. */
export function readArgument(value: string, what: string): string {
  try {
    if (value === "-") return readFileSync(0, "utf8");
    if (value.startsWith("@")) return readFileSync(value.slice(1), "utf8");
  } catch (err) {
    throw new Error(`query: cannot read ${what} from ${value} (${(err as Error).message})`);
  }
  return value;
}

export function parseJsonArgument(value: string, what: string): unknown {
  const text = readArgument(value, what);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`query: ${what} is not valid JSON (${(err as Error).message})`);
  }
}

/** `title:2,body` → {title: 2, body: 1}. */
export function parseFieldWeights(spec: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const part of spec.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, weight] = part.split(":");
    const w = weight === undefined ? 1 : Number(weight);
    if (!name || !Number.isFinite(w) || w < 0) throw new Error(`query: --fields expects name[:weight],… (got '${part}')`);
    fields[name] = w;
  }
  return fields;
}

function number(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`query: ${what} must be a number (got '${value}')`);
  return n;
}

/** Without --fields, a full-text query searches every full-text attribute of the namespace. */
export function buildQueryBody(flags: QueryFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (flags.vector !== undefined) {
    const parsed = parseJsonArgument(flags.vector, "--vector");
    const vector = Array.isArray(parsed) ? parsed : (parsed as { vector?: unknown })?.vector;
    if (!Array.isArray(vector) || !vector.every((x) => typeof x === "number")) throw new Error("query: --vector must be a JSON array of numbers (or an object with a 'vector' array)");
    body.vector = vector;
  }
  if (flags.text !== undefined) {
    const fields = flags.fields ? parseFieldWeights(flags.fields) : {};
    const names = Object.keys(fields);
    if (names.length === 0) body.full_text = { query: flags.text };
    else body.full_text = names.length === 1 && fields[names[0]] === 1 ? { field: names[0], query: flags.text } : { query: flags.text, fields };
  }
  if (body.vector && body.full_text) {
    const hybrid: Record<string, unknown> = { method: "rrf" };
    const k = number(flags.rrfK, "--rrf-k");
    const vw = number(flags.vectorWeight, "--vector-weight");
    const tw = number(flags.textWeight, "--text-weight");
    if (k !== undefined) hybrid.k = k;
    if (vw !== undefined) hybrid.vector_weight = vw;
    if (tw !== undefined) hybrid.full_text_weight = tw;
    if (Object.keys(hybrid).length > 1) body.hybrid = hybrid;
  }
  if (flags.filter !== undefined) body.filter = parseJsonArgument(flags.filter, "--filter");
  const topK = number(flags.topK, "--top-k");
  if (topK !== undefined) body.top_k = topK;
  if (flags.includeVector) body.include_vector = true;
  if (flags.attributes !== undefined) {
    body.include_attributes = flags.attributes === "true" ? true : flags.attributes === "false" ? false : flags.attributes.split(",").map((a) => a.trim()).filter(Boolean);
  }
  if (flags.consistency !== undefined) {
    if (flags.consistency !== "strong" && flags.consistency !== "eventual") throw new Error("query: --consistency is strong or eventual");
    body.consistency = flags.consistency;
  }
  return body;
}
