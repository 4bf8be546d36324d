/**
 * Row-order scans of a manifest's segments that no index serves: order by an attribute (top-k by
 * value) and counting per group. Each streams one row group at a time, reading only the columns
 * involved, skipping dead versions and applying the filter inside the scan.
 */
import type { DeadSet } from "../segment/dead-set.ts";
import type { Manifest } from "../segment/manifest.ts";
import type { AttributeValue } from "../types.ts";
import { evaluateFilter, filterFields } from "./filter.ts";
import { type GroupCounts, type Ordered, countRow, newGroupCounts, orderComparator } from "./order.ts";
import type { QueryPlan } from "./plan.ts";
import { type SegmentHit, type SegmentSearchStats, type SegmentSource, batchFieldReader } from "./segment-search.ts";
import { BoundedHeap } from "./top-k.ts";

function columnsFor(plan: QueryPlan, extra: string[]): string[] {
  const fields = new Set([...(plan.filter ? filterFields(plan.filter) : []), ...extra]);
  fields.delete("id");
  return [...fields];
}

/** Top-k rows by an attribute's value (nulls last), ties by id. */
export async function searchSegmentsOrdered(plan: QueryPlan, manifest: Manifest, dead: DeadSet, source: SegmentSource): Promise<{ hits: (SegmentHit & { order: Ordered["value"] })[]; stats: SegmentSearchStats }> {
  const order = plan.orderBy!;
  const compare = orderComparator(order);
  const top = new BoundedHeap<SegmentHit & Ordered>(plan.topK, compare);
  const stats: SegmentSearchStats = { segments: 0, rowsScanned: 0 };
  const columns = columnsFor(plan, [order.field]);
  for (const info of manifest.segments) {
    const reader = await source.open(info, manifest.schema);
    stats.segments++;
    for await (const batch of reader.scan(columns, false)) {
      let r = 0;
      const read = batchFieldReader(batch, () => r);
      for (; r < batch.seqs.length; r++) {
        const seq = batch.seqs[r];
        if (dead.has(seq)) continue;
        stats.rowsScanned++;
        if (plan.filter && !evaluateFilter(plan.filter, read)) continue;
        const id = batch.ids[r];
        top.offer({ id, seq, score: 0, segment: info, ordinal: batch.start + r, value: read(order.field) });
      }
    }
  }
  return { hits: top.sorted().map((h) => ({ ...h, order: h.value })), stats };
}

/** Counts of matching rows per group over the segments. */
export async function countSegments(plan: QueryPlan, manifest: Manifest, dead: DeadSet, source: SegmentSource): Promise<{ counts: GroupCounts; stats: SegmentSearchStats }> {
  const agg = plan.aggregate!;
  const acc = newGroupCounts();
  const stats: SegmentSearchStats = { segments: 0, rowsScanned: 0 };
  const columns = columnsFor(plan, agg.groupBy);
  for (const info of manifest.segments) {
    const reader = await source.open(info, manifest.schema);
    stats.segments++;
    for await (const batch of reader.scan(columns, false)) {
      let r = 0;
      const read = batchFieldReader(batch, () => r);
      for (; r < batch.seqs.length; r++) {
        if (dead.has(batch.seqs[r])) continue;
        stats.rowsScanned++;
        if (plan.filter && !evaluateFilter(plan.filter, read)) continue;
        countRow(acc, agg, read as (f: string) => AttributeValue);
      }
    }
  }
  return { counts: acc, stats };
}
