/**
 * A query hit as it moves through the engine: found in the tail or a segment, merged, then
 * materialized (attributes and vector filled in) for the response.
 */
import type { TailMatches } from "../index/fulltext/tail-index.ts";
import type { AttributeValue, Attributes, DocId } from "../types.ts";
import type { GroupCounts } from "./order.ts";

export interface Hit {
  id: DocId;
  seq: number;
  /** Smaller is better (distances; negated scores where higher is better). */
  score: number;
  vector?: Float32Array | null;
  attributes?: Attributes;
  /** The order_by value (kept apart from attributes, which the response may leave out). */
  order?: AttributeValue | DocId;
}

/** What the Durable Object answers for the unflushed tail of a query. */
export interface TailAnswer {
  /** The vector (or by-id) arm's best tail rows; materialized unless the query is hybrid. */
  hits: Hit[];
  /** The full-text arm, one per alternative of the query: statistics and matches, scored by the Worker. */
  fullText: TailMatches[] | null;
  /** Counts of matching tail rows per group (aggregate queries). */
  aggregate: GroupCounts | null;
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
