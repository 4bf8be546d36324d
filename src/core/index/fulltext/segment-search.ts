/**
 * The two phases of a full-text query over one segment's index:
 *   1. collectSegmentStats: the segment's live field statistics and query-term dfs. Without dead documents
 *      this reads only dictionary blocks. With dead documents it subtracts them exactly: their lengths (from
 *      fieldnorms) and, per term, how many of them the term's postings hold (cursor.advance over the sorted
 *      dead ordinals). Those reads are the ones phase 2 needs anyway, and results are cached per dead set.
 *   2. searchSegment: scores the segment with the merged global statistics into a shared top-k collector,
 *      skipping dead and filtered-out documents inside the search.
 * It owns the glue between reader, statistics and scorer, not the scoring loop (block-max-scorer.ts).
 */

import { resolveClauses, emptyStats, type FullTextStats } from "./full-text-stats.ts";
import type { FullTextQuery } from "./full-text-query.ts";
import { runBlockMaxScorer, type ScorerClause } from "./block-max-scorer.ts";
import type { FullTextIndexReader } from "./index-reader.ts";
import type { FieldDirectory } from "./index-directory.ts";
import { NO_MORE_DOCS, type PostingList } from "./postings-format.ts";
import type { TopKCollector } from "./top-k-collector.ts";

/** Phase 1 for one segment. `dead` holds dead seqs (seqs of other segments are ignored). */
export async function collectSegmentStats(
  reader: FullTextIndexReader, query: FullTextQuery, dead?: ReadonlySet<number>,
): Promise<FullTextStats> {
  const out = emptyStats(query);
  const deadOrds = dead !== undefined && dead.size > 0 ? await reader.deadOrdinals(dead) : undefined;
  const hasDead = deadOrds !== undefined && deadOrds.length > 0;
  await Promise.all(
    query.fields.map(async (fq) => {
      const fd = reader.field(fq.field);
      if (fd === undefined) return;
      const s = out[fq.field];
      s.docCount = fd.docsWithField;
      s.totalLength = fd.totalLength;
      const terms = fq.terms.map((t) => t.term);
      const infos = await reader.lookupTerms(fd, terms);
      infos.forEach((info, i) => {
        if (info !== undefined) s.df[terms[i]] = info.df;
      });
      if (!hasDead) return;
      const cache = deadCache(reader, dead!);
      const [deadDocs, deadLength] = await deadFieldTotals(reader, fd, deadOrds!, cache);
      s.docCount -= deadDocs;
      s.totalLength -= deadLength;
      await Promise.all(
        infos.map(async (info, i) => {
          if (info === undefined) return;
          const key = `${fd.name}\u0000${terms[i]}`;
          let n = cache.get(key);
          if (n === undefined) {
            n = countDeadPostings(await reader.postings(fd, terms[i], info), deadOrds!);
            cache.set(key, n);
          }
          s.df[terms[i]] -= n;
        }),
      );
    }),
  );
  return out;
}

function deadCache(reader: FullTextIndexReader, dead: ReadonlySet<number>): Map<string, number> {
  let m = reader.deadDfCache.get(dead);
  if (m === undefined) {
    m = new Map();
    reader.deadDfCache.set(dead, m);
  }
  return m;
}

async function deadFieldTotals(
  reader: FullTextIndexReader, fd: FieldDirectory, deadOrds: Int32Array, cache: Map<string, number>,
): Promise<[number, number]> {
  const docsKey = `${fd.name}\u0000\u0000docs`;
  const lenKey = `${fd.name}\u0000\u0000length`;
  const docs = cache.get(docsKey);
  const len = cache.get(lenKey);
  if (docs !== undefined && len !== undefined) return [docs, len];
  const norms = await reader.fieldnorms(fd);
  let d = 0;
  let l = 0;
  for (const ord of deadOrds) {
    const dl = norms[ord];
    if (dl > 0) {
      d++;
      l += dl;
    }
  }
  cache.set(docsKey, d);
  cache.set(lenKey, l);
  return [d, l];
}

/** How many of the sorted dead ordinals the postings hold (skips whole blocks between dead docs). */
export function countDeadPostings(list: PostingList, deadOrds: Int32Array): number {
  const c = list.cursor();
  let n = 0;
  for (const ord of deadOrds) {
    const doc = c.advance(ord);
    if (doc === NO_MORE_DOCS) break;
    if (doc === ord) n++;
  }
  return n;
}

export interface SegmentSearchOptions {
  /** Dead seqs; the same Set object across queries lets the reader reuse its dead-ordinal caches. */
  dead?: ReadonlySet<number>;
  /** Filter over the segment's ordinals (= row numbers of the segment, in seq order). */
  accept?: (ord: number) => boolean;
  /** Tag copied into results (e.g. the segment's position in the manifest). */
  source?: number;
  /** Score every match without pruning (reference path for tests and verification). */
  exhaustive?: boolean;
}

export interface SegmentSearchCounts {
  /** Documents fully scored through the index (the API's `index_candidates`). */
  scored: number;
}

const deadBitsets = new WeakMap<FullTextIndexReader, WeakMap<ReadonlySet<number>, Promise<Uint8Array | undefined>>>();

function deadBitset(reader: FullTextIndexReader, dead: ReadonlySet<number> | undefined): Promise<Uint8Array | undefined> {
  if (dead === undefined || dead.size === 0) return Promise.resolve(undefined);
  let perReader = deadBitsets.get(reader);
  if (perReader === undefined) {
    perReader = new WeakMap();
    deadBitsets.set(reader, perReader);
  }
  let p = perReader.get(dead);
  if (p === undefined) {
    p = reader.deadOrdinals(dead).then((ords) => {
      if (ords.length === 0) return undefined;
      const bits = new Uint8Array((reader.docCount + 7) >>> 3);
      for (const o of ords) bits[o >>> 3] |= 1 << (o & 7);
      return bits;
    });
    perReader.set(dead, p);
  }
  return p;
}

/** Phase 2 for one segment: scores with global `stats` into `collector` (shared across sources). */
export async function searchSegment(
  reader: FullTextIndexReader, query: FullTextQuery, stats: FullTextStats, collector: TopKCollector,
  options: SegmentSearchOptions = {},
): Promise<SegmentSearchCounts> {
  const clauses = resolveClauses(query, stats);
  const [seqTable, dead, loaded] = await Promise.all([
    reader.seqTable(),
    deadBitset(reader, options.dead),
    Promise.all(
      query.fields.map(async (fq, fieldIndex) => {
        const fd = reader.field(fq.field);
        if (fd === undefined) return [];
        const terms = fq.terms.map((t) => t.term);
        const infos = await reader.lookupTerms(fd, terms);
        if (infos.every((i) => i === undefined)) return [];
        const [norms, lists] = await Promise.all([
          reader.fieldnorms(fd),
          Promise.all(infos.map((info, i) => (info === undefined ? undefined : reader.postings(fd, terms[i], info)))),
        ]);
        const out: Array<{ key: string; list: PostingList; norms: ArrayLike<number> }> = [];
        lists.forEach((list, i) => {
          if (list !== undefined) out.push({ key: `${fieldIndex}\u0000${terms[i]}`, list, norms });
        });
        return out;
      }),
    ),
  ]);
  const byKey = new Map(loaded.flat().map((x) => [x.key, x]));
  // Keep canonical clause order (fields, then terms), dropping terms the segment does not hold.
  const scorerClauses: ScorerClause[] = [];
  for (const clause of clauses) {
    const hit = byKey.get(`${clause.fieldIndex}\u0000${clause.term}`);
    if (hit !== undefined && clause.weight > 0) scorerClauses.push({ clause, list: hit.list, norms: hit.norms });
  }
  const scored = runBlockMaxScorer(scorerClauses, collector, {
    dead,
    accept: options.accept,
    seqAt: (ord) => seqTable.seqAt(ord),
    source: options.source ?? 0,
    exhaustive: options.exhaustive,
  });
  return { scored };
}
