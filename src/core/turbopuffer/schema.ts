/**
 * turbopuffer's schema — one map from attribute name to a type or `{type, filterable,
 * full_text_search, ann, …}`, with `id` and `vector` as ordinary keys — to and from the Elacsym
 * schema. Incoming maps become the Elacsym schema JSON that `parseSchema` validates (so both APIs
 * share one set of rules); outgoing ones are built from a parsed Schema.
 *
 * Differences kept explicit: one vector attribute, named `vector`, of `[N]f32`; full-text attributes
 * are not filterable unless `filterable: true` (turbopuffer's default); regex / fuzzy indexes,
 * embeddings and sparse vectors are rejected with a 400.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { Schema } from "../schema/schema.ts";
import type { Metric } from "../types.ts";

const ID_TYPES: Record<string, string> = { uint: "u64", u64: "u64", uuid: "uuid", string: "string" };
const VECTOR_TYPE = /^\[(\d{1,5})\](f32|f16)$/;
const ATTRIBUTE_KEYS = ["type", "filterable", "full_text_search", "glob", "regex", "fuzzy", "ann", "embed", "sparse_knn"];
const FULL_TEXT_KEYS = ["language", "stemming", "remove_stopwords", "case_sensitive", "ascii_folding", "max_token_length", "k1", "b", "tokenizer"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** turbopuffer's metric names (and Elacsym's) → the engine's metric. */
export function turbopufferMetric(raw: unknown, where = "distance_metric"): Metric {
  if (raw === "cosine_distance" || raw === "cosine") return "cosine";
  if (raw === "euclidean_squared") return "euclidean_squared";
  if (raw === "dot_product") return "dot_product";
  throw new InvalidArgumentError(`${where}: expected "cosine_distance" or "euclidean_squared", got ${JSON.stringify(raw)}`);
}

export function turbopufferMetricName(metric: Metric): string {
  return metric === "cosine" ? "cosine_distance" : metric;
}

function fullTextConfig(raw: unknown, where: string): unknown {
  if (raw === true || raw === false) return raw;
  if (!isObject(raw)) throw new InvalidArgumentError(`${where}: expected true, false or an object of full-text options`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!FULL_TEXT_KEYS.includes(k)) throw new InvalidArgumentError(`${where}: unknown option '${k}' (allowed: ${FULL_TEXT_KEYS.join(", ")})`);
    if (k === "tokenizer") {
      if (typeof v !== "string" || !/^word_v[0-4]$/.test(v)) throw new InvalidArgumentError(`${where}.tokenizer: only the word tokenizers (word_v0 … word_v4) are supported by Elacsym, got ${JSON.stringify(v)}`);
      continue;
    }
    out[k] = v;
  }
  return out;
}

function vectorSchema(raw: Record<string, unknown>, where: string, metric: Metric | undefined): { dimensions: number; metric: Metric } {
  const m = typeof raw.type === "string" ? VECTOR_TYPE.exec(raw.type) : null;
  if (!m) throw new InvalidArgumentError(`${where}.type: expected "[dimensions]f32", got ${JSON.stringify(raw.type)}`);
  if (m[2] === "f16") throw new InvalidArgumentError(`${where}.type: f16 vectors are not supported by Elacsym; use [${m[1]}]f32`);
  let annMetric = metric;
  if (isObject(raw.ann)) {
    for (const k of Object.keys(raw.ann)) if (k !== "distance_metric") throw new InvalidArgumentError(`${where}.ann: unknown option '${k}'`);
    if (raw.ann.distance_metric !== undefined) {
      const m2 = turbopufferMetric(raw.ann.distance_metric, `${where}.ann.distance_metric`);
      if (metric && m2 !== metric) throw new InvalidArgumentError(`${where}.ann.distance_metric: differs from the request's distance_metric`);
      annMetric = m2;
    }
  } else if (raw.ann === false) {
    throw new InvalidArgumentError(`${where}.ann: vectors without an index are not supported by Elacsym (every vector is searchable)`);
  }
  return { dimensions: Number(m[1]), metric: annMetric ?? "cosine" };
}

/**
 * A turbopuffer schema map as the Elacsym schema JSON. `metric`: the request's `distance_metric`,
 * used for the vector attribute when the map does not name one.
 */
export function turbopufferSchemaToElacsym(raw: unknown, where = "schema", metric?: Metric): Record<string, unknown> {
  if (!isObject(raw)) throw new InvalidArgumentError(`${where}: expected an object mapping attribute names to types or {"type": ...}`);
  const out: Record<string, unknown> = {};
  const attributes: Record<string, unknown> = {};
  for (const [name, spec0] of Object.entries(raw)) {
    const at = `${where}.${name}`;
    const spec = typeof spec0 === "string" ? { type: spec0 } : spec0;
    if (!isObject(spec)) throw new InvalidArgumentError(`${at}: expected a type name or {"type": ...}`);
    for (const k of Object.keys(spec)) {
      if (!ATTRIBUTE_KEYS.includes(k)) throw new InvalidArgumentError(`${at}: unknown field '${k}' (allowed: ${ATTRIBUTE_KEYS.join(", ")})`);
    }
    if (name === "id") {
      const t = ID_TYPES[String(spec.type)];
      if (!t) throw new InvalidArgumentError(`${at}.type: expected uint, uuid or string, got ${JSON.stringify(spec.type)}`);
      out.id_type = t;
      continue;
    }
    if (name === "vector") {
      out.vector = vectorSchema(spec, at, metric);
      continue;
    }
    if (spec.type === undefined) throw new InvalidArgumentError(`${at}.type: required`);
    if (typeof spec.type === "string" && VECTOR_TYPE.test(spec.type)) {
      throw new InvalidArgumentError(`${at}: Elacsym stores one vector per document, in the attribute named "vector"`);
    }
    for (const k of ["regex", "fuzzy"] as const) {
      if (spec[k] === true) throw new InvalidArgumentError(`${at}.${k}: ${k} indexes are not supported by Elacsym`);
    }
    for (const k of ["ann", "embed", "sparse_knn"] as const) {
      if (spec[k] !== undefined && spec[k] !== null && spec[k] !== false) throw new InvalidArgumentError(`${at}.${k}: not supported by Elacsym`);
    }
    const attr: Record<string, unknown> = { type: spec.type };
    const fullText = spec.full_text_search;
    const hasFullText = fullText !== undefined && fullText !== null && fullText !== false;
    if (hasFullText) attr.full_text = fullTextConfig(fullText, `${at}.full_text_search`);
    // turbopuffer: full-text attributes are not filterable unless asked for.
    attr.filterable = spec.filterable ?? !hasFullText;
    attributes[name] = attr;
  }
  if (Object.keys(attributes).length > 0) out.attributes = attributes;
  return out;
}

/** The schema as turbopuffer's map: `id`, `vector` (when set) and every attribute. */
export function renderTurbopufferSchema(schema: Schema): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  if (schema.id_type) out.id = { type: schema.id_type === "u64" ? "uint" : schema.id_type };
  if (schema.vector) {
    out.vector = { type: `[${schema.vector.dimensions}]f32`, ann: { distance_metric: turbopufferMetricName(schema.vector.metric) } };
  }
  for (const [name, attr] of Object.entries(schema.attributes)) {
    const spec: Record<string, unknown> = { type: attr.type, filterable: attr.filterable };
    if (attr.full_text) {
      const { k3: _k3, ...config } = attr.full_text;
      spec.full_text_search = config;
    }
    out[name] = spec;
  }
  return out;
}
