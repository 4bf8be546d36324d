/**
 * Request and response pieces both APIs share: namespace names, ids, vectors, attribute maps,
 * `include_attributes`, integer ranges, and the two error bodies. Component ids (`.meta({id})`) name
 * them in the OpenAPI document. Not here: whole request bodies (v1.ts, turbopuffer.ts, admin.ts).
 */
import * as z from "zod";
import { MAX_STRING_ID_BYTES } from "../../core/codec/id-key.ts";
import { V1_FILTER_OPS } from "../../core/query/filter.ts";
import { NAMESPACE_NAME } from "../../core/schema/names.ts";
import { MAX_BATCH_DOCUMENTS } from "../../core/wal/write-batch.ts";
import { fastChecked } from "./fast-checked.ts";

/** An integer from `min` to `max`, one message for every way of missing it. */
export function intRange(min: number, max: number) {
  const error = `expected an integer from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/**
 * Analyzer and BM25 options both APIs accept in an attribute's full-text settings (the language
 * list differs: each API adds its own `language`).
 */
export const fullTextOptionFields = {
  stemming: z.boolean().optional(),
  remove_stopwords: z.boolean().optional(),
  case_sensitive: z.boolean().optional(),
  ascii_folding: z.boolean().optional(),
  max_token_length: intRange(1, 254).optional(),
  k1: z.number().min(0).optional(),
  b: z.number().min(0).max(1).optional(),
};

/** The same for a query parameter (a string holding the integer). */
export function intParam(min: number, max: number) {
  const error = `expected an integer from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

export const NamespaceName = z
  .string()
  .regex(NAMESPACE_NAME)
  .meta({ description: "Namespace name: 1–128 characters from A–Z a–z 0–9 - _ . (not '.' or '..').", example: "products" });

function kindOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** Checked by kind here; range, length and one kind per request by the core's parseIds. */
export const DocId = fastChecked<number | string>(
  (v) => typeof v === "number" || typeof v === "string",
  {
    anyOf: [
      { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      { type: "string", format: "uuid" },
      { type: "string", minLength: 1, description: `at most ${MAX_STRING_ID_BYTES} bytes of UTF-8` },
    ],
    examples: [1, "0190b8a4-6f1e-7c2a-9d4b-1e2f3a4b5c6d", "sku-123"],
  },
  (v) => (v === undefined ? "missing id" : `ids must be unsigned integers, UUIDs or strings (got ${kindOf(v)})`),
  { id: "DocId", description: "A document id: an unsigned integer below 2^53, a UUID, or a string. All ids of a namespace are of one kind." },
);

export const DocIds = z
  .array(DocId)
  .min(1, { error: "expected a non-empty array of ids" })
  .max(MAX_BATCH_DOCUMENTS, { error: (iss) => `at most ${MAX_BATCH_DOCUMENTS} ids per request (got ${(iss.input as unknown[]).length})` });

/** Checked by kind here; every element while packing (finite numbers, the namespace's dimensions). */
export const Vector = fastChecked<unknown[]>(
  (v) => Array.isArray(v),
  { type: "array", items: { type: "number" }, minItems: 1, examples: [[0.12, -0.4, 0.91]] },
  () => "expected an array of numbers",
  { id: "Vector", description: "A vector of finite numbers with the namespace's dimensions." },
);

/** turbopuffer accepts a vector as numbers or as base64 of little-endian float32. */
export const TurbopufferVector = fastChecked<unknown[] | string>(
  (v) => Array.isArray(v) || typeof v === "string",
  { anyOf: [{ $ref: "#/components/schemas/Vector" }, { type: "string", contentEncoding: "base64", description: "little-endian float32 values" }] },
  () => "expected an array of numbers or a base64 string of float32 values",
  { id: "TurbopufferVector", description: "A vector as numbers or as base64 of little-endian float32." },
);

export const Attributes = z
  .record(z.string(), z.unknown())
  .meta({
    id: "Attributes",
    description: "Attribute values by name: strings, numbers, booleans, RFC 3339 datetimes, UUIDs, arrays of these, or null (absent). Types are checked against the namespace schema.",
    example: { title: "Red fox", price: 12.5, tags: ["animal", "red"] },
  });

export const IncludeAttributes = z
  .union([z.boolean(), z.array(z.string())], { error: "expected true, false or a list of attribute names" })
  .meta({ description: "true (all), false (none) or a list of attribute names." });

const filterRef = { $ref: "#/components/schemas/Filter" };

/** The v1 filter grammar; operands are typed by the attribute they compare, so the core parses it. */
export const Filter = fastChecked<Record<string, unknown>>(
  (v) => typeof v === "object" && v !== null && !Array.isArray(v),
  {
    oneOf: [
      {
        title: "Condition",
        type: "object",
        properties: {
          field: { type: "string", description: 'An attribute name or "id".' },
          op: { enum: V1_FILTER_OPS },
          value: { description: "A value of the attribute's type; an array for in, nin, contains_any, not_contains_any." },
        },
        required: ["field", "op", "value"],
        additionalProperties: false,
      },
      { title: "And", type: "object", properties: { and: { type: "array", minItems: 1, items: filterRef } }, required: ["and"], additionalProperties: false },
      { title: "Or", type: "object", properties: { or: { type: "array", minItems: 1, items: filterRef } }, required: ["or"], additionalProperties: false },
      { title: "Not", type: "object", properties: { not: filterRef }, required: ["not"], additionalProperties: false },
    ],
    examples: [{ and: [{ field: "price", op: "gte", value: 10 }, { field: "tags", op: "contains_any", value: ["red"] }] }],
  },
  () => 'expected an object such as {"field": "price", "op": "gte", "value": 10} or {"and": [...]}',
  { id: "Filter", description: "An attribute filter: a condition, or and / or / not of filters (at most 16 deep, 1024 conditions)." },
);

export const ElacsymError = z
  .object({
    error: z.object({
      code: z.enum(["INVALID_ARGUMENT", "UNAUTHENTICATED", "PERMISSION_DENIED", "NAMESPACE_NOT_FOUND", "NOT_FOUND", "CONFLICT", "PAYLOAD_TOO_LARGE", "BACKPRESSURE", "RATE_LIMITED", "QUOTA_EXCEEDED", "DATA_CORRUPTION", "UNAVAILABLE", "INTERNAL"]),
      message: z.string(),
    }),
  })
  .meta({ id: "ElacsymError", example: { error: { code: "INVALID_ARGUMENT", message: "documents[3].vector: expected 768 dimensions, got 767" } } });

export const TurbopufferError = z
  .object({ status: z.literal("error"), error: z.string() })
  .meta({ id: "TurbopufferError", example: { status: "error", error: "top_k: expected an integer from 1 to 10000" } });
