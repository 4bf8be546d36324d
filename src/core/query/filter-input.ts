/**
 * A filter as a request carries it, before the schema is at hand: its syntax (the Elacsym v1 JSON
 * objects or turbopuffer's arrays) and the raw value. Parsed where the schema lives (the namespace's
 * Durable Object for writes and strong queries) into the one filter tree both syntaxes share.
 */
import type { Schema } from "../schema/schema.ts";
import { parseTurbopufferFilter } from "../turbopuffer/filter.ts";
import { type Filter, parseV1Filter } from "./filter.ts";

export type FilterSyntax = "v1" | "turbopuffer";

export interface FilterInput {
  syntax: FilterSyntax;
  raw: unknown;
}

/** The filter, or null when the input is absent (undefined / null raw value). */
export function parseFilterInput(input: FilterInput | undefined, schema: Schema, where: string, options: { allowRefNew?: boolean } = {}): Filter | null {
  if (!input || input.raw === undefined || input.raw === null) return null;
  return input.syntax === "turbopuffer" ? parseTurbopufferFilter(input.raw, schema, where, options) : parseV1Filter(input.raw, schema, where, options);
}

/** Whether a raw filter mentions $ref_new anywhere (deletes have no new document to refer to). */
export function mentionsRefNew(input: FilterInput | undefined): boolean {
  return input !== undefined && input.raw !== undefined && JSON.stringify(input.raw).includes("$ref_new");
}
