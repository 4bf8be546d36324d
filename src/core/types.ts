/**
 * The engine's vocabulary: document ids, attribute values, documents and metrics.
 * Parsing these from JSON lives in `schema/`; the byte forms live in `wal/` and `segment/`.
 */

/** An external document id: an unsigned integer (≤ 2^53−1), a UUID (canonical lowercase) or a string. */
export type DocId = number | string;

export type IdType = "u64" | "uuid" | "string";

export type Metric = "cosine" | "euclidean_squared" | "dot_product";

export type ScalarType = "string" | "int" | "uint" | "float" | "bool" | "datetime" | "uuid";
export type ArrayType = `[]${ScalarType}`;
export type AttributeType = ScalarType | ArrayType;

/**
 * An attribute value after validation. Datetimes are epoch milliseconds, UUIDs canonical lowercase
 * strings; `null` means absent.
 */
export type ScalarValue = string | number | boolean;
export type AttributeValue = ScalarValue | ScalarValue[] | null;

export type Attributes = Record<string, AttributeValue>;

/** One document version as the engine handles it. `seq` is the version's unique, stable row key. */
export interface StoredDocument {
  id: DocId;
  seq: number;
  vector: Float32Array | null;
  attributes: Attributes;
}
