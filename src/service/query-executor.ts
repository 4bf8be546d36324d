/**
 * The Worker half of a query, given the snapshot (plan, manifest, tail answer): runs the vector /
 * by-id arm and the full-text arm over the segments, fuses them for hybrid queries, and fills in
 * the winners' documents. Each request brings its own I/O counters; caches are the isolate's.
 */
import type { FullTextIndexReader } from "../core/index/fulltext/index-reader.ts";
import { FullTextIndexReader as Reader } from "../core/index/fulltext/index-reader.ts";
import { type FullTextSources, searchFullText } from "../core/query/fulltext-search.ts";
import { reciprocalRankFusion } from "../core/query/fusion.ts";
import type { Hit, TailAnswer } from "../core/query/hit.ts";
import type { QueryPlan } from "../core/query/plan.ts";
import { type AggregateResult, finishAggregate, mergeGroupCounts, orderComparator } from "../core/query/order.ts";
import { bitsetHas, filterBitset } from "../core/query/segment-filter.ts";
import { countSegments, searchSegmentsOrdered } from "../core/query/segment-scan.ts";
import { type SegmentHit, materializeSegmentHits, mergeHits, searchSegments } from "../core/query/segment-search.ts";
import type { DeadSet } from "../core/segment/dead-set.ts";
import { type Manifest, type SegmentInfo, currentVectorIndex } from "../core/segment/manifest.ts";
import type { IoStats } from "../storage/io-stats.ts";
import type { ObjectCache } from "../storage/object-cache.ts";
import { EntryLru, onClearIsolateCaches, parsedCache } from "./isolate-cache.ts";
import type { CachedSegmentSource } from "./segment-source.ts";
import { searchVectorIndex } from "./vector-search.ts";

/** Full-text readers kept by the isolate (the reader itself once open, for its memory); each bounds its decoded postings. */
const ftsReaders = new EntryLru<{ opening: Promise<FullTextIndexReader>; open?: FullTextIndexReader }>(64);
onClearIsolateCaches(() => ftsReaders.clear());
const READER_POSTINGS_CACHE_BYTES = 4 << 20;
/**
 * What the kept readers may hold together (a reader also keeps dictionary blocks, field lengths
 * and its seq table). Without it 64 readers of large segments could hold several hundred MiB,
 * past the 128 MB isolate limit; the block cache (48 MiB) and parsed objects (16 MiB) take the
 * rest of a Worker's budget.
 */
export const FULL_TEXT_READERS_BYTES = 32 << 20;

/** Memory of the readers this isolate keeps (tests, metrics). */
export function fullTextReadersBytes(): number {
  let total = 0;
  for (const [, e] of ftsReaders.entries()) total += e.open?.memoryBytes ?? 0;
  return total;
}

/** Drops least recently used readers until the rest fit `budget` (queries holding one keep using it). */
export function trimFullTextReaders(budget = FULL_TEXT_READERS_BYTES): void {
  let total = fullTextReadersBytes();
  for (const [key, e] of ftsReaders.entries()) {
    if (total <= budget) break;
    if (!e.open) continue;
    total -= e.open.memoryBytes;
    ftsReaders.delete(key);
  }
}

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
  clustersProbed: number;
}

type Located = { seq: number; score: number; where: "tail" } | { seq: number; score: number; where: "segment"; segment: SegmentInfo; ordinal: number };

function openReader(cache: ObjectCache, info: SegmentInfo): Promise<FullTextIndexReader> {
  const key = info.fts!.key;
  let entry = ftsReaders.get(key);
  if (!entry) {
    const range = cache.rangeReader(key, info.fts!.bytes, () => currentStats!);
    const e: { opening: Promise<FullTextIndexReader>; open?: FullTextIndexReader } = { opening: Reader.open(range, { postingsCacheBytes: READER_POSTINGS_CACHE_BYTES }) };
    e.opening.then((r) => (e.open = r)).catch(() => ftsReaders.delete(key));
    ftsReaders.set(key, e);
    entry = e;
  }
  return entry.opening;
}

/**
 * Opens the full-text indexes of a manifest (directory parsed, reader kept in the isolate) and reads
 * their dictionaries and field lengths through the object cache, so the block caches hold them. The
 * bytes are not decoded into the readers (the block caches are bounded, the readers' memory is not),
 * one segment at a time, and only while `stats.bytesRead` is below `budgetBytes` (warming more than
 * the caches hold would evict what was just warmed). Returns how many indexes were warmed.
 */
export async function warmFullTextIndexes(manifest: Manifest, cache: ObjectCache, stats: IoStats, budgetBytes: number): Promise<number> {
  currentStats = stats;
  let warmed = 0;
  for (const info of manifest.segments) {
    if (!info.fts) continue;
    if (stats.bytesRead >= budgetBytes) break;
    const reader = await openReader(cache, info);
    const range = cache.rangeReader(info.fts.key, info.fts.bytes, stats);
    for (const f of reader.directory.fields) {
      const last = f.blocks[f.blocks.length - 1];
      if (last) await range.slice(f.dictBase, f.dictBase + last.offset + last.bytes);
      if (f.fieldnormsBytes > 0) await range.slice(f.fieldnormsOffset, f.fieldnormsOffset + f.fieldnormsBytes);
    }
    warmed++;
  }
  return warmed;
}

async function fullTextArm(ctx: QueryContext, k: number, counts: QueryCounts): Promise<Located[]> {
  const { plan, manifest } = ctx;
  currentStats = ctx.stats;
  const deadSets = new Map<string, ReadonlySet<number>>();
  const filters = new Map<string, Promise<((ord: number) => boolean) | undefined>>();
  const sources: FullTextSources = {
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
    accept(info) {
      if (!plan.filter) return Promise.resolve(undefined);
      let f = filters.get(info.key);
      if (!f) {
        f = ctx.segments.open(info, manifest.schema).then(async (reader) => {
          const bits = await filterBitset(reader, plan.filter!);
          return (ord: number) => bitsetHas(bits, ord);
        });
        filters.set(info.key, f);
      }
      return f;
    },
  };
  // A rank expression with Max runs one query per alternative; a document's score is its best.
  const best = new Map<number, Located>();
  for (let i = 0; i < plan.fullText!.length; i++) {
    const result = await searchFullText(plan.fullText![i], k, manifest, ctx.tail.fullText?.[i] ?? null, sources);
    counts.indexCandidates += result.scored;
    for (const d of result.docs) {
      const have = best.get(d.seq);
      if (have && have.score >= d.score) continue;
      best.set(
        d.seq,
        d.source < 0
          ? { seq: d.seq, score: d.score, where: "tail" }
          : { seq: d.seq, score: d.score, where: "segment", segment: manifest.segments[d.source], ordinal: d.ord },
      );
    }
  }
  trimFullTextReaders();
  return [...best.values()].sort((a, b) => b.score - a.score || a.seq - b.seq).slice(0, k);
}

/**
 * The vector arm (or rank by id): the approximate index when the namespace has one and the query
 * does not ask for exact search, an exhaustive scan of the segments otherwise; merged with the tail.
 */
async function vectorArm(ctx: QueryContext, counts: QueryCounts): Promise<{ segmentHits: SegmentHit[]; merged: Hit[] }> {
  if (ctx.plan.vector && currentVectorIndex(ctx.manifest) && !ctx.plan.exact) {
    const ann = await searchVectorIndex(ctx);
    counts.indexCandidates += ann.candidates;
    counts.rowsScanned += ann.scanned;
    counts.clustersProbed += ann.clustersProbed;
    return { segmentHits: ann.hits, merged: mergeHits(ctx.plan.armDepth, ctx.tail.hits, ann.hits) };
  }
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

export async function executeQuery(ctx: QueryContext): Promise<{ hits: Hit[]; counts: QueryCounts; aggregate: AggregateResult | null }> {
  const { plan } = ctx;
  const counts: QueryCounts = { segmentsScanned: 0, rowsScanned: ctx.tail.scanned, indexCandidates: 0, clustersProbed: 0 };

  if (plan.aggregate) {
    const seg = await countSegments(plan, ctx.manifest, ctx.dead, ctx.segments);
    counts.segmentsScanned += seg.stats.segments;
    counts.rowsScanned += seg.stats.rowsScanned;
    const merged = mergeGroupCounts(ctx.tail.aggregate ? [ctx.tail.aggregate, seg.counts] : [seg.counts]);
    return { hits: [], counts, aggregate: finishAggregate(plan.aggregate, merged) };
  }

  if (plan.orderBy) {
    const seg = await searchSegmentsOrdered(plan, ctx.manifest, ctx.dead, ctx.segments);
    counts.segmentsScanned += seg.stats.segments;
    counts.rowsScanned += seg.stats.rowsScanned;
    const compare = orderComparator(plan.orderBy);
    const all: Hit[] = [...ctx.tail.hits, ...seg.hits];
    const merged = all
      .map((h) => ({ h, id: h.id, value: h.order ?? null }))
      .sort(compare)
      .slice(0, plan.topK)
      .map((x) => x.h);
    await materializeSegmentHits(plan, ctx.manifest.schema, merged.filter((h): h is SegmentHit => "segment" in h), ctx.segments);
    return { hits: merged, counts, aggregate: null };
  }

  if (!plan.fullText) {
    // Vector or by-id: the tail's hits come materialized; segment hits are filled in here.
    const { merged } = await vectorArm(ctx, counts);
    await materializeSegmentHits(plan, ctx.manifest.schema, merged.filter((h): h is SegmentHit => "segment" in h), ctx.segments);
    return { hits: merged, counts, aggregate: null };
  }

  if (!plan.hybrid) {
    const ranked = await fullTextArm(ctx, plan.topK, counts);
    return { hits: await materialize(ctx, ranked), counts, aggregate: null };
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
  return { hits: await materialize(ctx, fused.map((f) => ({ ...where.get(f.id)!, score: f.score }))), counts, aggregate: null };
}
