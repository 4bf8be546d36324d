/**
 * Request values that the document describes in full but the route checks only by kind, because
 * the core checks every element anyway while converting them: vectors (packed into a Float32Array,
 * rejecting non-finite numbers), ids (normalized by parseIds) and the filter and rank_by grammars
 * (parsed against the namespace's schema). A 100 × 768 upsert is 76,800 numbers: zod's per-element
 * check costs ~1.5 ms of a 10 ms write budget, the packing loop that must run anyway ~0.1 ms.
 */
import * as z from "zod";

/** JSON Schema the document shows for a fast-checked value (see `fastChecked`). */
const documented = new WeakMap<object, Record<string, unknown>>();

/**
 * A schema that accepts what `check` accepts (`message` otherwise) and is documented as `jsonSchema`.
 * `message` may depend on the rejected input; `meta` (a component id, a description) is set here
 * because `.meta()` returns a copy that would lose the documented form.
 */
export function fastChecked<T>(check: (v: unknown) => boolean, jsonSchema: Record<string, unknown>, message: (input: unknown) => string, meta?: { id?: string; description?: string }): z.ZodType<T> {
  const base = z.custom<T>(check, { error: (iss) => message(iss.input) });
  const schema = meta ? base.meta(meta) : base;
  documented.set(schema, jsonSchema);
  return schema;
}

/** The documented JSON Schema of a fast-checked schema, for the document generator's override hook. */
export function documentedJsonSchema(schema: object): Record<string, unknown> | undefined {
  return documented.get(schema);
}
