/**
 * Collection statistics for one query (phase 1 of a full-text query): per field the live documents having
 * the field, their total length and each query term's document frequency. Sources (segments, the WAL tail)
 * each report theirs with dead documents already excluded; they are summed, then turned into scoring clauses.
 * Plain JSON-able objects, so they cross Durable Object RPC unchanged.
 */

import { makeClause, type ScoringClause } from "./bm25.ts";
import type { FullTextQuery } from "./full-text-query.ts";

export interface FieldStats {
  /** Live documents with at least one token in the field. */
  docCount: number;
  /** Sum of the field lengths (tokens) of those documents. */
  totalLength: number;
  /** Live documents containing each query term, keyed by term. */
  df: Record<string, number>;
}

/** Keyed by field name. */
export type FullTextStats = Record<string, FieldStats>;

export function emptyStats(query: FullTextQuery): FullTextStats {
  const out: FullTextStats = {};
  for (const f of query.fields) {
    const df: Record<string, number> = {};
    for (const t of f.terms) df[t.term] = 0;
    out[f.field] = { docCount: 0, totalLength: 0, df };
  }
  return out;
}

/** Sums statistics from several sources. */
export function mergeStats(parts: readonly FullTextStats[]): FullTextStats {
  const out: FullTextStats = {};
  for (const part of parts) {
    for (const [field, s] of Object.entries(part)) {
      const o = (out[field] ??= { docCount: 0, totalLength: 0, df: {} });
      o.docCount += s.docCount;
      o.totalLength += s.totalLength;
      for (const [term, n] of Object.entries(s.df)) o.df[term] = (o.df[term] ?? 0) + n;
    }
  }
  return out;
}

/** The query's clauses (field order, then term order) with idf and avgdl from the global statistics. */
export function resolveClauses(query: FullTextQuery, stats: FullTextStats): ScoringClause[] {
  const clauses: ScoringClause[] = [];
  query.fields.forEach((f, fieldIndex) => {
    const s = stats[f.field] ?? { docCount: 0, totalLength: 0, df: {} };
    for (const t of f.terms) {
      clauses.push(
        makeClause(fieldIndex, f.field, t.term, f.weight, t.weight, f.config.k1, f.config.b, s.docCount, s.totalLength, s.df[t.term] ?? 0),
      );
    }
  });
  return clauses;
}
