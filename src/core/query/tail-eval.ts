/**
 * Evaluates a query plan exhaustively over the WAL tail's rows (in the Durable Object, where the
 * tail lives) and returns only the tail's top-k, already materialized.
 */
import { idKey } from "../codec/id-key.ts";
import { distanceTo } from "../index/vector/distance.ts";
import type { TailRow } from "../wal/memtable.ts";
import { evaluateFilter } from "./filter.ts";
import { type Hit, projectAttributes } from "./hit.ts";
import type { QueryPlan } from "./plan.ts";
import { TopK } from "./top-k.ts";

export function evaluateTail(plan: QueryPlan, rows: Iterable<TailRow>): { hits: Hit[]; scanned: number } {
  const top = new TopK<TailRow>(plan.topK);
  const dist = plan.vector ? distanceTo(plan.metric!, plan.vector) : null;
  let scanned = 0;
  for (const row of rows) {
    if (row.deleted) continue;
    scanned++;
    if (plan.filter) {
      const attrs = row.attributes;
      const id = row.id;
      if (!evaluateFilter(plan.filter, (f) => (f === "id" ? id : attrs[f] ?? null))) continue;
    }
    let score = 0;
    if (dist) {
      if (!row.vector) continue;
      score = dist(row.vector);
    }
    top.offer(score, idKey(row.id), row);
  }
  const hits = top.sorted().map(({ score, item }) => ({
    id: item.id,
    seq: item.seq,
    score,
    // Copy: a view would clone the whole WAL batch buffer across RPC.
    vector: plan.includeVector && item.vector ? item.vector.slice() : undefined,
    attributes: projectAttributes(item.attributes, plan.includeAttributes),
  }));
  return { hits, scanned };
}
