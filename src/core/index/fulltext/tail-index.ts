/**
 * The in-memory full-text view of the unflushed WAL tail, kept by the namespace Durable Object: documents are
 * analyzed once when written (not at every query) into small per-term maps. A query asks it for its
 * statistics and its matches (seq, per-clause tf, per-field length) — what the Worker needs to score the tail
 * with global statistics, without shipping the tail's text. It does not decide which versions are live: the
 * owner removes a document's previous version (remove(oldSeq)) when it upserts or deletes it, and removes
 * flushed documents once their segment is in the manifest.
 */

import { clauseScore } from "./bm25.ts";
import { createAnalyzer, type Analyzer } from "./analyzer.ts";
import type { FullTextConfig } from "./full-text-config.ts";
import { emptyStats, resolveClauses, type FullTextStats } from "./full-text-stats.ts";
import type { FullTextQuery } from "./full-text-query.ts";
import type { TextValue } from "./index-writer.ts";
import type { TopKCollector } from "./top-k-collector.ts";

/** The tail's answer to phase 1 and the raw material of phase 2; structured-clone/RPC friendly. */
export interface TailMatches {
  stats: FullTextStats;
  /** Matching documents' seqs, ascending. */
  seqs: number[];
  /** Row-major [doc][clause] term frequencies, clauses in resolveClauses order. */
  tfs: Uint32Array;
  /** Row-major [doc][field] field lengths, fields in query order. */
  lengths: Uint32Array;
}

interface FieldIndex {
  name: string;
  analyzer: Analyzer;
  postings: Map<string, Map<number, number>>;
  lengths: Map<number, number>;
  totalLength: number;
}

export class MemoryFullTextIndex {
  private readonly fields: FieldIndex[];
  private readonly docs = new Map<number, Array<Map<string, number>>>();

  constructor(fields: Readonly<Record<string, FullTextConfig>>) {
    this.fields = Object.entries(fields).map(([name, config]) => ({
      name, analyzer: createAnalyzer(config), postings: new Map(), lengths: new Map(), totalLength: 0,
    }));
  }

  get size(): number {
    return this.docs.size;
  }

  has(seq: number): boolean {
    return this.docs.has(seq);
  }

  /** Adds a live document version. */
  add(seq: number, values: Readonly<Record<string, TextValue>>): void {
    if (this.docs.has(seq)) this.remove(seq);
    const perField = this.fields.map((f) => {
      const tokens = f.analyzer.terms(values[f.name]);
      const tf = new Map<string, number>();
      for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
      if (tokens.length > 0) {
        f.lengths.set(seq, tokens.length);
        f.totalLength += tokens.length;
        for (const [t, n] of tf) {
          let p = f.postings.get(t);
          if (p === undefined) f.postings.set(t, (p = new Map()));
          p.set(seq, n);
        }
      }
      return tf;
    });
    this.docs.set(seq, perField);
  }

  /** Removes a document version (superseded, deleted or flushed); unknown seqs are ignored. */
  remove(seq: number): void {
    const perField = this.docs.get(seq);
    if (perField === undefined) return;
    this.docs.delete(seq);
    this.fields.forEach((f, i) => {
      const len = f.lengths.get(seq);
      if (len === undefined) return;
      f.lengths.delete(seq);
      f.totalLength -= len;
      for (const t of perField[i].keys()) {
        const p = f.postings.get(t)!;
        p.delete(seq);
        if (p.size === 0) f.postings.delete(t);
      }
    });
  }

  /**
   * Statistics over every tail document (filters do not change BM25 statistics) and the documents matching
   * at least one query term that pass `accept`.
   */
  collect(query: FullTextQuery, accept?: (seq: number) => boolean): TailMatches {
    const stats = emptyStats(query);
    const clauseKeys: Array<{ field: FieldIndex | undefined; fieldIndex: number; term: string }> = [];
    const queryFields = query.fields.map((fq) => this.fields.find((f) => f.name === fq.field));
    query.fields.forEach((fq, fieldIndex) => {
      const f = queryFields[fieldIndex];
      const s = stats[fq.field];
      if (f !== undefined) {
        s.docCount = f.lengths.size;
        s.totalLength = f.totalLength;
      }
      for (const t of fq.terms) {
        s.df[t.term] = f?.postings.get(t.term)?.size ?? 0;
        clauseKeys.push({ field: f, fieldIndex, term: t.term });
      }
    });
    const matched = new Set<number>();
    for (const k of clauseKeys) {
      const p = k.field?.postings.get(k.term);
      if (p !== undefined) for (const seq of p.keys()) matched.add(seq);
    }
    const seqs = [...matched].filter((s) => accept === undefined || accept(s)).sort((a, b) => a - b);
    const nc = clauseKeys.length;
    const nf = query.fields.length;
    const tfs = new Uint32Array(seqs.length * nc);
    const lengths = new Uint32Array(seqs.length * nf);
    seqs.forEach((seq, d) => {
      clauseKeys.forEach((k, c) => {
        tfs[d * nc + c] = k.field?.postings.get(k.term)?.get(seq) ?? 0;
      });
      queryFields.forEach((f, i) => {
        lengths[d * nf + i] = f?.lengths.get(seq) ?? 0;
      });
    });
    return { stats, seqs, tfs, lengths };
  }
}

/** Phase 2 for the tail: scores its matches with global statistics into the shared collector. */
export function scoreTailMatches(
  matches: TailMatches, query: FullTextQuery, stats: FullTextStats, collector: TopKCollector, source = -1,
): number {
  const clauses = resolveClauses(query, stats);
  const nc = clauses.length;
  const nf = query.fields.length;
  for (let d = 0; d < matches.seqs.length; d++) {
    let score = 0;
    for (let c = 0; c < nc; c++) {
      const tf = matches.tfs[d * nc + c];
      if (tf > 0) score += clauseScore(clauses[c], tf, matches.lengths[d * nf + clauses[c].fieldIndex]);
    }
    collector.offer(matches.seqs[d], score, -1, source);
  }
  return matches.seqs.length;
}
