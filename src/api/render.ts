/**
 * Shapes engine hits into v1 response documents: ids as given, datetimes back to RFC 3339, vectors
 * as number arrays.
 */
import type { Hit } from "../core/query/hit.ts";
import { renderValue } from "../core/schema/attribute-value.ts";
import type { Schema } from "../core/schema/schema.ts";
import type { Attributes } from "../core/types.ts";

export function renderAttributes(schema: Schema, attrs: Attributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attrs)) {
    const type = schema.attributes[name]?.type;
    out[name] = type ? renderValue(type, value) : value;
  }
  return out;
}

export function renderDocument(schema: Schema, hit: Hit, withScore: boolean): Record<string, unknown> {
  const doc: Record<string, unknown> = { id: hit.id };
  if (withScore) doc.score = hit.score;
  if (hit.attributes) doc.attributes = renderAttributes(schema, hit.attributes);
  if (hit.vector) doc.vector = Array.from(hit.vector);
  return doc;
}
