/**
 * The approximate vector arm of a query: the index directory and centroids (cached in the isolate),
 * the probed clusters' block heads (decoded once per isolate), the ex rows of the entries that
 * survive the 1-bit pass, the filter as a set of matching versions (or, when it matches few, an
 * exact scan of just those rows), and an exact rerank of the best candidates with their stored full
 * vectors, read in the same round as their documents. Returns hits located in their segments.
 */
import { type CentroidIndex, decodeCentroidList, openCentroidIndex } from "../core/index/vector/centroid-list.ts";
import { type ClusterBlock, blockHeadBytes, decodeClusterBlock } from "../core/index/vector/cluster-block.ts";
import { readBlockExRows, readBlockVectorRows } from "../core/index/vector/cluster-object.ts";
import { distanceTo } from "../core/index/vector/distance.ts";
import { type DirectoryBlock, type IndexDirectory, clusterStarts, decodeDirectory } from "../core/index/vector/index-directory.ts";
import { searchIvf } from "../core/index/vector/ivf-search.ts";
import { idKey } from "../core/codec/id-key.ts";
import type { QueryPlan } from "../core/query/plan.ts";
import { type SegmentHit, type SegmentSource, scanColumns, scanLiveRows } from "../core/query/segment-search.ts";
import { SeqBitset } from "../core/query/seq-bitset.ts";
import { TopK } from "../core/query/top-k.ts";
import type { DeadSet } from "../core/segment/dead-set.ts";
import { type Manifest, type VectorIndexInfo, segmentForSeq } from "../core/segment/manifest.ts";
import type { IoStats } from "../storage/io-stats.ts";
import type { ObjectCache } from "../storage/object-cache.ts";
import { vectorKernels } from "../wasm/vector-kernels.ts";
import { EntryLru, onClearIsolateCaches, parsedCache } from "./isolate-cache.ts";

/** With a filter matching fewer rows than this, scan those rows exactly instead of the index. */
export const EXACT_FILTER_MAX_ROWS = 20_000;
/** Segment footers read ahead with the index directory (a namespace has ~10 per million rows). */
const PREFETCH_FOOTERS = 64;
/**
 * Ex rows are read and cached in chunks this size: a query refines a few scattered entries per
 * block, and fixed chunks let later queries (and the Cache API) reuse what earlier ones read.
 */
const EX_CHUNK_BYTES = 4096;

const centroidIndexes = new EntryLru<Promise<CentroidIndex>>(8);
onClearIsolateCaches(() => centroidIndexes.clear());

interface Directory {
  dir: IndexDirectory;
  starts: Uint32Array;
}

async function loadDirectory(cache: ObjectCache, info: VectorIndexInfo, stats: IoStats): Promise<Directory> {
  const key = `vdir:${info.directory.key}`;
  const hit = parsedCache().get(key) as Directory | undefined;
  if (hit) return hit;
  const bytes = await cache.getObject(info.directory.key, stats);
  if (!bytes) throw new Error(`vector: directory ${info.directory.key} is missing`);
  const dir = decodeDirectory(bytes, info.directory.key);
  const value = { dir, starts: clusterStarts(dir) };
  parsedCache().set(key, value, dir.blocks.length * 96 + 1024);
  return value;
}

function loadCentroids(cache: ObjectCache, info: VectorIndexInfo, stats: IoStats): Promise<CentroidIndex> {
  let p = centroidIndexes.get(info.centroids.key);
  if (!p) {
    p = cache.getObject(info.centroids.key, stats).then((bytes) => {
      if (!bytes) throw new Error(`vector: centroid list ${info.centroids.key} is missing`);
      return openCentroidIndex(decodeCentroidList(bytes), vectorKernels());
    });
    p.catch(() => centroidIndexes.delete(info.centroids.key));
    centroidIndexes.set(info.centroids.key, p);
  }
  return p;
}

/** Loads the vector index's directory and centroids into the isolate (cache warming). */
export async function warmVectorIndex(cache: ObjectCache, info: VectorIndexInfo, stats: IoStats): Promise<void> {
  await Promise.all([loadDirectory(cache, info, stats), loadCentroids(cache, info, stats)]);
}

export interface AnnContext {
  plan: QueryPlan;
  manifest: Manifest;
  dead: DeadSet;
  segments: SegmentSource;
  cache: ObjectCache;
  stats: IoStats;
}

export interface AnnResult {
  hits: SegmentHit[];
  /** Entries scored through the index. */
  candidates: number;
  /** Rows scanned exactly (the filtered fallback). */
  scanned: number;
  clustersProbed: number;
}

/** The versions matching the filter over every segment (live ones), with their ordinals. */
async function matchingRows(ctx: AnnContext): Promise<{ seqs: SeqBitset; rows: { info: Manifest["segments"][number]; ordinal: number; seq: number }[] | null }> {
  const { plan, manifest } = ctx;
  const seqs = new SeqBitset(manifest.wal_seq);
  const rows: { info: Manifest["segments"][number]; ordinal: number; seq: number }[] = [];
  const scan = { filter: plan.filter, columns: scanColumns(plan.filter), vectors: false };
  await scanLiveRows(manifest, ctx.dead, ctx.segments, scan, { segments: 0, rowsScanned: 0 }, (info, batch, r) => {
    const seq = batch.seqs[r];
    seqs.add(seq);
    if (rows.length <= EXACT_FILTER_MAX_ROWS) rows.push({ info, ordinal: batch.start + r, seq });
  });
  return { seqs, rows: rows.length <= EXACT_FILTER_MAX_ROWS ? rows : null };
}

/** Exact search over a few rows (a selective filter): their vectors read in runs from the segments. */
async function exactOverRows(ctx: AnnContext, rows: { info: Manifest["segments"][number]; ordinal: number; seq: number }[]): Promise<SegmentHit[]> {
  const { plan, manifest } = ctx;
  const top = new TopK<SegmentHit>(plan.armDepth);
  const dist = distanceTo(plan.metric!, plan.vector!);
  const bySegment = new Map<string, typeof rows>();
  for (const r of rows) (bySegment.get(r.info.key) ?? bySegment.set(r.info.key, []).get(r.info.key)!).push(r);
  for (const group of bySegment.values()) {
    const reader = await ctx.segments.open(group[0].info, manifest.schema);
    const data = await reader.readRows(group.map((g) => g.ordinal), [], true);
    for (const g of group) {
      const row = data.get(g.ordinal)!;
      if (!row.vector) continue;
      top.offer(dist(row.vector), idKey(row.id), { id: row.id, seq: g.seq, score: 0, segment: g.info, ordinal: g.ordinal });
    }
  }
  return top.sorted().map((s) => ({ ...s.item, score: s.score }));
}

/**
 * Finds each version's segment and row and reads its document (row groups of 768-d segments are
 * small enough to read whole, in one round). Versions compacted away since the index saw them are
 * dead and left out.
 */
async function locate(ctx: AnnContext, seqs: number[]): Promise<Map<number, SegmentHit>> {
  const { manifest, plan } = ctx;
  const bySegment = new Map<string, number[]>();
  for (const seq of seqs) {
    const info = segmentForSeq(manifest, seq);
    if (info) (bySegment.get(info.key) ?? bySegment.set(info.key, []).get(info.key)!).push(seq);
  }
  const hits = new Map<number, SegmentHit>();
  await Promise.all(
    [...bySegment.values()].map(async (group) => {
      const info = segmentForSeq(manifest, group[0])!;
      const reader = await ctx.segments.open(info, manifest.schema);
      const rows = await reader.readRowsBySeq(group, plan.includeAttributes, plan.includeVector);
      for (const [seq, row] of rows) {
        hits.set(seq, {
          id: row.id,
          seq,
          score: 0,
          segment: info,
          ordinal: row.ordinal,
          attributes: row.attributes,
          ...(plan.includeVector ? { vector: row.vector } : {}),
          materialized: true,
        });
      }
    }),
  );
  return hits;
}

export async function searchVectorIndex(ctx: AnnContext): Promise<AnnResult> {
  const { plan, manifest } = ctx;
  const info = manifest.vector_index!;
  const [{ dir, starts }, centroids, matches] = await Promise.all([
    loadDirectory(ctx.cache, info, ctx.stats),
    loadCentroids(ctx.cache, info, ctx.stats),
    plan.filter ? matchingRows(ctx) : Promise.resolve(null),
    // The hits' segments are known only after the search; their footers are read now, in the
    // same round as the index's directory (one storage round trip less when cold).
    ctx.segments.prefetch?.(manifest.segments.slice(0, PREFETCH_FOOTERS)),
  ]);
  if (matches?.rows) {
    const hits = await exactOverRows(ctx, matches.rows);
    return { hits, candidates: 0, scanned: matches.rows.length, clustersProbed: 0 };
  }
  const where = new Map<ClusterBlock, DirectoryBlock>();
  const objectOf = (b: DirectoryBlock) => dir.objects[b.object];
  // Heads as parsed entries of the isolate cache: checksummed and viewed once, not per query.
  const readHead = (b: DirectoryBlock): Promise<ClusterBlock> => {
    const o = objectOf(b);
    return ctx.cache.parsedRange(o.key, o.bytes, b.offset, b.offset + blockHeadBytes(b.count, centroids.paddedDim), (bytes) => {
      const block = decodeClusterBlock(bytes);
      if (block.clusterId !== b.clusterId || block.count !== b.count) {
        throw new Error(`vector: block at ${o.key}@${b.offset} holds cluster ${block.clusterId} (${block.count}), the directory says ${b.clusterId} (${b.count})`);
      }
      return block;
    }, ctx.stats);
  };
  // The candidates' documents are read in the rerank's round, beside their vectors.
  let documents: Promise<Map<number, SegmentHit>> | null = null;
  const result = await searchIvf({
    query: plan.vector!,
    k: plan.armDepth,
    centroids,
    nprobe: plan.nprobe ?? info.nprobe,
    readCluster: async (clusterId) => {
      const refs = dir.blocks.slice(starts[clusterId], starts[clusterId + 1]);
      const blocks = await Promise.all(refs.map(readHead));
      blocks.forEach((block, i) => where.set(block, refs[i]));
      return blocks;
    },
    readExRows: (block, entries) => {
      const loc = where.get(block)!;
      const o = objectOf(loc);
      return readBlockExRows(ctx.cache.rangeReader(o.key, o.bytes, ctx.stats, EX_CHUNK_BYTES), loc, block, entries);
    },
    isLive: (seq) => !ctx.dead.has(seq),
    filter: matches ? (seq) => matches.seqs.has(seq) : undefined,
    rerank: {
      // Exact distances for the best candidates, from the vectors stored beside their codes.
      fetchVectors: async (cands) => {
        documents = locate(ctx, cands.map((c) => c.seq));
        documents.catch(() => {});
        const out: (Float32Array | null)[] = new Array(cands.length).fill(null);
        const byBlock = new Map<ClusterBlock, number[]>();
        cands.forEach((c, i) => (byBlock.get(c.block) ?? byBlock.set(c.block, []).get(c.block)!).push(i));
        await Promise.all(
          [...byBlock].map(async ([block, idx]) => {
            const loc = where.get(block)!;
            const o = objectOf(loc);
            const rows = await readBlockVectorRows(ctx.cache.exactRangeReader(o.key, o.bytes, ctx.stats), loc, block, idx.map((i) => cands[i].entry));
            idx.forEach((i, j) => (out[i] = rows[j]));
          }),
        );
        return out;
      },
    },
  });
  const located = await (documents ?? locate(ctx, result.results.map((r) => r.seq)));
  const hits: SegmentHit[] = [];
  for (const r of result.results) {
    const hit = located.get(r.seq);
    if (hit) hits.push({ ...hit, score: r.distance });
  }
  return {
    hits,
    candidates: result.stats.candidatesScanned,
    scanned: 0,
    clustersProbed: result.stats.clustersProbed,
  };
}
