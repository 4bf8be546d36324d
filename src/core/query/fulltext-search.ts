/**
 * The full-text arm of a query over a manifest: phase 1 gathers statistics from every segment's
 * index and the tail, phase 2 scores each source with the merged (collection-wide) statistics into
 * one shared top-k. Dead versions and the filter are applied inside each segment's search.
 */
import type { FullTextIndexReader } from "../index/fulltext/index-reader.ts";
import type { FullTextQuery } from "../index/fulltext/full-text-query.ts";
import { mergeStats, type FullTextStats } from "../index/fulltext/full-text-stats.ts";
import { collectSegmentStats, searchSegment } from "../index/fulltext/segment-search.ts";
import { scoreTailMatches, type TailMatches } from "../index/fulltext/tail-index.ts";
import { type ScoredDoc, TopKCollector } from "../index/fulltext/top-k-collector.ts";
import type { Manifest, SegmentInfo } from "../segment/manifest.ts";

export interface FullTextSources {
  /** The segment's full-text index reader (kept across queries by the caller). */
  reader(info: SegmentInfo): Promise<FullTextIndexReader>;
  /** Dead versions within the segment; the same Set object across queries lets readers cache. */
  dead(info: SegmentInfo): ReadonlySet<number>;
  /** The filter over the segment's row ordinals, or undefined without a filter. */
  accept(info: SegmentInfo): Promise<((ord: number) => boolean) | undefined>;
}

export interface FullTextResult {
  /** Best first; `source` is the segment's index in the manifest, −1 for the tail. */
  docs: ScoredDoc[];
  /** Documents scored through the indexes. */
  scored: number;
  stats: FullTextStats;
}

export async function searchFullText(
  query: FullTextQuery,
  k: number,
  manifest: Manifest,
  tail: TailMatches | null,
  sources: FullTextSources,
): Promise<FullTextResult> {
  const segments = manifest.segments.map((info, index) => ({ info, index })).filter((s) => s.info.fts);
  const readers = await Promise.all(segments.map((s) => sources.reader(s.info)));
  const parts = await Promise.all(segments.map((s, i) => collectSegmentStats(readers[i], query, sources.dead(s.info))));
  if (tail) parts.push(tail.stats);
  const stats = mergeStats(parts);

  const collector = new TopKCollector(k);
  let scored = 0;
  // Sequential on purpose: each segment prunes against the best scores found before it.
  for (let i = 0; i < segments.length; i++) {
    const { info, index } = segments[i];
    const accept = await sources.accept(info);
    const r = await searchSegment(readers[i], query, stats, collector, { dead: sources.dead(info), accept, source: index });
    scored += r.scored;
  }
  if (tail) scored += scoreTailMatches(tail, query, stats, collector, -1);
  return { docs: collector.results(), scored, stats };
}
