/**
 * The BM25 formula (BRIEF §2.5) and the scoring clause: one (field, query term) pair with its collection
 * statistics folded into three constants. It does not gather statistics (full-text-stats.ts) or walk postings.
 *
 *   idf      = ln(1 + (N − n + 0.5) / (n + 0.5))
 *   tf part  = tf·(k1 + 1) / (tf + k1·(1 − b + b·dl/avgdl))
 *   score(d) = Σ_fields fieldWeight · Σ_terms queryWeight · idf · tf part
 *
 * N = live documents with at least one token in the field (Lucene's docCount), n = live documents holding
 * the term in the field, avgdl = total live tokens in the field / N. Every place that scores (segments, the
 * WAL tail) calls clauseScore and sums clauses in query order, so a document's score is bit-identical
 * wherever it is stored.
 */

export function bm25Idf(docCount: number, df: number): number {
  return Math.log(1 + (docCount - df + 0.5) / (df + 0.5));
}

export function bm25TfPart(tf: number, dl: number, avgdl: number, k1: number, b: number): number {
  return (tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * dl) / avgdl));
}

export interface ScoringClause {
  /** Index of the clause's field in the query's field list. */
  fieldIndex: number;
  field: string;
  term: string;
  /** fieldWeight · queryTermWeight · idf · (k1 + 1). */
  weight: number;
  /** k1·(1 − b): the length-independent part of the tf denominator. */
  norm0: number;
  /** k1·b / avgdl: the per-token part of the tf denominator. */
  norm1: number;
}

export function makeClause(
  fieldIndex: number, field: string, term: string, fieldWeight: number, queryWeight: number,
  k1: number, b: number, docCount: number, totalLength: number, df: number,
): ScoringClause {
  const avgdl = docCount > 0 ? totalLength / docCount : 1;
  const idf = df > 0 ? bm25Idf(docCount, df) : 0;
  return {
    fieldIndex, field, term,
    weight: fieldWeight * queryWeight * idf * (k1 + 1),
    norm0: k1 * (1 - b),
    norm1: (k1 * b) / avgdl,
  };
}

/** The clause's contribution for a document with term frequency tf (> 0) and field length dl. */
export function clauseScore(c: ScoringClause, tf: number, dl: number): number {
  return (c.weight * tf) / (tf + c.norm0 + c.norm1 * dl);
}
