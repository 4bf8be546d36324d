/**
 * The turbopuffer-compatible API, so the official `@turbopuffer/turbopuffer` client works against an
 * Elacsym deployment: `/v2/namespaces/:ns` (write, query, delete, metadata) and turbopuffer's `/v1`
 * namespace sub-resources (schema, metadata, hint_cache_warm, _debug/recall). A translation layer:
 * every request becomes the same GuardedNamespaceService call the Elacsym API makes (scopes, rate
 * limits, quotas and audit included), and queries become the same QueryPlan.
 *
 * Errors use turbopuffer's body ({"status": "error", "error": "..."}; see app.ts). Query parameters
 * are ignored (the client adds e.g. `stainless_overload=multiQuery`).
 */
import { Hono } from "hono";
import { InvalidArgumentError } from "../../core/errors.ts";
import { reciprocalRankFusion } from "../../core/query/fusion.ts";
import type { Hit } from "../../core/query/hit.ts";
import type { QueryInput } from "../../core/query/query-input.ts";
import { explainPlan } from "../../core/query/explain.ts";
import { planTurbopufferQuery } from "../../core/turbopuffer/query.ts";
import { renderTurbopufferSchema, turbopufferSchemaToElacsym } from "../../core/turbopuffer/schema.ts";
import { GuardedNamespaceService } from "../../service/guarded-namespace-service.ts";
import { type AppContext, type AppEnv, deferOf } from "../context.ts";
import * as contract from "../contracts/turbopuffer.ts";
import type { Schema } from "../../core/schema/schema.ts";
import type { MultiQueryOutcome } from "../../service/namespace-service.ts";
import { validated } from "../openapi/route-spec.ts";
import { renderAttributes } from "../render.ts";
import { roundMs } from "../../core/stage-timer.ts";
import { type VectorEncoding, namespaceMetadata, queryBilling, queryPerformance, ranksByScore, renderRow } from "../turbopuffer-response.ts";
import { translateTurbopufferWrite } from "../validate/turbopuffer-write.ts";

/** Sampled query vectors of a recall measurement when the request names none. */
const DEFAULT_RECALL_QUERIES = 20;
/** Top-level fields of a multi-query; the others belong inside each of `queries`. */
const MULTI_QUERY_KEYS = ["queries", "consistency", "vector_encoding", "rerank_by", "limit", "top_k"];

function service(c: AppContext): GuardedNamespaceService {
  return new GuardedNamespaceService(c.env, c.get("auth"), c.get("requestId"), deferOf(c), c.get("timing"));
}

/** `rerank_by: ["RRF", {rank_constant, weights}]` for `n` sub-queries (its shape checked by the route). */
function parseRerank(raw: readonly ["RRF", { rank_constant?: number; weights?: number[] }?] | undefined, n: number): { k: number; weights: number[] } | null {
  if (!raw) return null;
  const params = raw[1] ?? {};
  if (params.weights !== undefined && params.weights.length !== n) throw new InvalidArgumentError(`rerank_by[1].weights: expected ${n} weights, one per query`);
  return { k: params.rank_constant ?? 60, weights: params.weights ?? new Array<number>(n).fill(1) };
}

/** Fuses ranked hit lists (same snapshot, so one version has one seq) into one ranked list. */
function fuse(lists: Hit[][], rerank: { k: number; weights: number[] }, limit: number): Hit[] {
  const bySeq = new Map<number, Hit>();
  for (const list of lists) for (const h of list) if (!bySeq.has(h.seq)) bySeq.set(h.seq, h);
  const fused = reciprocalRankFusion(
    lists.map((list, i) => ({ ids: list.map((h) => h.seq), weight: rerank.weights[i] })),
    { k: rerank.k, topK: limit },
  );
  return fused.map((f) => ({ ...bySeq.get(f.id)!, score: f.score }));
}

/** Reports a query's work to the request log (middleware/request-log.ts). */
function noteQuery(c: AppContext, ns: string, operation: string, r: MultiQueryOutcome): void {
  c.set("metrics", {
    namespace: ns,
    operation,
    rows: r.results.reduce((n, x) => n + x.hits.length, 0),
    cacheHitRatio: r.performance.cache_hit_ratio,
    objectReads: r.performance.object_reads,
    bytesRead: r.performance.bytes_read,
  });
}

/** One query's result: `rows`, or `aggregations` / `aggregation_groups` for aggregate queries. */
function renderResult(schema: Schema, result: MultiQueryOutcome["results"][number], encoding: VectorEncoding): Record<string, unknown> {
  const { plan, hits, aggregate } = result;
  if (!aggregate) return { rows: hits.map((h) => renderRow(schema, h, ranksByScore(plan), encoding)) };
  if (aggregate.totals) return { aggregations: aggregate.totals };
  return { aggregation_groups: aggregate.groups!.map((g) => ({ ...renderAttributes(schema, g.values), ...g.counts })) };
}

// ── /v2/namespaces ───────────────────────────────────────────────────────────────────────────────

export const turbopufferV2 = new Hono<AppEnv>();

turbopufferV2.post("/:ns", validated(contract.write), async (c) => {
  const ns = c.req.param("ns");
  const { request, creates } = translateTurbopufferWrite(c.req.valid("json"));
  c.get("timing").lap("parse");
  const r = await service(c).write(ns, request, creates);
  const upserted = r.upserted?.affected ?? 0;
  const patched = (r.patched?.affected ?? 0) + (r.patchedByFilter?.affected ?? 0);
  const deleted = (r.deleted?.affected ?? 0) + (r.deletedByFilter?.affected ?? 0);
  const out: Record<string, unknown> = {
    status: "OK",
    message: `${upserted + patched + deleted} rows affected${r.created ? "; namespace created" : ""}`,
    rows_affected: upserted + patched + deleted,
  };
  if (r.upserted) out.rows_upserted = upserted;
  if (r.patched || r.patchedByFilter) out.rows_patched = patched;
  if (r.patchedByFilter) out.rows_remaining = r.patchedByFilter.remaining;
  if (r.deleted || r.deletedByFilter) out.rows_deleted = deleted;
  if (request.returnIds) {
    if (upserted > 0) out.upserted_ids = r.upserted!.ids;
    if (patched > 0) out.patched_ids = [...(r.patchedByFilter?.ids ?? []), ...(r.patched?.ids ?? [])];
    if (deleted > 0) out.deleted_ids = [...(r.deletedByFilter?.ids ?? []), ...(r.deleted?.ids ?? [])];
  }
  c.set("metrics", { namespace: ns, operation: "tpuf.write", rows: upserted + patched + deleted });
  out.billing = { billable_logical_bytes_written: Number(c.req.header("content-length") ?? 0) };
  out.performance = { server_total_ms: roundMs(c.get("timing").elapsed()) };
  return c.json(out);
});

turbopufferV2.post("/:ns/query", validated(contract.query), async (c) => {
  const started = c.get("timing");
  const ns = c.req.param("ns");
  const raw = c.req.valid("json");
  const encoding = raw.vector_encoding ?? "float";
  const eventual = raw.consistency?.level === "eventual";

  if (raw.queries === undefined) {
    if (raw.rerank_by !== undefined) throw new InvalidArgumentError("rerank_by: only applies to a multi-query (queries)");
    const r = await service(c).queryMany(ns, [{ syntax: "turbopuffer", raw }], eventual);
    noteQuery(c, ns, "tpuf.query", r);
    const result = renderResult(r.schema, r.results[0], encoding);
    return c.json({ ...result, billing: queryBilling(r.performance, result), performance: queryPerformance(r.performance, r.documents, started) });
  }

  for (const key of Object.keys(raw)) {
    if (!MULTI_QUERY_KEYS.includes(key)) throw new InvalidArgumentError(`multi-query: '${key}' belongs inside each of queries (allowed at the top: ${MULTI_QUERY_KEYS.join(", ")})`);
  }
  const queries = raw.queries;
  const inputs: QueryInput[] = queries.map((q) => ({ syntax: "turbopuffer", raw: q }));
  const rerank = parseRerank(raw.rerank_by, queries.length);
  if (!rerank && (raw.limit !== undefined || raw.top_k !== undefined)) throw new InvalidArgumentError("limit: only applies with rerank_by");
  const r = await service(c).queryMany(ns, inputs, eventual);
  noteQuery(c, ns, "tpuf.multi_query", r);
  let results: Record<string, unknown>[];
  if (rerank) {
    r.results.forEach((x, i) => {
      if (x.aggregate) throw new InvalidArgumentError(`queries[${i}]: aggregations cannot be fused by rerank_by`);
    });
    const given = typeof raw.limit === "object" && raw.limit !== null ? raw.limit.total : raw.limit ?? raw.top_k;
    const limit = given ?? Math.max(...r.results.map((x) => x.plan.topK));
    const fused = fuse(r.results.map((x) => x.hits), rerank, limit);
    results = [{ rows: fused.map((h) => renderRow(r.schema, h, true, encoding)) }];
  } else {
    results = r.results.map((x) => renderResult(r.schema, x, encoding));
  }
  return c.json({ results, billing: queryBilling(r.performance, results), performance: queryPerformance(r.performance, r.documents, started) });
});

turbopufferV2.delete("/:ns", validated(contract.deleteNamespace), async (c) => {
  await service(c).drop(c.req.param("ns"));
  return c.json({ status: "OK" });
});

turbopufferV2.get("/:ns/metadata", validated(contract.metadata), async (c) => c.json(namespaceMetadata(await service(c).describe(c.req.param("ns")))));

/** The plan as text, planned against the current schema without running the query. */
turbopufferV2.post("/:ns/explain_query", validated(contract.explainQuery), async (c) => {
  const raw = c.req.valid("json");
  const schema = await service(c).schema(c.req.param("ns"));
  return c.json({ plan_text: explainPlan(planTurbopufferQuery(raw, schema)) });
});

// ── turbopuffer's /v1/namespaces/:ns/… sub-resources ─────────────────────────────────────────────

export const turbopufferV1 = new Hono<AppEnv>();

turbopufferV1.get("/:ns/metadata", validated(contract.metadataV1), async (c) => c.json(namespaceMetadata(await service(c).describe(c.req.param("ns")))));

turbopufferV1.patch("/:ns/metadata", validated(contract.pinMetadata), () => {
  throw new InvalidArgumentError("metadata: pinning is not supported by Elacsym");
});

turbopufferV1.get("/:ns/schema", validated(contract.getSchema), async (c) => c.json(renderTurbopufferSchema(await service(c).schema(c.req.param("ns")))));

/** The body is the bare schema map; the answer is the whole schema after the change (see schema-update.ts for what may change). */
turbopufferV1.post("/:ns/schema", validated(contract.updateSchema), async (c) => {
  const schema = turbopufferSchemaToElacsym(c.req.valid("json"));
  const r = await service(c).write(c.req.param("ns"), { schema }, true);
  return c.json(renderTurbopufferSchema(r.schema));
});

turbopufferV1.get("/:ns/hint_cache_warm", validated(contract.warmCache), async (c) => {
  const r = await service(c).warm(c.req.param("ns"));
  return c.json({
    status: "ACCEPTED",
    message: `warmed the manifest, ${r.vector_index ? "the vector index centroids, " : ""}${r.segments} segment footers and ${r.full_text_indexes} full-text indexes (${r.object_reads} reads, ${r.bytes_read} bytes)`,
  });
});

/**
 * Recall of the vector index against exact search. The same route serves the Elacsym API (its
 * `{num, top_k}` is a subset of turbopuffer's body); `filters` and `rank_by` use turbopuffer syntax.
 */
turbopufferV1.post("/:ns/_debug/recall", validated(contract.recall), async (c) => {
  const ns = c.req.param("ns");
  const raw = c.req.valid("json");
  const num = raw.num ?? (raw.rank_by ? 1 : DEFAULT_RECALL_QUERIES);
  const probe: Record<string, unknown> = { top_k: 1 };
  if (raw.rank_by !== undefined && raw.rank_by !== null) {
    if (num !== 1) throw new InvalidArgumentError("num: must be 1 (or absent) when rank_by is given");
    probe.rank_by = raw.rank_by;
  }
  if (raw.filters !== undefined && raw.filters !== null) probe.filters = raw.filters;
  const topK = raw.top_k ?? 10;
  const { schema, ground_truth, ...report } = await service(c).recall(ns, {
    num,
    topK,
    probe: { syntax: "turbopuffer", raw: probe },
    groundTruth: raw.include_ground_truth === true,
  });
  if (!ground_truth) return c.json(report);
  return c.json({
    ...report,
    ground_truth: ground_truth.map((g) => ({ query_vector: g.query_vector, nearest_neighbors: g.nearest_neighbors.map((h) => renderRow(schema, h, true, "float")) })),
  });
});
