/**
 * The Elacsym API (v1) routes: namespaces (create, describe, list, delete), documents (upsert,
 * delete, fetch) and query. Handlers validate, call the NamespaceService and shape responses.
 */
import { Hono } from "hono";
import { readConfig } from "../../config.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { parseIncludeAttributesLoose } from "../../core/query/include.ts";
import { parseIds, parseV1Documents, parseV1Patches } from "../../core/wal/write-batch.ts";
import { GuardedNamespaceService } from "../../service/guarded-namespace-service.ts";
import { readJsonBody } from "../body.ts";
import { type AppContext, type AppEnv, deferOf } from "../context.ts";
import { authorize } from "../middleware/auth.ts";
import { renderAttributes, renderDocument } from "../render.ts";

const MAX_LIST_LIMIT = 1000;

/** Every operation goes through the tenant's policy: scopes, prefix, rate limits, quotas, audit. */
function service(c: AppContext): GuardedNamespaceService {
  return new GuardedNamespaceService(c.env, c.get("auth"), c.get("requestId"), deferOf(c));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function onlyKeys(raw: Record<string, unknown>, allowed: string[], shape: string): void {
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k)) throw new InvalidArgumentError(`request: unknown field '${k}' (expected ${shape})`);
  }
}

async function body(c: AppContext): Promise<Record<string, unknown>> {
  const raw = await readJsonBody(c, readConfig(c.env).maxBodyBytes);
  if (!isObject(raw)) throw new InvalidArgumentError("request: expected a JSON object");
  return raw;
}

export const v1Namespaces = new Hono<AppEnv>();

/**
 * Shared with the turbopuffer-compatible API (its `GET /v1/namespaces`): items carry both `name`
 * (Elacsym) and `id` (turbopuffer), and `page_size` is accepted for `limit`.
 */
v1Namespaces.get("/", async (c) => {
  authorize(c.get("auth"), "read");
  const limitName = c.req.query("limit") === undefined && c.req.query("page_size") !== undefined ? "page_size" : "limit";
  const limitRaw = c.req.query(limitName);
  const limit = limitRaw === undefined ? 100 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new InvalidArgumentError(`${limitName}: expected an integer from 1 to ${MAX_LIST_LIMIT}`);
  }
  // A prefix-restricted key lists only inside its prefix (the service narrows `prefix`).
  const page = await service(c).list({ prefix: c.req.query("prefix") ?? undefined, cursor: c.req.query("cursor") ?? undefined, limit });
  return c.json({
    namespaces: page.namespaces.map((n) => ({ id: n.name, name: n.name, created_at: new Date(n.created_at).toISOString() })),
    ...(page.next_cursor ? { next_cursor: page.next_cursor } : {}),
  });
});

v1Namespaces.put("/:ns", async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "write", ns);
  const raw = await body(c);
  for (const k of Object.keys(raw)) if (k !== "schema") throw new InvalidArgumentError(`request: unknown field '${k}' (expected {"schema": {...}})`);
  const r = await service(c).create(ns, raw.schema);
  return c.json(r.description, r.created ? 201 : 200);
});

v1Namespaces.get("/:ns", async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "read", ns);
  return c.json(await service(c).describe(ns));
});

// POST /v1/namespaces/:ns/_debug/recall is served for both APIs by routes/turbopuffer.ts (same shape).

/** Counters and storage figures of one namespace (the Prometheus /metrics view, as JSON). */
v1Namespaces.get("/:ns/stats", async (c) => {
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

v1Namespaces.delete("/:ns", async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "admin", ns);
  await service(c).drop(ns);
  return c.json({ deleted: true });
});

v1Namespaces.post("/:ns/upsert", async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "write", ns);
  const raw = await body(c);
  onlyKeys(raw, ["documents", "condition"], '{"documents": [...], "condition"?: F}');
  const batch = parseV1Documents(raw.documents);
  const r = await service(c).upsert(ns, batch, raw.condition);
  c.set("metrics", { namespace: ns, operation: "upsert", rows: r.affected });
  return c.json({ upserted: r.affected, sequence: r.sequence });
});

v1Namespaces.post("/:ns/patch", async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "write", ns);
  const raw = await body(c);
  onlyKeys(raw, ["documents", "condition"], '{"documents": [{"id", "attributes"}], "condition"?: F}');
  const r = await service(c).patch(ns, parseV1Patches(raw.documents), raw.condition);
  c.set("metrics", { namespace: ns, operation: "patch", rows: r.affected });
  return c.json({ patched: r.affected, sequence: r.sequence });
});

v1Namespaces.post("/:ns/delete", async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "write", ns);
  const raw = await body(c);
  onlyKeys(raw, ["ids", "condition", "filter"], '{"ids": [...], "condition"?: F} or {"filter": F}');
  if (raw.filter !== undefined) {
    if (raw.ids !== undefined || raw.condition !== undefined) throw new InvalidArgumentError("delete: pass either ids (with an optional condition) or a filter");
    const r = await service(c).deleteByFilter(ns, raw.filter);
    return c.json({ deleted: r.affected, sequence: r.sequence });
  }
  const { ids } = parseIds(raw.ids, "ids");
  const r = await service(c).deleteIds(ns, ids, raw.condition);
  return c.json({ deleted: r.affected, sequence: r.sequence });
});

v1Namespaces.post("/:ns/fetch", async (c) => {
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "read", ns);
  const raw = await body(c);
  for (const k of Object.keys(raw)) {
    if (!["ids", "include_vector", "include_attributes"].includes(k)) throw new InvalidArgumentError(`request: unknown field '${k}'`);
  }
  const { ids } = parseIds(raw.ids, "ids");
  if (raw.include_vector !== undefined && typeof raw.include_vector !== "boolean") throw new InvalidArgumentError("include_vector: expected true or false");
  const include = { vector: raw.include_vector === true, attributes: parseIncludeAttributesLoose(raw.include_attributes) };
  const r = await service(c).fetch(ns, ids, include);
  return c.json({ documents: r.documents.map((d) => renderDocument(r.schema, d, false)) });
});

v1Namespaces.post("/:ns/query", async (c) => {
  const started = Date.now();
  const ns = c.req.param("ns");
  authorize(c.get("auth"), "read", ns);
  const raw = await body(c);
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
    ...(r.aggregate ? {} : { results: r.hits.map((h) => renderDocument(r.schema, h, !(raw as { order_by?: unknown }).order_by)) }),
    ...aggregations,
    took_ms: Date.now() - started,
    performance: r.performance,
  });
});
