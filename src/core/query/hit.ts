/**
 * A query hit as it moves through the engine: found in the tail or a segment, merged, then
 * materialized (attributes and vector filled in) for the response.
 */
import type { Attributes, DocId } from "../types.ts";

export interface Hit {
  id: DocId;
  seq: number;
  /** Smaller is better (distances; negated scores where higher is better). */
  score: number;
  vector?: Float32Array | null;
  attributes?: Attributes;
}

/** What the Durable Object answers for the unflushed tail of a query. */
export interface TailAnswer {
  hits: Hit[];
  /** Versions in segments that tail writes supersede or delete: readers must skip them. */
  deadSeqs: number[];
  /** Tail rows the query scanned exhaustively. */
  scanned: number;
}

export function projectAttributes(attrs: Attributes, include: string[] | null): Attributes {
  if (include === null) return { ...attrs };
  const out: Attributes = {};
  for (const name of include) if (name in attrs) out[name] = attrs[name];
  return out;
}
