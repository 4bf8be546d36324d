/**
 * Write batches: the upsert shape the Worker sends the Durable Object (ids parsed, vectors packed
 * into one Float32Array) and the schema check the Durable Object runs before anything is logged
 * (types per attribute, new attributes inferred, conflicts rejected).
 */
import { parseDocId } from "../codec/id-key.ts";
import { InvalidArgumentError } from "../errors.ts";
import { inferType, normalizeValue } from "../schema/attribute-value.ts";
import { checkAttributeName } from "../schema/names.ts";
import { MAX_ATTRIBUTES, MAX_DIMENSIONS, type Schema } from "../schema/schema.ts";
import type { AttributeType, AttributeValue, DocId, IdType, Metric } from "../types.ts";

export const MAX_BATCH_DOCUMENTS = 10_000;

export interface UpsertBatch {
  ids: DocId[];
  idType: IdType;
  /** Vector dimensions of this batch; 0 when no document has a vector. */
  dims: number;
  /** ids.length × dims values, or null. */
  vectors: Float32Array | null;
  /** Raw attribute values per document, checked against the schema by normalizeUpsert. */
  attributes: (Record<string, unknown> | null)[];
  /** Metric to use if this batch introduces vectors to the namespace. */
  metric?: Metric;
  /** Where the values came from in the request, for error messages (default: the v1 `documents`). */
  origin?: BatchOrigin;
}

/**
 * A batch's place in its request: the field and its layout, so that errors name the value as the
 * client wrote it (`documents[3].attributes.price`, `upsert_rows[3].price`, `upsert_columns.price[3]`).
 */
export interface BatchOrigin {
  field: string;
  layout: "documents" | "rows" | "columns";
}

export function attributePath(origin: BatchOrigin | undefined, i: number, name: string): string {
  if (!origin || origin.layout === "documents") return `${origin?.field ?? "documents"}[${i}].attributes.${name}`;
  return origin.layout === "rows" ? `${origin.field}[${i}].${name}` : `${origin.field}.${name}[${i}]`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks that all ids of a batch are of one kind. */
export function parseIds(raw: unknown, where: string): { ids: DocId[]; idType: IdType } {
  if (!Array.isArray(raw) || raw.length === 0) throw new InvalidArgumentError(`${where}: expected a non-empty array of ids`);
  if (raw.length > MAX_BATCH_DOCUMENTS) {
    throw new InvalidArgumentError(`${where}: at most ${MAX_BATCH_DOCUMENTS} ids per request (got ${raw.length})`);
  }
  let idType: IdType | undefined;
  const ids = raw.map((r, i) => {
    const { id, type } = parseDocId(r, `${where}[${i}]`);
    if (idType && type !== idType) {
      throw new InvalidArgumentError(`${where}[${i}]: mixes ${type} and ${idType} ids in one request`);
    }
    idType = type;
    return id;
  });
  return { ids, idType: idType! };
}

/** Packs one vector into `out` at `offset`, rejecting non-finite values. */
export function packVector(raw: unknown, dims: number, out: Float32Array, offset: number, where: string): void {
  if (!Array.isArray(raw)) throw new InvalidArgumentError(`${where}: expected an array of numbers`);
  if (raw.length !== dims) throw new InvalidArgumentError(`${where}: expected ${dims} dimensions, got ${raw.length}`);
  for (let j = 0; j < dims; j++) {
    const x = raw[j];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new InvalidArgumentError(`${where}[${j}]: expected a finite number, got ${JSON.stringify(x)}`);
    }
    out[offset + j] = x;
  }
}

/**
 * Parses the v1 `documents` array: [{id, vector?, attributes?}]. Structural checks only; types
 * against the schema are the Durable Object's job (it owns the schema).
 */
export function parseV1Documents(raw: unknown, expectedDims?: number): UpsertBatch {
  if (!Array.isArray(raw) || raw.length === 0) throw new InvalidArgumentError("documents: expected a non-empty array");
  if (raw.length > MAX_BATCH_DOCUMENTS) {
    throw new InvalidArgumentError(`documents: at most ${MAX_BATCH_DOCUMENTS} documents per request (got ${raw.length})`);
  }
  const rawIds: unknown[] = [];
  for (let i = 0; i < raw.length; i++) {
    const doc = raw[i];
    if (!isObject(doc)) throw new InvalidArgumentError(`documents[${i}]: expected an object {id, vector?, attributes?}`);
    for (const k of Object.keys(doc)) {
      if (k !== "id" && k !== "vector" && k !== "attributes") {
        throw new InvalidArgumentError(`documents[${i}]: unknown field '${k}' (a document has id, vector, attributes)`);
      }
    }
    if (!("id" in doc)) throw new InvalidArgumentError(`documents[${i}]: missing id`);
    rawIds.push(doc.id);
  }
  const { ids, idType } = parseIds(rawIds, "documents[].id");
  const withVector = raw.filter((d) => (d as Record<string, unknown>).vector !== undefined && (d as Record<string, unknown>).vector !== null).length;
  if (withVector !== 0 && withVector !== raw.length) {
    throw new InvalidArgumentError("documents: either every document of a request has a vector or none has");
  }
  let dims = 0;
  let vectors: Float32Array | null = null;
  if (withVector > 0) {
    const first = (raw[0] as Record<string, unknown>).vector;
    dims = expectedDims ?? (Array.isArray(first) ? first.length : 0);
    if (dims < 1 || dims > MAX_DIMENSIONS) {
      throw new InvalidArgumentError(`documents[0].vector: expected an array of 1 to ${MAX_DIMENSIONS} numbers`);
    }
    vectors = new Float32Array(raw.length * dims);
    for (let i = 0; i < raw.length; i++) {
      packVector((raw[i] as Record<string, unknown>).vector, dims, vectors, i * dims, `documents[${i}].vector`);
    }
  }
  const attributes = raw.map((d, i) => {
    const a = (d as Record<string, unknown>).attributes;
    if (a === undefined || a === null) return null;
    if (!isObject(a)) throw new InvalidArgumentError(`documents[${i}].attributes: expected an object`);
    return a;
  });
  return { ids, idType, dims, vectors, attributes };
}

export interface NormalizedUpsert {
  schema: Schema;
  schemaChanged: boolean;
  attrs: Record<string, AttributeValue[]>;
}

/**
 * Checks a batch against the schema (id kind, vector dimensions, attribute types), infers types
 * for attributes seen for the first time, and returns columnar normalized values. Throws before
 * anything is written.
 */
export function normalizeUpsert(schema: Schema, batch: UpsertBatch): NormalizedUpsert {
  let next = schema;
  if (schema.id_type && schema.id_type !== batch.idType) {
    throw new InvalidArgumentError(`id: this namespace uses ${schema.id_type} ids; got ${batch.idType} ids`);
  }
  if (!schema.id_type) next = { ...next, id_type: batch.idType };

  if (schema.vector) {
    if (batch.dims === 0) {
      throw new InvalidArgumentError(`vector: this namespace stores ${schema.vector.dimensions}-dimensional vectors; every document needs one`);
    }
    if (batch.dims !== schema.vector.dimensions) {
      throw new InvalidArgumentError(`vector: expected ${schema.vector.dimensions} dimensions, got ${batch.dims}`);
    }
  } else if (batch.dims > 0) {
    next = { ...next, vector: { dimensions: batch.dims, metric: batch.metric ?? "cosine" } };
  }
  if (next.vector?.metric === "cosine" && batch.vectors) rejectZeroVectors(batch.vectors, batch.dims);
  const { schema: withAttributes, attrs } = normalizeAttributes(next, batch.attributes, batch.origin);
  return { schema: withAttributes, schemaChanged: withAttributes !== schema, attrs };
}

/** Cosine distance needs a direction: a zero vector has none. */
function rejectZeroVectors(vectors: Float32Array, dims: number): void {
  for (let i = 0; i * dims < vectors.length; i++) {
    let any = false;
    for (let j = i * dims; j < (i + 1) * dims; j++) {
      if (vectors[j] !== 0) {
        any = true;
        break;
      }
    }
    if (!any) throw new InvalidArgumentError(`documents[${i}].vector: a zero vector has no direction under the cosine metric`);
  }
}

/**
 * Type-checks per-document attribute values against the schema, inferring types of new attributes
 * (returns a new schema object then). Null values mean absent.
 */
export function normalizeAttributes(schema: Schema, docs: (Record<string, unknown> | null)[], origin?: BatchOrigin): { schema: Schema; attrs: Record<string, AttributeValue[]> } {
  let next = schema;
  const n = docs.length;
  const attrs: Record<string, AttributeValue[]> = {};
  for (let i = 0; i < n; i++) {
    const doc = docs[i];
    if (!doc) continue;
    for (const name of Object.keys(doc)) {
      const raw = doc[name];
      const where = attributePath(origin, i, name);
      let attr = next.attributes[name];
      if (!attr) {
        checkAttributeName(name);
        const type = widenInferred(inferType(raw, where), docs, name, i);
        if (type === null) continue;
        if (Object.keys(next.attributes).length >= MAX_ATTRIBUTES) {
          throw new InvalidArgumentError(`${where}: a namespace has at most ${MAX_ATTRIBUTES} attributes`);
        }
        attr = { type, filterable: true };
        next = { ...next, attributes: { ...next.attributes, [name]: attr } };
      }
      const value = normalizeValue(attr.type, raw, `${where} (${attr.type})`);
      if (value === null) continue;
      (attrs[name] ??= new Array<AttributeValue>(n).fill(null))[i] = value;
    }
  }
  return { schema: next, attrs };
}

/**
 * An attribute first seen in a batch is typed by its first value, except that integers widen to
 * float when a later value of the same batch has a fraction (JSON writes 40.0 as 40).
 */
function widenInferred(type: AttributeType | null, docs: (Record<string, unknown> | null)[], name: string, from: number): AttributeType | null {
  if (type !== "int" && type !== "[]int") return type;
  const fractional = (v: unknown) => typeof v === "number" && Number.isFinite(v) && !Number.isInteger(v);
  for (let j = from + 1; j < docs.length; j++) {
    const v = docs[j]?.[name];
    if (type === "int" ? fractional(v) : Array.isArray(v) && v.some(fractional)) return type === "int" ? "float" : "[]float";
  }
  return type;
}

/** A patch batch: ids and the attributes to change (null removes an attribute). */
export interface PatchBatch {
  ids: DocId[];
  idType: IdType;
  attributes: Record<string, unknown>[];
  origin?: BatchOrigin;
}

/** Parses the v1 patch `documents` array: [{id, attributes}]. Vectors cannot be patched. */
export function parseV1Patches(raw: unknown): PatchBatch {
  if (!Array.isArray(raw) || raw.length === 0) throw new InvalidArgumentError("documents: expected a non-empty array");
  if (raw.length > MAX_BATCH_DOCUMENTS) {
    throw new InvalidArgumentError(`documents: at most ${MAX_BATCH_DOCUMENTS} documents per request (got ${raw.length})`);
  }
  const rawIds: unknown[] = [];
  const attributes = raw.map((doc, i) => {
    if (!isObject(doc)) throw new InvalidArgumentError(`documents[${i}]: expected an object {id, attributes}`);
    for (const k of Object.keys(doc)) {
      if (k === "vector") throw new InvalidArgumentError(`documents[${i}].vector: vectors cannot be patched; upsert the whole document`);
      if (k !== "id" && k !== "attributes") throw new InvalidArgumentError(`documents[${i}]: unknown field '${k}' (a patch has id, attributes)`);
    }
    if (!("id" in doc)) throw new InvalidArgumentError(`documents[${i}]: missing id`);
    rawIds.push(doc.id);
    const a = doc.attributes;
    if (!isObject(a)) throw new InvalidArgumentError(`documents[${i}].attributes: expected an object of attributes to change`);
    return a;
  });
  const { ids, idType } = parseIds(rawIds, "documents[].id");
  return { ids, idType, attributes };
}

/** The rows of a batch at `indices`, in that order. */
export function selectRows(batch: UpsertBatch, indices: number[]): UpsertBatch {
  const dims = batch.dims;
  let vectors: Float32Array | null = null;
  if (batch.vectors && dims > 0) {
    vectors = new Float32Array(indices.length * dims);
    indices.forEach((src, dst) => vectors!.set(batch.vectors!.subarray(src * dims, (src + 1) * dims), dst * dims));
  }
  return {
    ids: indices.map((i) => batch.ids[i]),
    idType: batch.idType,
    dims,
    vectors,
    attributes: indices.map((i) => batch.attributes[i]),
    metric: batch.metric,
  };
}
