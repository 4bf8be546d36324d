/**
 * A namespace's schema: id kind, vector dimensions and metric, typed attributes with their full-text
 * and filter settings. Parsing the API's JSON form, comparing schemas, and growing one from writes.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { AttributeType, IdType, Metric } from "../types.ts";
import { isAttributeType } from "./attribute-value.ts";
import { checkAttributeName } from "./names.ts";
import { type FullTextConfig, type FullTextConfigInput, resolveFullTextConfig } from "../index/fulltext/full-text-config.ts";

export type { FullTextConfig };

export const MAX_DIMENSIONS = 4096;
export const MAX_ATTRIBUTES = 256;

export interface AttributeSchema {
  type: AttributeType;
  /** Whether filters may use the attribute (default true). */
  filterable: boolean;
  full_text?: FullTextConfig;
}

export interface VectorSchema {
  dimensions: number;
  metric: Metric;
}

export interface Schema {
  /** Fixed by the first write (or declared); every id of the namespace has this kind. */
  id_type?: IdType;
  vector?: VectorSchema;
  attributes: Record<string, AttributeSchema>;
}

const METRIC_ALIASES: Record<string, Metric> = {
  cosine: "cosine",
  cosine_distance: "cosine",
  euclidean_squared: "euclidean_squared",
  euclidean: "euclidean_squared",
  dot_product: "dot_product",
  dot: "dot_product",
};

export function parseMetric(raw: unknown, where: string): Metric {
  const metric = typeof raw === "string" ? METRIC_ALIASES[raw] : undefined;
  if (!metric) {
    throw new InvalidArgumentError(
      `${where}: unknown metric ${JSON.stringify(raw)}; use cosine, euclidean_squared or dot_product`,
    );
  }
  return metric;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, allowed: string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new InvalidArgumentError(`${where}: unknown field '${key}' (allowed: ${allowed.join(", ")})`);
    }
  }
}

export function parseVectorSchema(raw: unknown, where = "schema.vector"): VectorSchema {
  if (!isObject(raw)) throw new InvalidArgumentError(`${where}: expected an object {dimensions, metric}`);
  checkKeys(raw, ["dimensions", "metric"], where);
  const dims = raw.dimensions;
  if (typeof dims !== "number" || !Number.isInteger(dims) || dims < 1 || dims > MAX_DIMENSIONS) {
    throw new InvalidArgumentError(`${where}.dimensions: expected an integer from 1 to ${MAX_DIMENSIONS}`);
  }
  return { dimensions: dims, metric: parseMetric(raw.metric ?? "cosine", `${where}.metric`) };
}

function bool(raw: unknown, fallback: boolean, where: string): boolean {
  if (raw === undefined) return fallback;
  if (typeof raw !== "boolean") throw new InvalidArgumentError(`${where}: expected true or false`);
  return raw;
}


/** The full-text config of an attribute (`true`, `false` or options), with defaults filled in. */
export function parseFullTextConfig(raw: unknown, where: string): FullTextConfig | undefined {
  if (raw === undefined || raw === false || raw === null) return undefined;
  try {
    return resolveFullTextConfig(raw as FullTextConfigInput | boolean);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new InvalidArgumentError(`${where}: ${err.message.replace(/^full_text: /, "")}`);
    throw err;
  }
}

/** The full-text attributes of a schema and their configs. */
export function fullTextFields(schema: Schema): Record<string, FullTextConfig> {
  const out: Record<string, FullTextConfig> = {};
  for (const [name, attr] of Object.entries(schema.attributes)) if (attr.full_text) out[name] = attr.full_text;
  return out;
}

export function parseAttributeSchema(raw: unknown, where: string): AttributeSchema {
  // Shorthand: "title": "string"
  if (typeof raw === "string") raw = { type: raw };
  if (!isObject(raw)) throw new InvalidArgumentError(`${where}: expected a type name or {type, ...}`);
  checkKeys(raw, ["type", "filterable", "full_text", "full_text_search"], where);
  if (!isAttributeType(raw.type)) {
    throw new InvalidArgumentError(
      `${where}.type: unknown type ${JSON.stringify(raw.type)}; use string, int, uint, float, bool, datetime, uuid or []<type>`,
    );
  }
  const fullText = parseFullTextConfig(raw.full_text ?? raw.full_text_search, `${where}.full_text`);
  if (fullText && raw.type !== "string" && raw.type !== "[]string") {
    throw new InvalidArgumentError(`${where}.full_text: full-text search needs a string or []string attribute`);
  }
  const attr: AttributeSchema = { type: raw.type, filterable: bool(raw.filterable, true, `${where}.filterable`) };
  if (fullText) attr.full_text = fullText;
  return attr;
}

/** Parses the `schema` object of a create-namespace request. */
export function parseSchema(raw: unknown): Schema {
  if (raw === undefined) return { attributes: {} };
  if (!isObject(raw)) throw new InvalidArgumentError("schema: expected an object");
  checkKeys(raw, ["vector", "attributes", "id_type"], "schema");
  const schema: Schema = { attributes: {} };
  if (raw.id_type !== undefined) {
    if (raw.id_type !== "u64" && raw.id_type !== "uuid" && raw.id_type !== "string") {
      throw new InvalidArgumentError(`schema.id_type: expected u64, uuid or string`);
    }
    schema.id_type = raw.id_type;
  }
  if (raw.vector !== undefined && raw.vector !== null) schema.vector = parseVectorSchema(raw.vector);
  if (raw.attributes !== undefined) {
    if (!isObject(raw.attributes)) throw new InvalidArgumentError("schema.attributes: expected an object");
    const names = Object.keys(raw.attributes);
    if (names.length > MAX_ATTRIBUTES) {
      throw new InvalidArgumentError(`schema.attributes: at most ${MAX_ATTRIBUTES} attributes`);
    }
    for (const name of names) {
      checkAttributeName(name);
      schema.attributes[name] = parseAttributeSchema(raw.attributes[name], `schema.attributes.${name}`);
    }
  }
  return schema;
}

/** A canonical JSON form (sorted keys) so that equal schemas compare equal. */
export function canonicalSchema(schema: Schema): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (isObject(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
    }
    return v;
  };
  return JSON.stringify(sortKeys(schema));
}

/**
 * Whether a create request's schema matches an existing namespace: everything it declares must
 * equal what exists (attributes added later by writes do not count against it).
 */
export function schemaMatches(existing: Schema, requested: Schema): boolean {
  if (requested.id_type && requested.id_type !== existing.id_type) return false;
  if (requested.vector && canonicalSchema({ attributes: {}, vector: requested.vector }) !==
      canonicalSchema({ attributes: {}, vector: existing.vector })) return false;
  for (const [name, attr] of Object.entries(requested.attributes)) {
    const have = existing.attributes[name];
    if (!have || canonicalSchema({ attributes: { a: have } }) !== canonicalSchema({ attributes: { a: attr } })) {
      return false;
    }
  }
  return true;
}
