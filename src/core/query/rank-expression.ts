/**
 * Full-text rank expressions (turbopuffer's rank_by: BM25 leaves combined with Sum, Max and
 * Product) normalized to a max over weighted sums, which the engine runs as one full-text query
 * per sum and combines by maximum: exact, because a document in the top k by max is in the top k
 * of the sum that gives its maximum.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { FullTextQuery } from "../index/fulltext/full-text-query.ts";
import { planFullTextClauses } from "../index/fulltext/full-text-query.ts";
import { type Schema, fullTextFields } from "../schema/schema.ts";

export type RankExpression =
  | { kind: "bm25"; field: string; query: string }
  | { kind: "sum"; items: RankExpression[] }
  | { kind: "max"; items: RankExpression[] }
  | { kind: "product"; weight: number; item: RankExpression };

interface Clause {
  field: string;
  text: string;
  weight: number;
}

/** Most alternatives a normalized expression may have (Sum over Max multiplies them). */
export const MAX_ALTERNATIVES = 16;

function normalize(e: RankExpression, depth: number): Clause[][] {
  if (depth > 8) throw new InvalidArgumentError("rank_by: expression nests deeper than 8");
  switch (e.kind) {
    case "bm25":
      return [[{ field: e.field, text: e.query, weight: 1 }]];
    case "product": {
      if (!Number.isFinite(e.weight) || e.weight < 0) throw new InvalidArgumentError("rank_by: Product weights must be finite numbers ≥ 0");
      return normalize(e.item, depth + 1).map((sum) => sum.map((c) => ({ ...c, weight: c.weight * e.weight })));
    }
    case "max": {
      if (e.items.length === 0) throw new InvalidArgumentError("rank_by: Max needs at least one expression");
      return e.items.flatMap((i) => normalize(i, depth + 1));
    }
    case "sum": {
      if (e.items.length === 0) throw new InvalidArgumentError("rank_by: Sum needs at least one expression");
      // Sum distributes over Max: Σ max(...) = max over every combination of one term per item.
      let out: Clause[][] = [[]];
      for (const item of e.items) {
        const alts = normalize(item, depth + 1);
        out = out.flatMap((prefix) => alts.map((alt) => [...prefix, ...alt]));
        if (out.length > MAX_ALTERNATIVES) throw new InvalidArgumentError(`rank_by: expression expands to more than ${MAX_ALTERNATIVES} alternatives`);
      }
      return out;
    }
  }
}

/** The full-text queries whose maximum is the expression's score (one entry for a plain sum). */
export function planRankExpression(e: RankExpression, schema: Schema): FullTextQuery[] {
  const configs = fullTextFields(schema);
  return normalize(e, 0).map((sum) => planFullTextClauses(sum, configs));
}
