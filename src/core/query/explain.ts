/**
 * A query plan as text (turbopuffer's `explain_query`): what the engine will rank by, filter on and
 * return, and where it looks (the unflushed tail in the Durable Object, then the manifest's segments).
 * Describes the plan only; nothing is read or executed.
 */
import type { Filter } from "./filter.ts";
import type { QueryPlan } from "./plan.ts";

function operand(v: unknown): string {
  return JSON.stringify(v);
}

export function describeFilter(f: Filter): string {
  switch (f.kind) {
    case "and":
    case "or":
      return `${f.kind}(${f.filters.map(describeFilter).join(", ")})`;
    case "not":
      return `not(${describeFilter(f.filter)})`;
    case "compare":
      return `${f.field} ${f.op} ${f.ref !== undefined ? `$ref_new.${f.ref}` : operand(f.value)}`;
    case "in":
      return `${f.field} ${f.negate ? "not in" : "in"} ${operand(f.values)}`;
    case "contains":
      return `${f.field} ${f.negate ? "not contains" : "contains"} ${operand(f.value)}`;
    case "contains_any":
      return `${f.field} ${f.negate ? "not contains any" : "contains any"} ${operand(f.values)}`;
    case "glob":
      return `${f.field} ${f.negate ? "not " : ""}${f.caseInsensitive ? "iglob" : "glob"} ${operand(f.pattern)}`;
    case "tokens":
      return `${f.field} ${f.negate ? "not " : ""}contains ${f.all ? "all" : "any"} of tokens ${operand(f.tokens)}`;
  }
}

export function explainPlan(plan: QueryPlan): string {
  const lines: string[] = [];
  if (plan.aggregate) {
    const a = plan.aggregate;
    lines.push(`aggregate: count as ${a.counts.join(", ")}${a.groupBy.length ? ` grouped by ${a.groupBy.join(", ")} (at most ${a.limit} groups)` : ""}`);
  } else if (plan.vector) {
    lines.push(`rank: distance to a ${plan.vector.length}-dimensional vector (${plan.metric}), top ${plan.topK}`);
  } else if (plan.fullText) {
    const term = (t: { term: string; weight: number }, w: number) => (t.weight * w === 1 ? t.term : `${t.term}×${+(t.weight * w).toFixed(4)}`);
    const alternatives = plan.fullText.map((q) => q.fields.map((f) => `${f.field}[${f.terms.map((t) => term(t, f.weight)).join(" ")}]`).join(" + "));
    lines.push(`rank: BM25 ${alternatives.length > 1 ? `max of (${alternatives.join("; ")})` : alternatives[0]}, top ${plan.topK}`);
  } else if (plan.orderBy) {
    lines.push(`rank: ${plan.orderBy.field} ${plan.orderBy.descending ? "descending" : "ascending"} (nulls last), top ${plan.topK}`);
  } else {
    lines.push(`rank: id ascending, top ${plan.topK}`);
  }
  if (plan.hybrid) lines.push(`fusion: reciprocal rank fusion, k = ${plan.hybrid.k}, each arm to depth ${plan.armDepth}`);
  lines.push(`filter: ${plan.filter ? describeFilter(plan.filter) : "none"} (applied inside the search)`);
  if (!plan.aggregate) {
    const attrs = plan.includeAttributes === null ? "all attributes" : plan.includeAttributes.length ? plan.includeAttributes.join(", ") : "no attributes";
    lines.push(`return: id, ${attrs}${plan.includeVector ? ", vector" : ""}`);
  }
  lines.push(
    plan.consistency === "strong"
      ? "read: the unflushed tail (namespace Durable Object) and the segments of its current manifest"
      : "read: the segments of the newest manifest known (eventual; no Durable Object call)",
  );
  return lines.join("\n");
}
