/**
 * Exhaustive search over a manifest's segments: stream each segment a row group at a time, skip
 * dead versions, apply the filter inside the scan, keep the top-k. Memory is one row group plus k.
 */
import { idKey } from "../codec/id-key.ts";
import { distanceTo } from "../index/vector/distance.ts";
import type { DeadSet } from "../segment/dead-set.ts";
import type { Manifest, SegmentInfo } from "../segment/manifest.ts";
import type { RowBatch, SegmentReader } from "../segment/segment-reader.ts";
import type { Schema } from "../schema/schema.ts";
import { type FieldReader, type Filter, evaluateFilter, filterFields } from "./filter.ts";
import type { Hit } from "./hit.ts";
import type { QueryPlan } from "./plan.ts";
import { TopK } from "./top-k.ts";

/** Opens segments (through the caches) for the query path. */
export interface SegmentSource {
  open(info: SegmentInfo, schema: Schema): Promise<SegmentReader>;
  /** Reads ahead the footers of segments that may be opened soon (optional). */
  prefetch?(infos: SegmentInfo[]): Promise<void>;
}

/** A hit found in a segment, with its location so materializing needs no seq lookup. */
export interface SegmentHit extends Hit {
  segment: SegmentInfo;
  ordinal: number;
  /** The document (id, attributes, vector as the plan asks) is already filled in. */
  materialized?: boolean;
}

export interface SegmentSearchStats {
  segments: number;
  rowsScanned: number;
}

export function batchFieldReader(batch: RowBatch, row: () => number): FieldReader {
  return (field) => {
    if (field === "id") return batch.ids[row()];
    const col = batch.attributes[field];
    return col ? col[row()] : null;
  };
}

/** The columns a scan reads: the filter's fields and `extra` (the id is always read). */
export function scanColumns(filter: Filter | null, extra: string[] = []): string[] {
  const fields = new Set([...(filter ? filterFields(filter) : []), ...extra]);
  fields.delete("id");
  return [...fields];
}

/** Called for each row a scan keeps: `batch` row `r` of segment `info`, whose fields `read` gives. */
export type RowVisitor = (info: SegmentInfo, batch: RowBatch, r: number, read: FieldReader) => void;

/**
 * Streams every live version of the manifest's segments that passes `filter`, one row group at a
 * time, reading only `columns` (and the vectors when asked). Counts live rows in `stats`.
 */
export async function scanLiveRows(
  manifest: Manifest,
  dead: DeadSet,
  source: SegmentSource,
  scan: { filter: Filter | null; columns: string[]; vectors: boolean },
  stats: SegmentSearchStats,
  visit: RowVisitor,
): Promise<void> {
  const { filter } = scan;
  for (const info of manifest.segments) {
    const reader = await source.open(info, manifest.schema);
    stats.segments++;
    for await (const batch of reader.scan(scan.columns, scan.vectors)) {
      let r = 0;
      const read = batchFieldReader(batch, () => r);
      for (; r < batch.seqs.length; r++) {
        if (dead.has(batch.seqs[r])) continue;
        stats.rowsScanned++;
        if (filter && !evaluateFilter(filter, read)) continue;
        visit(info, batch, r, read);
      }
    }
  }
}

export async function searchSegments(
  plan: QueryPlan,
  manifest: Manifest,
  dead: DeadSet,
  source: SegmentSource,
): Promise<{ hits: SegmentHit[]; stats: SegmentSearchStats }> {
  const top = new TopK<SegmentHit>(plan.armDepth);
  const dist = plan.vector ? distanceTo(plan.metric!, plan.vector) : null;
  const stats: SegmentSearchStats = { segments: 0, rowsScanned: 0 };
  await scanLiveRows(manifest, dead, source, { filter: plan.filter, columns: scanColumns(plan.filter), vectors: dist !== null }, stats, (info, batch, r) => {
    let score = 0;
    if (dist) {
      const v = batch.vectors![r];
      if (!v) return;
      score = dist(v);
      if (score > top.threshold) return;
    }
    const id = batch.ids[r];
    top.offer(score, idKey(id), { id, seq: batch.seqs[r], score, segment: info, ordinal: batch.start + r });
  });
  return { hits: top.sorted().map((s) => s.item), stats };
}

/** Merges the tail's and the segments' top-k into the final top-k (best first, ties by id). */
export function mergeHits<T extends Hit>(topK: number, ...lists: T[][]): T[] {
  const all = lists.flat();
  const keyed = all.map((h) => ({ h, key: idKey(h.id) }));
  keyed.sort((a, b) => a.h.score - b.h.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.slice(0, topK).map((k) => k.h);
}

/** Fills in ids, attributes (and vectors when asked) of segment hits with single-row range reads. */
export async function materializeSegmentHits(
  plan: Pick<QueryPlan, "includeAttributes" | "includeVector">,
  schema: Schema,
  hits: SegmentHit[],
  source: SegmentSource,
): Promise<void> {
  const bySegment = new Map<string, SegmentHit[]>();
  for (const h of hits) if (!h.materialized) (bySegment.get(h.segment.key) ?? bySegment.set(h.segment.key, []).get(h.segment.key)!).push(h);
  await Promise.all(
    [...bySegment.values()].map(async (group) => {
      const reader = await source.open(group[0].segment, schema);
      const rows = await reader.readRows(group.map((h) => h.ordinal), plan.includeAttributes, plan.includeVector);
      for (const h of group) {
        const row = rows.get(h.ordinal)!;
        h.id = row.id;
        h.attributes = row.attributes;
        if (plan.includeVector) h.vector = row.vector;
      }
    }),
  );
}
