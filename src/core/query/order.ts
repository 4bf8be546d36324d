/**
 * Ordering rows by an attribute (order_by) and counting them per group (aggregate_by / group_by):
 * the comparator and the group accumulator that the tail, the segments and the merge share.
 */
import { idKey } from "../codec/id-key.ts";
import type { AttributeValue, DocId } from "../types.ts";
import { compareValues } from "./filter.ts";
import type { AggregatePlan, OrderByPlan } from "./plan.ts";

export interface Ordered {
  id: DocId;
  value: AttributeValue | DocId;
}

/** Value order (nulls last in either direction), then id ascending: a total order. */
export function orderComparator(order: OrderByPlan): (a: Ordered, b: Ordered) => number {
  const sign = order.descending ? -1 : 1;
  return (a, b) => {
    const an = a.value === null || a.value === undefined;
    const bn = b.value === null || b.value === undefined;
    if (an !== bn) return an ? 1 : -1;
    const c = an ? 0 : sign * compareValues(a.value, b.value);
    if (c !== 0) return c;
    const ak = idKey(a.id);
    const bk = idKey(b.id);
    return ak < bk ? -1 : ak > bk ? 1 : 0;
  };
}

/** Counts per group, mergeable across the tail and segments (plain data: crosses RPC). */
export interface GroupCounts {
  /** JSON of the group's values → [values, count]. */
  groups: Record<string, [AttributeValue[], number]>;
}

export function newGroupCounts(): GroupCounts {
  return { groups: {} };
}

export function countRow(acc: GroupCounts, plan: AggregatePlan, read: (field: string) => AttributeValue | DocId): void {
  const values = plan.groupBy.map((f) => (read(f) ?? null) as AttributeValue);
  const key = JSON.stringify(values);
  const g = acc.groups[key];
  if (g) g[1]++;
  else acc.groups[key] = [values, 1];
}

export function mergeGroupCounts(parts: GroupCounts[]): GroupCounts {
  const out = newGroupCounts();
  for (const p of parts) {
    for (const [key, [values, n]] of Object.entries(p.groups)) {
      const g = out.groups[key];
      if (g) g[1] += n;
      else out.groups[key] = [values, n];
    }
  }
  return out;
}

export interface AggregateResult {
  /** Without group_by: each count name → the count. */
  totals: Record<string, number> | null;
  /** With group_by: groups with the largest counts first (ties by group values), at most plan.limit. */
  groups: { values: Record<string, AttributeValue>; counts: Record<string, number> }[] | null;
}

export function finishAggregate(plan: AggregatePlan, acc: GroupCounts): AggregateResult {
  if (plan.groupBy.length === 0) {
    const n = Object.values(acc.groups).reduce((s, [, c]) => s + c, 0);
    return { totals: Object.fromEntries(plan.counts.map((name) => [name, n])), groups: null };
  }
  const groups = Object.values(acc.groups)
    .sort((a, b) => {
      if (b[1] !== a[1]) return b[1] - a[1];
      for (let i = 0; i < a[0].length; i++) {
        const c = compareValues(a[0][i], b[0][i]);
        if (c !== 0) return c;
      }
      return 0;
    })
    .slice(0, plan.limit)
    .map(([values, n]) => ({
      values: Object.fromEntries(plan.groupBy.map((f, i) => [f, values[i]])),
      counts: Object.fromEntries(plan.counts.map((name) => [name, n])),
    }));
  return { totals: null, groups };
}
