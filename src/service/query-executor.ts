/**
 * The Worker half of a query, given the snapshot (plan, manifest, tail answer): runs the vector /
 * by-id arm and the full-text arm over the segments, fuses them for hybrid queries, and fills in
 * the winners' documents. Each request brings its own I/O counters; caches are the isolate's.
 */
import type { FullTextIndexReader } from "../core/index/fulltext/index-reader.ts";
import { FullTextIndexReader as Reader } from "../core/index/fulltext/index-reader.ts";
import { searchFullText } from "../core/query/fulltext-search.ts";
import { reciprocalRankFusion } from "../core/query/fusion.ts";
import type { Hit, TailAnswer } from "../core/query/hit.ts";
import type { QueryPlan } from "../core/query/plan.ts";
import { bitsetHas, filterBitset } from "../core/query/segment-filter.ts";
import { type SegmentHit, materializeSegmentHits, mergeHits, searchSegments } from "../core/query/segment-search.ts";
import type { DeadSet } from "../core/segment/dead-set.ts";
import type { Manifest, SegmentInfo } from "../core/segment/manifest.ts";
import type { IoStats } from "../storage/io-stats.ts";
import type { ObjectCache } from "../storage/object-cache.ts";
import { EntryLru, onClearIsolateCaches, parsedCache } from "./isolate-cache.ts";
import type { CachedSegmentSource } from "./segment-source.ts";

/** Full-text readers kept by the isolate; each bounds its decoded postings. */
const ftsReaders = new EntryLru<Promise<FullTextIndexReader>>(64);
onClearIsolateCaches(() => ftsReaders.clear());
const READER_POSTINGS_CACHE_BYTES = 4 << 20;
/** The stats of the request currently using the shared readers (attribution is per isolate, best effort). */
let currentStats: IoStats | null = null;

export interface QueryContext {
  plan: QueryPlan;
  manifest: Manifest;
  manifestId: string;
  tail: TailAnswer;
  dead: DeadSet;
  segments: CachedSegmentSource;
  cache: ObjectCache;
  stats: IoStats;
  /** Documents of tail versions picked after scoring (full-text and hybrid queries). */
  materializeTail: (seqs: number[]) => Promise<Hit[]>;
}

export interface QueryCounts {
  segmentsScanned: number;
  rowsScanned: number;
  indexCandidates: number;
}

type Located = { seq: number; score: number; where: "tail" } | { seq: number; score: number; where: "segment"; segment: SegmentInfo; ordinal: number };

function openReader(cache: ObjectCache, info: SegmentInfo): Promise<FullTextIndexReader> {
  const key = info.fts!.key;
  let reader = ftsReaders.get(key);
  if (!reader) {
    const range = cache.rangeReader(key, info.fts!.bytes, () => currentStats!);
    reader = Reader.open(range, { postingsCacheBytes: READER_POSTINGS_CACHE_BYTES });
    reader.catch(() => ftsReaders.delete(key));
    ftsReaders.set(key, reader);
  }
  return reader;
}

async function fullTextArm(ctx: QueryContext, k: number, counts: QueryCounts): Promise<Located[]> {
  const { plan, manifest } = ctx;
  currentStats = ctx.stats;
  const deadSets = new Map<string, ReadonlySet<number>>();
  const result = await searchFullText(plan.fullText!, k, manifest, ctx.tail.fullText, {
    reader: (info) => openReader(ctx.cache, info),
    dead(info) {
      let set = deadSets.get(info.key);
      if (!set) {
        // Cached per manifest so readers can reuse their dead-document work across queries.
        const cacheKey = `deadrange:${ctx.manifestId}:${info.key}`;
        const base = parsedCache().get(cacheKey) as Set<number> | undefined;
        const extra = ctx.tail.deadSeqs.filter((s) => s >= info.seq_min && s <= info.seq_max);
        if (base && extra.length === 0) set = base;
        else {
          set = ctx.dead.inRange(info.seq_min, info.seq_max);
          if (extra.length === 0) parsedCache().set(cacheKey, set, set.size * 16 + 64);
        }
        deadSets.set(info.key, set);
      }
      return set;
    },
    async accept(info) {
      if (!plan.filter) return undefined;
      const reader = await ctx.segments.open(info, manifest.schema);
      const bits = await filterBitset(reader, plan.filter);
      return (ord) => bitsetHas(bits, ord);
    },
  });
  counts.indexCandidates += result.scored;
  return result.docs.map((d) =>
    d.source < 0
      ? { seq: d.seq, score: d.score, where: "tail" as const }
      : { seq: d.seq, score: d.score, where: "segment" as const, segment: manifest.segments[d.source], ordinal: d.ord },
  );
}

async function vectorArm(ctx: QueryContext, counts: QueryCounts): Promise<{ segmentHits: SegmentHit[]; merged: Hit[] }> {
  const seg = await searchSegments(ctx.plan, ctx.manifest, ctx.dead, ctx.segments);
  counts.segmentsScanned += seg.stats.segments;
  counts.rowsScanned += seg.stats.rowsScanned;
  return { segmentHits: seg.hits, merged: mergeHits(ctx.plan.armDepth, ctx.tail.hits, seg.hits) };
}

/** Fills in the documents of ranked hits, from segments (range reads) and the tail (one RPC). */
async function materialize(ctx: QueryContext, ranked: Located[]): Promise<Hit[]> {
  const segmentHits: SegmentHit[] = [];
  const tailSeqs: number[] = [];
  const bySeq = new Map<number, Hit>();
  for (const r of ranked) {
    if (r.where === "tail") tailSeqs.push(r.seq);
    else {
      const h: SegmentHit = { id: 0, seq: r.seq, score: r.score, segment: r.segment, ordinal: r.ordinal };
      segmentHits.push(h);
      bySeq.set(r.seq, h);
    }
  }
  await Promise.all([
    materializeSegmentHits(ctx.plan, ctx.manifest.schema, segmentHits, ctx.segments),
    tailSeqs.length > 0
      ? ctx.materializeTail(tailSeqs).then((hits) => hits.forEach((h) => bySeq.set(h.seq, h)))
      : Promise.resolve(),
  ]);
  return ranked.flatMap((r) => {
    const h = bySeq.get(r.seq);
    return h ? [{ ...h, score: r.score }] : [];
  });
}

export async function executeQuery(ctx: QueryContext): Promise<{ hits: Hit[]; counts: QueryCounts }> {
  const { plan } = ctx;
  const counts: QueryCounts = { segmentsScanned: 0, rowsScanned: ctx.tail.scanned, indexCandidates: 0 };

  if (!plan.fullText) {
    // Vector or by-id: the tail's hits come materialized; segment hits are filled in here.
    const { merged } = await vectorArm(ctx, counts);
    await materializeSegmentHits(plan, ctx.manifest.schema, merged.filter((h): h is SegmentHit => "segment" in h), ctx.segments);
    return { hits: merged, counts };
  }

  if (!plan.hybrid) {
    const ranked = await fullTextArm(ctx, plan.topK, counts);
    return { hits: await materialize(ctx, ranked), counts };
  }

  const [vector, text] = await Promise.all([vectorArm(ctx, counts), fullTextArm(ctx, plan.armDepth, counts)]);
  const where = new Map<number, Located>();
  for (const h of vector.merged) {
    const s = h as Partial<SegmentHit>;
    where.set(h.seq, s.segment ? { seq: h.seq, score: h.score, where: "segment", segment: s.segment, ordinal: s.ordinal! } : { seq: h.seq, score: h.score, where: "tail" });
  }
  for (const t of text) if (!where.has(t.seq)) where.set(t.seq, t);
  const fused = reciprocalRankFusion(
    [
      { ids: vector.merged.map((h) => h.seq), weight: plan.hybrid.vectorWeight },
      { ids: text.map((t) => t.seq), weight: plan.hybrid.fullTextWeight },
    ],
    { k: plan.hybrid.k, topK: plan.topK },
  );
  return { hits: await materialize(ctx, fused.map((f) => ({ ...where.get(f.id)!, score: f.score }))), counts };
}
