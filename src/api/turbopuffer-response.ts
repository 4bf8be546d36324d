/**
 * Response bodies of the turbopuffer-compatible API: rows (`{id, $dist?, vector?, ...attributes}`),
 * the `billing` and `performance` objects every query and write carries, namespace metadata. Shapes
 * follow the official client's types (`@turbopuffer/turbopuffer` 2.8); Elacsym's own figures are added
 * to `performance` under their v1 names.
 */
import type { NamespaceDescription } from "../../durable-objects/namespace-do.ts";
import { encodeBase64F32 } from "../core/codec/base64-f32.ts";
import type { Hit } from "../core/query/hit.ts";
import { type StageTimer, roundMs } from "../core/stage-timer.ts";
import type { QueryPlan } from "../core/query/plan.ts";
import type { Schema } from "../core/schema/schema.ts";
import { renderTurbopufferSchema } from "../core/turbopuffer/schema.ts";
import type { QueryPerformance } from "../service/namespace-service.ts";
import { renderAttributes } from "./render.ts";

export type VectorEncoding = "float" | "base64";

/** Whether rows carry `$dist`: vector distances, BM25 or fused scores; not for id or attribute order. */
export function ranksByScore(plan: QueryPlan): boolean {
  return plan.vector !== null || plan.fullText !== null;
}

export function renderRow(schema: Schema, hit: Hit, withDist: boolean, encoding: VectorEncoding): Record<string, unknown> {
  const row: Record<string, unknown> = { id: hit.id };
  if (withDist) row.$dist = hit.score;
  if (hit.vector) row.vector = encoding === "base64" ? encodeBase64F32(hit.vector) : Array.from(hit.vector);
  if (hit.attributes) Object.assign(row, renderAttributes(schema, hit.attributes));
  return row;
}

function temperature(ratio: number): "hot" | "warm" | "cold" {
  return ratio >= 0.9 ? "hot" : ratio >= 0.5 ? "warm" : "cold";
}

/** `timing`: the request's (server_total_ms counts from its arrival in the Worker). */
export function queryPerformance(p: QueryPerformance, documents: number, timing: StageTimer): Record<string, unknown> {
  return {
    ...p,
    approx_namespace_size: documents,
    cache_temperature: temperature(p.cache_hit_ratio),
    query_execution_ms: p.server_ms,
    server_total_ms: roundMs(timing.elapsed()),
  };
}

/** Billing figures: bytes the query read from any cache tier or R2, and the bytes of the rows returned. */
export function queryBilling(p: QueryPerformance, rows: unknown): Record<string, number> {
  return { billable_logical_bytes_queried: p.bytes_read, billable_logical_bytes_returned: JSON.stringify(rows).length };
}

export function namespaceMetadata(d: NamespaceDescription): Record<string, unknown> {
  const storage = d.storage?.bytes;
  const stored = storage ? storage.segments + storage.full_text + storage.deletes : 0;
  return {
    schema: renderTurbopufferSchema(d.schema),
    approx_logical_bytes: stored + d.wal.bytes,
    approx_row_count: d.documents,
    created_at: d.created_at,
    updated_at: d.updated_at,
    encryption: { mode: "default" },
    index: d.index.status === "up-to-date" ? { status: "up-to-date" } : { status: "updating", unindexed_bytes: d.wal.bytes },
  };
}
