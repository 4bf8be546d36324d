/**
 * The Elacsym API (v1) routes: namespaces (create, describe, list, delete), documents (upsert,
 * patch, delete, fetch) and query. Each route's contract (contracts/v1.ts) validates the request
 * shape; handlers call the NamespaceService and shape responses.
 */
import { Hono } from "hono";
import { parseV1Documents, parseIds, parseV1Patches } from "../../core/wal/write-batch.ts";
import { GuardedNamespaceService } from "../../service/guarded-namespace-service.ts";
import { type AppContext, type AppEnv, deferOf } from "../context.ts";
import * as contract from "../contracts/v1.ts";
import { authorize } from "../middleware/auth.ts";
import { validated } from "../openapi/route-spec.ts";
import { renderAttributes, renderDocument } from "../render.ts";
import { roundMs } from "../../core/stage-timer.ts";

/** Every operation goes through the tenant's policy: scopes, prefix, rate limits, quotas, audit. */
function service(c: AppContext): GuardedNamespaceService {
  return new GuardedNamespaceService(c.env, c.get("auth"), c.get("requestId"), deferOf(c), c.get("timing"));
}

/**
 * Server time of the request so far: from its arrival in the Worker (before authentication and
 * reading the body) to now, when the response is being built. Rounded to 0.01 ms.
 */
function tookMs(c: AppContext): number {
  return roundMs(c.get("timing").elapsed());
}

export const v1Namespaces = new Hono<AppEnv>();

/**
 * Shared with the turbopuffer-compatible API (its `GET /v1/namespaces`): items carry both `name`
 * (Elacsym) and `id` (turbopuffer), and `page_size` is accepted for `limit`.
 */
v1Namespaces.get("/", validated(contract.listNamespaces), async (c) => {
  authorize(c.get("auth"), "read");
  const query = c.req.valid("query");
  const limit = query.limit ?? query.page_size ?? 100;
  // A prefix-restricted key lists only inside its prefix (the service narrows `prefix`).
  const page = await service(c).list({ prefix: query.prefix, cursor: query.cursor, limit });
  return c.json({
    namespaces: page.namespaces.map((n) => ({ id: n.name, name: n.name, created_at: new Date(n.created_at).toISOString() })),
    ...(page.next_cursor ? { next_cursor: page.next_cursor } : {}),
  });
});

v1Namespaces.put("/:ns", validated(contract.createNamespace), async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "write", ns);
  const r = await service(c).create(ns, c.req.valid("json").schema);
  return c.json(r.description, r.created ? 201 : 200);
});

v1Namespaces.get("/:ns", validated(contract.describeNamespace), async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "read", ns);
  return c.json(await service(c).describe(ns));
});

// POST /v1/namespaces/:ns/_debug/recall is served for both APIs by routes/turbopuffer.ts (same shape).

/** Counters and storage figures of one namespace (the Prometheus /metrics view, as JSON). */
v1Namespaces.get("/:ns/stats", validated(contract.namespaceStats), async (c) => {
  const ns = c.req.param("ns");
  const d = await service(c).describe(ns);
  return c.json({
    namespace: d.name,
    documents: d.documents,
    writes: d.writes,
    rows_written: d.rows_written,
    wal: d.wal,
    flushes: d.flushes,
    segments: d.segments,
    manifest_version: d.manifest_version,
    index: d.index,
    ...d.storage,
  });
});

v1Namespaces.delete("/:ns", validated(contract.deleteNamespace), async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "admin", ns);
  await service(c).drop(ns);
  return c.json({ deleted: true });
});

v1Namespaces.post("/:ns/upsert", validated(contract.upsertDocuments), async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "write", ns);
  const body = c.req.valid("json");
  const batch = parseV1Documents(body.documents);
  c.get("timing").lap("parse");
  const r = await service(c).upsert(ns, batch, body.condition);
  c.set("metrics", { namespace: ns, operation: "upsert", rows: r.affected });
  return c.json({ upserted: r.affected, sequence: r.sequence, took_ms: tookMs(c) });
});

v1Namespaces.post("/:ns/patch", validated(contract.patchDocuments), async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "write", ns);
  const body = c.req.valid("json");
  const batch = parseV1Patches(body.documents);
  c.get("timing").lap("parse");
  const r = await service(c).patch(ns, batch, body.condition);
  c.set("metrics", { namespace: ns, operation: "patch", rows: r.affected });
  return c.json({ patched: r.affected, sequence: r.sequence, took_ms: tookMs(c) });
});

v1Namespaces.post("/:ns/delete", validated(contract.deleteDocuments), async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "write", ns);
  const body = c.req.valid("json");
  if (body.filter !== undefined) {
    const r = await service(c).deleteByFilter(ns, body.filter);
    return c.json({ deleted: r.affected, sequence: r.sequence, took_ms: tookMs(c) });
  }
  const { ids } = parseIds(body.ids!, "ids");
  c.get("timing").lap("parse");
  const r = await service(c).deleteIds(ns, ids, body.condition);
  return c.json({ deleted: r.affected, sequence: r.sequence, took_ms: tookMs(c) });
});

v1Namespaces.post("/:ns/fetch", validated(contract.fetchDocuments), async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "read", ns);
  const body = c.req.valid("json");
  const { ids } = parseIds(body.ids, "ids");
  // No schema at hand: names the documents lack are simply absent from the answer.
  const names = body.include_attributes;
  const attributes = names === undefined || names === true ? null : names === false ? [] : names.filter((n) => n !== "id");
  const include = { vector: body.include_vector === true, attributes };
  const r = await service(c).fetch(ns, ids, include);
  return c.json({ documents: r.documents.map((d) => renderDocument(r.schema, d, false)) });
});

v1Namespaces.post("/:ns/query", validated(contract.queryDocuments), async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "read", ns);
  const raw = c.req.valid("json");
  const r = await service(c).query(ns, raw);
  c.set("metrics", {
    namespace: ns,
    operation: "query",
    rows: r.hits.length,
    cacheHitRatio: r.performance.cache_hit_ratio,
    objectReads: r.performance.object_reads,
    bytesRead: r.performance.bytes_read,
  });
  const aggregations = r.aggregate
    ? r.aggregate.totals
      ? { aggregations: r.aggregate.totals }
      : { aggregation_groups: r.aggregate.groups!.map((g) => ({ ...renderAttributes(r.schema, g.values), ...g.counts })) }
    : {};
  return c.json({
    ...(r.aggregate ? {} : { results: r.hits.map((h) => renderDocument(r.schema, h, !raw.order_by)) }),
    ...aggregations,
    took_ms: tookMs(c),
    performance: r.performance,
  });
});
