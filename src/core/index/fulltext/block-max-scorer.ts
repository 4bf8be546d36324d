/**
 * Block-max MaxScore over one segment's posting cursors: returns exactly the top-k that exhaustive scoring
 * would (same documents, same scores), skipping documents that cannot enter it. It does not load postings
 * or gather statistics (segment-search.ts does).
 *
 * How: documents are visited in windows that end where the first current posting block ends. In a window,
 * each clause's bound is its block's max score (from the block's (tf, dl) frontier and the query's global
 * statistics). Clauses sorted by bound; the cheapest ones whose bounds sum below the collector's threshold
 * are "non-essential": a document matching only them cannot compete, so candidates come from the others and
 * non-essential clauses are probed only while the running score plus their remaining bounds can still reach
 * the threshold (Turtle & Flood's MaxScore with Ding & Suel's block maxima, as in Lucene's MaxScoreBulkScorer).
 *
 * Exactness: every bound is ≥ the true contribution, comparisons keep a 1e-9 relative slack against float
 * rounding, ties are admitted (the collector orders them by seq), and a surviving document's final score is
 * re-summed in canonical clause order, the same order the WAL-tail scorer and the exhaustive path use.
 */

import { clauseScore, type ScoringClause } from "./bm25.ts";
import { NO_MORE_DOCS, type PostingList } from "./postings-format.ts";
import type { TopKCollector } from "./top-k-collector.ts";

export interface ScorerClause {
  clause: ScoringClause;
  list: PostingList;
  /** Field lengths by ordinal for the clause's field. */
  norms: ArrayLike<number>;
}

export interface ScorerOptions {
  /** Bitset over ordinals of dead documents (bit set = dead). */
  dead?: Uint8Array;
  /** Filter over ordinals applied inside the search. */
  accept?: (ord: number) => boolean;
  seqAt: (ord: number) => number;
  source: number;
  /** Score every matching document (no pruning): the reference path. */
  exhaustive?: boolean;
}

const SLACK = 1 + 1e-9;

/** Max score of every block of a clause, from the blocks' (tf, dl) frontiers. */
function blockMaxScores(c: ScorerClause): Float64Array {
  const l = c.list;
  const out = new Float64Array(l.numBlocks);
  for (let b = 0; b < l.numBlocks; b++) {
    let m = 0;
    for (let i = l.impactStart[b]; i < l.impactStart[b + 1]; i++) {
      const s = clauseScore(c.clause, l.impactTf[i], l.impactDl[i]);
      if (s > m) m = s;
    }
    out[b] = m;
  }
  return out;
}

/** Runs the query over one segment into `collector`; returns how many documents were fully scored. */
export function runBlockMaxScorer(clauses: readonly ScorerClause[], collector: TopKCollector, opts: ScorerOptions): number {
  const n = clauses.length;
  if (n === 0) return 0;
  const cursors = clauses.map((c) => c.list.cursor());
  const blockMax = clauses.map(blockMaxScores);
  const weight = Float64Array.from(clauses, (c) => c.clause.weight);
  const norm0 = Float64Array.from(clauses, (c) => c.clause.norm0);
  const norm1 = Float64Array.from(clauses, (c) => c.clause.norm1);
  const norms = clauses.map((c) => c.norms);
  const tfAt = new Float64Array(n);
  const winScore = new Float64Array(n);
  const winBlock = new Int32Array(n);
  const order = Array.from({ length: n }, (_, i) => i);
  const { dead, accept, seqAt, source } = opts;
  const exhaustive = opts.exhaustive === true;
  let scored = 0;
  let windowMin = 0;

  for (;;) {
    let windowEnd = NO_MORE_DOCS;
    for (let i = 0; i < n; i++) {
      const c = cursors[i];
      const b = c.doc === NO_MORE_DOCS ? c.list.numBlocks : c.blockFor(windowMin);
      winBlock[i] = b;
      if (b < c.list.numBlocks && c.list.lastDocs[b] < windowEnd) windowEnd = c.list.lastDocs[b];
    }
    if (windowEnd === NO_MORE_DOCS) break;
    for (let i = 0; i < n; i++) winScore[i] = winBlock[i] < cursors[i].list.numBlocks ? blockMax[i][winBlock[i]] : 0;
    let theta = exhaustive ? -Infinity : collector.threshold;
    order.sort((a, b) => winScore[a] - winScore[b]);
    let nonEss = 0;
    let nonEssBound = 0;
    if (theta > -Infinity) {
      while (nonEss < n && (nonEssBound + winScore[order[nonEss]]) * SLACK < theta) nonEssBound += winScore[order[nonEss++]];
    }
    if (nonEss === n) {
      windowMin = windowEnd + 1;
      continue;
    }
    for (let j = nonEss; j < n; j++) cursors[order[j]].advance(windowMin);

    for (;;) {
      let d = NO_MORE_DOCS;
      for (let j = nonEss; j < n; j++) {
        const doc = cursors[order[j]].doc;
        if (doc < d) d = doc;
      }
      if (d > windowEnd) break;
      if ((dead === undefined || (dead[d >>> 3] & (1 << (d & 7))) === 0) && (accept === undefined || accept(d))) {
        let partial = 0;
        for (let j = nonEss; j < n; j++) {
          const k = order[j];
          const c = cursors[k];
          if (c.doc === d) {
            tfAt[k] = c.tf;
            partial += (weight[k] * c.tf) / (c.tf + norm0[k] + norm1[k] * norms[k][d]);
          } else tfAt[k] = 0;
        }
        let remaining = nonEssBound;
        let pruned = false;
        for (let j = nonEss - 1; j >= 0; j--) {
          if ((partial + remaining) * SLACK < theta) {
            pruned = true;
            break;
          }
          const k = order[j];
          remaining -= winScore[k];
          const c = cursors[k];
          if (c.doc < d) c.advance(d);
          if (c.doc === d) {
            tfAt[k] = c.tf;
            partial += (weight[k] * c.tf) / (c.tf + norm0[k] + norm1[k] * norms[k][d]);
          } else tfAt[k] = 0;
        }
        if (!pruned && partial * SLACK >= theta) {
          let score = 0;
          for (let i = 0; i < n; i++) {
            const tf = tfAt[i];
            if (tf > 0) score += clauseScore(clauses[i].clause, tf, norms[i][d]);
          }
          scored++;
          collector.offer(seqAt(d), score, d, source);
          if (!exhaustive) theta = collector.threshold;
        }
      }
      for (let j = nonEss; j < n; j++) {
        const c = cursors[order[j]];
        if (c.doc === d) c.next();
      }
    }
    windowMin = windowEnd + 1;
  }
  return scored;
}
