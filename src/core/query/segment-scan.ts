/**
 * Row-order scans of a manifest's segments that no index serves: order by an attribute (top-k by
 * value) and counting per group. Each streams one row group at a time, reading only the columns
 * involved, skipping dead versions and applying the filter inside the scan.
 */
import type { DeadSet } from "../segment/dead-set.ts";
import type { Manifest } from "../segment/manifest.ts";
import type { AttributeValue } from "../types.ts";
import { type GroupCounts, type Ordered, countRow, newGroupCounts, orderComparator } from "./order.ts";
import type { QueryPlan } from "./plan.ts";
import { type SegmentHit, type SegmentSearchStats, type SegmentSource, scanColumns, scanLiveRows } from "./segment-search.ts";
import { BoundedHeap } from "./top-k.ts";

/** Top-k rows by an attribute's value (nulls last), ties by id. */
export async function searchSegmentsOrdered(plan: QueryPlan, manifest: Manifest, dead: DeadSet, source: SegmentSource): Promise<{ hits: (SegmentHit & { order: Ordered["value"] })[]; stats: SegmentSearchStats }> {
  const order = plan.orderBy!;
  const top = new BoundedHeap<SegmentHit & Ordered>(plan.topK, orderComparator(order));
  const stats: SegmentSearchStats = { segments: 0, rowsScanned: 0 };
  await scanLiveRows(manifest, dead, source, { filter: plan.filter, columns: scanColumns(plan.filter, [order.field]), vectors: false }, stats, (info, batch, r, read) => {
    top.offer({ id: batch.ids[r], seq: batch.seqs[r], score: 0, segment: info, ordinal: batch.start + r, value: read(order.field) });
  });
  return { hits: top.sorted().map((h) => ({ ...h, order: h.value })), stats };
}

/** Counts of matching rows per group over the segments. */
export async function countSegments(plan: QueryPlan, manifest: Manifest, dead: DeadSet, source: SegmentSource): Promise<{ counts: GroupCounts; stats: SegmentSearchStats }> {
  const agg = plan.aggregate!;
  const acc = newGroupCounts();
  const stats: SegmentSearchStats = { segments: 0, rowsScanned: 0 };
  await scanLiveRows(manifest, dead, source, { filter: plan.filter, columns: scanColumns(plan.filter, agg.groupBy), vectors: false }, stats, (_info, _batch, _r, read) => {
    countRow(acc, agg, read as (f: string) => AttributeValue);
  });
  return { counts: acc, stats };
}
