/**
 * Evaluates a query plan over the WAL tail (in the Durable Object, where the tail lives): the
 * vector (or by-id) arm exhaustively, keeping only its top candidates, and the full-text arm as
 * statistics plus per-document term counts, which the Worker scores with collection-wide statistics.
 */
import { idKey } from "../codec/id-key.ts";
import { distanceTo } from "../index/vector/distance.ts";
import type { TailMatches } from "../index/fulltext/tail-index.ts";
import type { Memtable, TailRow } from "../wal/memtable.ts";
import { evaluateFilter } from "./filter.ts";
import { type Hit, projectAttributes } from "./hit.ts";
import type { QueryPlan } from "./plan.ts";
import { type GroupCounts, type Ordered, countRow, newGroupCounts, orderComparator } from "./order.ts";
import { BoundedHeap, TopK } from "./top-k.ts";

function passes(plan: QueryPlan, row: TailRow): boolean {
  if (!plan.filter) return true;
  const attrs = row.attributes;
  const id = row.id;
  return evaluateFilter(plan.filter, (f) => (f === "id" ? id : attrs[f] ?? null));
}

/** A tail row as a response hit (vector copied: a view would clone the whole WAL batch buffer over RPC). */
export function materializeTailRow(plan: Pick<QueryPlan, "includeVector" | "includeAttributes">, row: TailRow, score: number): Hit {
  return {
    id: row.id,
    seq: row.seq,
    score,
    vector: plan.includeVector && row.vector ? row.vector.slice() : undefined,
    attributes: projectAttributes(row.attributes, plan.includeAttributes),
  };
}

/**
 * The vector arm (or order by attribute, or by id) over the tail: its best `plan.armDepth` rows,
 * materialized unless the query is hybrid (fusion picks the winners later).
 */
export function evaluateTail(plan: QueryPlan, rows: Iterable<TailRow>): { hits: Hit[]; scanned: number } {
  if ((plan.fullText && !plan.vector) || plan.aggregate) return { hits: [], scanned: 0 };
  if (plan.orderBy) return evaluateTailOrdered(plan, rows);
  const top = new TopK<TailRow>(plan.armDepth);
  const dist = plan.vector ? distanceTo(plan.metric!, plan.vector) : null;
  let scanned = 0;
  for (const row of rows) {
    if (row.deleted) continue;
    scanned++;
    if (!passes(plan, row)) continue;
    let score = 0;
    if (dist) {
      if (!row.vector) continue;
      score = dist(row.vector);
    }
    top.offer(score, idKey(row.id), row);
  }
  const hits = top.sorted().map(({ score, item }) =>
    plan.hybrid ? { id: item.id, seq: item.seq, score } : materializeTailRow(plan, item, score),
  );
  return { hits, scanned };
}

function evaluateTailOrdered(plan: QueryPlan, rows: Iterable<TailRow>): { hits: Hit[]; scanned: number } {
  const field = plan.orderBy!.field;
  const compare = orderComparator(plan.orderBy!);
  const top = new BoundedHeap<Ordered & { row: TailRow }>(plan.topK, compare);
  let scanned = 0;
  for (const row of rows) {
    if (row.deleted) continue;
    scanned++;
    if (!passes(plan, row)) continue;
    top.offer({ id: row.id, value: field === "id" ? row.id : row.attributes[field] ?? null, row });
  }
  return { hits: top.sorted().map((o) => ({ ...materializeTailRow(plan, o.row, 0), order: o.value })), scanned };
}

/** The full-text arm over the tail: statistics and the matching rows that pass the filter. */
export function evaluateTailFullText(plan: QueryPlan, memtable: Memtable): TailMatches[] | null {
  const index = memtable.fullText;
  if (!plan.fullText || !index) return null;
  const accept = plan.filter ? (seq: number) => passes(plan, memtable.bySequence(seq)!) : undefined;
  return plan.fullText.map((q) => index.collect(q, accept));
}

/** Counts of the tail's matching rows per group. */
export function evaluateTailAggregate(plan: QueryPlan, rows: Iterable<TailRow>): GroupCounts | null {
  if (!plan.aggregate) return null;
  const acc = newGroupCounts();
  for (const row of rows) {
    if (row.deleted || !passes(plan, row)) continue;
    countRow(acc, plan.aggregate, (f) => (f === "id" ? row.id : row.attributes[f] ?? null));
  }
  return acc;
}
