/**
 * Attribute values: checking a JSON value against a declared type (normalizing datetimes to epoch ms
 * and UUIDs to lowercase) and inferring a type for an attribute seen for the first time.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { AttributeType, AttributeValue, ScalarType, ScalarValue } from "../types.ts";
import { isUuid } from "../codec/id-key.ts";

export const SCALAR_TYPES: readonly ScalarType[] = ["string", "int", "uint", "float", "bool", "datetime", "uuid"];
const MAX_STRING_BYTES = 1 << 20;
const MAX_ARRAY_LENGTH = 4096;
const RFC3339 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

export function isAttributeType(t: unknown): t is AttributeType {
  if (typeof t !== "string") return false;
  const scalar = t.startsWith("[]") ? t.slice(2) : t;
  return (SCALAR_TYPES as readonly string[]).includes(scalar);
}

export function elementType(t: AttributeType): ScalarType {
  return (t.startsWith("[]") ? t.slice(2) : t) as ScalarType;
}

export function isArrayType(t: AttributeType): boolean {
  return t.startsWith("[]");
}

function fail(where: string, expected: string, raw: unknown): never {
  const shown = JSON.stringify(raw);
  throw new InvalidArgumentError(
    `${where}: expected ${expected}, got ${shown === undefined ? typeof raw : shown.slice(0, 80)}`,
  );
}

function scalar(type: ScalarType, raw: unknown, where: string): ScalarValue {
  switch (type) {
    case "string":
      if (typeof raw !== "string") fail(where, "a string", raw);
      if (raw.length > MAX_STRING_BYTES) {
        throw new InvalidArgumentError(`${where}: strings are limited to ${MAX_STRING_BYTES} characters`);
      }
      return raw;
    case "int":
      if (typeof raw !== "number" || !Number.isSafeInteger(raw)) fail(where, "an integer within ±(2^53−1)", raw);
      return raw;
    case "uint":
      if (typeof raw !== "number" || !Number.isSafeInteger(raw) || raw < 0) {
        fail(where, "an unsigned integer up to 2^53−1", raw);
      }
      return raw;
    case "float":
      if (typeof raw !== "number" || !Number.isFinite(raw)) fail(where, "a finite number", raw);
      return raw;
    case "bool":
      if (typeof raw !== "boolean") fail(where, "true or false", raw);
      return raw;
    case "datetime":
      return parseDatetime(raw, where);
    case "uuid":
      if (typeof raw !== "string" || !isUuid(raw)) fail(where, "a UUID string", raw);
      return raw.toLowerCase();
  }
}

/** Accepts RFC 3339 / ISO 8601 strings and integer epoch milliseconds; returns epoch ms. */
export function parseDatetime(raw: unknown, where: string): number {
  if (typeof raw === "number") {
    if (!Number.isSafeInteger(raw)) fail(where, "a datetime (RFC 3339 string or integer epoch ms)", raw);
    return raw;
  }
  if (typeof raw === "string" && RFC3339.test(raw)) {
    const ms = Date.parse(raw.replace(" ", "T"));
    if (Number.isFinite(ms)) return ms;
  }
  fail(where, "a datetime (RFC 3339 string or integer epoch ms)", raw);
}

/** Checks `raw` against `type` and returns the normalized value; null stays null (absent). */
export function normalizeValue(type: AttributeType, raw: unknown, where: string): AttributeValue {
  if (raw === null || raw === undefined) return null;
  if (!isArrayType(type)) return scalar(type as ScalarType, raw, where);
  if (!Array.isArray(raw)) fail(where, `an array (${type})`, raw);
  if (raw.length > MAX_ARRAY_LENGTH) {
    throw new InvalidArgumentError(`${where}: arrays are limited to ${MAX_ARRAY_LENGTH} elements`);
  }
  const el = elementType(type);
  return raw.map((v, i) => scalar(el, v, `${where}[${i}]`));
}

/**
 * The type a first-seen value implies: integers → int, other numbers → float, strings → string
 * (UUID-shaped strings included: declare `uuid` explicitly), arrays by their first element,
 * and an empty array → []string. Null implies nothing.
 */
export function inferType(raw: unknown, where: string): AttributeType | null {
  if (raw === null || raw === undefined) return null;
  if (Array.isArray(raw)) {
    if (raw.length === 0) return "[]string";
    const first = inferType(raw[0], `${where}[0]`);
    if (first === null || isArrayType(first)) fail(where, "an array of scalars", raw);
    // An array mixing integers and fractions is a float array.
    if (first === "int" && raw.some((v) => typeof v === "number" && !Number.isInteger(v))) return "[]float";
    return `[]${first}` as AttributeType;
  }
  switch (typeof raw) {
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "number":
      if (!Number.isFinite(raw)) fail(where, "a finite number", raw);
      return Number.isSafeInteger(raw) ? "int" : "float";
    default:
      fail(where, "a string, number, boolean or array", raw);
  }
}

/** Renders a stored value for a response (datetimes back to RFC 3339). */
export function renderValue(type: AttributeType, value: AttributeValue): unknown {
  if (value === null) return null;
  if (elementType(type) !== "datetime") return value;
  if (Array.isArray(value)) return value.map((v) => new Date(v as number).toISOString());
  return new Date(value as number).toISOString();
}
