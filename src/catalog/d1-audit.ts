/**
 * The audit log and usage snapshots in D1: statements that insert entries (idempotently, so a
 * retried delivery inserts nothing twice), newest-first listing with a cursor, and the usage row a
 * tenant's Durable Object copies from its live counters. Entries never hold key material.
 */
import { InvalidArgumentError } from "../core/errors.ts";

export interface AuditEntry {
  /** Unique per entry (a UUID); makes redelivery idempotent. */
  id: string;
  /** Milliseconds since the epoch, when the action was acknowledged. */
  at: number;
  tenant_id: string | null;
  /** The API key id for data-plane writes, 'admin' for the admin API. */
  actor: string;
  /** e.g. documents.upsert, namespace.delete, tenant.suspend, key.create. */
  action: string;
  namespace: string | null;
  rows: number | null;
  request_id: string | null;
  detail: Record<string, unknown> | null;
}

export interface UsageSnapshot {
  documents: number;
  stored_bytes: number;
  write_requests: number;
  query_requests: number;
  rows_written: number;
}

export const MAX_AUDIT_PAGE = 1000;

export function auditInsert(db: D1Database, e: AuditEntry): D1PreparedStatement {
  return db
    .prepare(
      "INSERT INTO audit_log (id, at, tenant_id, actor, action, namespace, rows, request_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
    )
    .bind(e.id, e.at, e.tenant_id, e.actor, e.action, e.namespace, e.rows, e.request_id, e.detail ? JSON.stringify(e.detail) : null);
}

export function usageUpsert(db: D1Database, tenantId: string, u: UsageSnapshot, at: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO tenant_usage (tenant_id, documents, stored_bytes, write_requests, query_requests, rows_written, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(tenant_id) DO UPDATE SET documents = excluded.documents, stored_bytes = excluded.stored_bytes, write_requests = excluded.write_requests,
         query_requests = excluded.query_requests, rows_written = excluded.rows_written, updated_at = excluded.updated_at`,
    )
    .bind(tenantId, u.documents, u.stored_bytes, u.write_requests, u.query_requests, u.rows_written, at);
}

export interface AuditPage {
  entries: (Omit<AuditEntry, "at"> & { at: string })[];
  next_cursor?: string;
}

/** Entries newest first; `cursor` is the opaque `next_cursor` of the previous page. */
export async function listAudit(db: D1Database, options: { tenant?: string; cursor?: string; limit: number }): Promise<AuditPage> {
  let before = Number.MAX_SAFE_INTEGER;
  if (options.cursor !== undefined) {
    if (!/^[1-9][0-9]{0,15}$/.test(options.cursor)) throw new InvalidArgumentError(`audit: invalid cursor ${JSON.stringify(options.cursor.slice(0, 40))}`);
    before = Number(options.cursor);
  }
  const where = options.tenant !== undefined ? "WHERE tenant_id = ? AND seq < ?" : "WHERE seq < ?";
  const binds: unknown[] = options.tenant !== undefined ? [options.tenant, before] : [before];
  const rows = await db
    .prepare(`SELECT seq, id, at, tenant_id, actor, action, namespace, rows, request_id, detail FROM audit_log ${where} ORDER BY seq DESC LIMIT ?`)
    .bind(...binds, options.limit + 1)
    .all<Record<string, unknown>>();
  const more = rows.results.length > options.limit;
  const page = more ? rows.results.slice(0, options.limit) : rows.results;
  return {
    entries: page.map((r) => ({
      id: r.id as string,
      at: new Date(r.at as number).toISOString(),
      tenant_id: (r.tenant_id as string | null) ?? null,
      actor: r.actor as string,
      action: r.action as string,
      namespace: (r.namespace as string | null) ?? null,
      rows: (r.rows as number | null) ?? null,
      request_id: (r.request_id as string | null) ?? null,
      detail: r.detail ? (JSON.parse(r.detail as string) as Record<string, unknown>) : null,
    })),
    ...(more ? { next_cursor: String(page[page.length - 1].seq) } : {}),
  };
}
