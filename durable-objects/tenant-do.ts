/**
 * The tenant Durable Object: one per tenant (`idFromName("tenant:{id}")`), the tenant-wide
 * counterpart of the namespace Durable Objects. It owns
 *   - the request-rate token buckets (write and query), which Workers draw from in leases;
 *   - live usage: documents and stored bytes per namespace (as reported after each write), request
 *     and row counters;
 *   - an outbox of audit entries for data-plane writes, durable here as soon as `record` returns.
 * Its alarm copies the outbox and a usage snapshot to D1 in batches (at-least-once, idempotent by
 * entry id), so D1 sees a few writes per tenant per second at most, never one per request.
 * Token buckets live in memory: if the object is evicted they restart full (one extra burst).
 */
import { DurableObject } from "cloudflare:workers";
import { type AuditEntry, type UsageSnapshot, auditInsert, usageUpsert } from "../src/catalog/d1-audit.ts";
import { type TokenBucket, fullBucket, takeTokens } from "../src/core/limits/token-bucket.ts";
import type { Env } from "../src/env.ts";

export type RequestKind = "write" | "query";

/** Delay from the first unflushed audit entry to its copy into D1. */
export const AUDIT_FLUSH_DELAY_MS = 1000;
/** Delay from a counter change to the usage snapshot in D1 when no audit entry is waiting. */
export const USAGE_SNAPSHOT_DELAY_MS = 10_000;
const FLUSH_BATCH = 50;
/** How long the tombstone of a dropped namespace is kept to ignore late reports about it. */
const TOMBSTONE_MS = 3_600_000;

export interface LeaseRequest {
  tenant: string;
  kind: RequestKind;
  want: number;
  ratePerSecond: number;
  /** Tokens of earlier leases the caller let expire unused (corrects the request counters). */
  unused: number;
}

export interface LiveUsage extends UsageSnapshot {
  /** Namespaces with reported usage (not dropped). */
  namespaces_reported: number;
}

export interface LeaseGrant {
  granted: number;
  retryAfterMs: number;
  usage: LiveUsage;
}

/** What a Worker reports after a successful write, create or drop. */
export interface WriteReport {
  audit: AuditEntry;
  namespace: string;
  change: "write" | "create" | "drop";
  /** After a write: the namespace's live documents, stored bytes and last sequence number. */
  documents?: number;
  stored_bytes?: number;
  sequence?: number;
}

type NamespaceUsageRow = {
  name: string;
  documents: number;
  stored_bytes: number;
  sequence: number;
  at: number;
  dropped_at: number | null;
};

const COUNTERS = ["write_requests", "query_requests", "rows_written"] as const;
type Counter = (typeof COUNTERS)[number];

export class TenantDO extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly buckets = new Map<RequestKind, TokenBucket>();
  private readonly counters: Record<Counter, number> = { write_requests: 0, query_requests: 0, rows_written: 0 };
  private totals = { documents: 0, stored_bytes: 0, namespaces: 0 };
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`);
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS ns_usage (name TEXT PRIMARY KEY, documents INTEGER NOT NULL, stored_bytes INTEGER NOT NULL,
         sequence INTEGER NOT NULL, at INTEGER NOT NULL, dropped_at INTEGER)`,
    );
    this.sql.exec(`CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL)`);
    this.reloadCounters();
    this.recomputeTotals();
    ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  private reloadCounters(): void {
    for (const name of COUNTERS) this.counters[name] = 0;
    for (const row of this.sql.exec<{ name: string; value: number }>("SELECT name, value FROM counters")) {
      if ((COUNTERS as readonly string[]).includes(row.name)) this.counters[row.name as Counter] = row.value;
    }
  }

  private recomputeTotals(): void {
    const t = this.sql
      .exec<{ d: number | null; b: number | null; n: number }>("SELECT sum(documents) AS d, sum(stored_bytes) AS b, count(*) AS n FROM ns_usage WHERE dropped_at IS NULL")
      .one();
    this.totals = { documents: t.d ?? 0, stored_bytes: t.b ?? 0, namespaces: t.n };
  }

  private rememberTenant(tenant: string): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES ('tenant', ?) ON CONFLICT(k) DO NOTHING", tenant);
  }

  private tenant(): string | null {
    const rows = this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'tenant'").toArray();
    return rows.length ? rows[0].v : null;
  }

  private bump(name: Counter, by: number): void {
    if (by === 0) return;
    this.counters[name] = Math.max(0, this.counters[name] + by);
    this.sql.exec("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value", name, this.counters[name]);
  }

  private liveUsage(): LiveUsage {
    return {
      documents: this.totals.documents,
      stored_bytes: this.totals.stored_bytes,
      write_requests: this.counters.write_requests,
      query_requests: this.counters.query_requests,
      rows_written: this.counters.rows_written,
      namespaces_reported: this.totals.namespaces,
    };
  }

  private async scheduleFlush(delayMs: number): Promise<void> {
    const at = Date.now() + delayMs;
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  // ── RPC ──────────────────────────────────────────────────────────────────────────────────────

  /** Draws up to `want` tokens from the kind's bucket; grants count as requests in the usage. */
  async lease(req: LeaseRequest): Promise<LeaseGrant> {
    this.rememberTenant(req.tenant);
    const now = Date.now();
    let bucket = this.buckets.get(req.kind);
    if (!bucket) this.buckets.set(req.kind, (bucket = fullBucket(req.ratePerSecond, now)));
    const out = takeTokens(bucket, req.ratePerSecond, req.want, now);
    const counter: Counter = req.kind === "write" ? "write_requests" : "query_requests";
    this.bump(counter, out.granted - Math.max(0, Math.floor(req.unused)));
    await this.scheduleFlush(USAGE_SNAPSHOT_DELAY_MS);
    return { granted: out.granted, retryAfterMs: out.retryAfterMs, usage: this.liveUsage() };
  }

  /** Stores audit entries and applies the usage they report; durable when this returns. */
  async record(tenant: string, reports: WriteReport[]): Promise<LiveUsage> {
    this.rememberTenant(tenant);
    try {
      this.ctx.storage.transactionSync(() => {
        for (const r of reports) {
          this.sql.exec("INSERT INTO outbox (entry) VALUES (?)", JSON.stringify(r.audit));
          this.bump("rows_written", r.change === "write" ? (r.audit.rows ?? 0) : 0);
          this.applyNamespaceUsage(r);
        }
      });
    } catch (err) {
      // Rolled back: bring the in-memory figures back to what storage holds.
      this.reloadCounters();
      this.recomputeTotals();
      throw err;
    }
    await this.scheduleFlush(AUDIT_FLUSH_DELAY_MS);
    return this.liveUsage();
  }

  /** Orders reports that arrive out of order: a drop wins over older reports, a write over older writes. */
  private applyNamespaceUsage(r: WriteReport): void {
    const rows = this.sql.exec<NamespaceUsageRow>("SELECT * FROM ns_usage WHERE name = ?", r.namespace).toArray();
    const row = rows[0];
    const at = r.audit.at;
    if (row && row.dropped_at !== null && at < row.dropped_at) return;
    const alive = row !== undefined && row.dropped_at === null;
    const put = (documents: number, storedBytes: number, sequence: number, droppedAt: number | null) => {
      this.sql.exec(
        `INSERT INTO ns_usage (name, documents, stored_bytes, sequence, at, dropped_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET documents = excluded.documents, stored_bytes = excluded.stored_bytes,
           sequence = excluded.sequence, at = excluded.at, dropped_at = excluded.dropped_at`,
        r.namespace,
        documents,
        storedBytes,
        sequence,
        at,
        droppedAt,
      );
      // Totals change by the difference to what the row counted (a dropped row counts nothing).
      this.totals.documents += documents - (alive ? row.documents : 0);
      this.totals.stored_bytes += storedBytes - (alive ? row.stored_bytes : 0);
      this.totals.namespaces += (droppedAt === null ? 1 : 0) - (alive ? 1 : 0);
    };
    if (r.change === "drop") put(0, 0, 0, at);
    else if (r.change === "create") {
      if (!alive) put(0, 0, 0, null);
    } else if (!alive || (r.sequence ?? 0) >= row.sequence) {
      put(r.documents ?? 0, r.stored_bytes ?? 0, r.sequence ?? 0, null);
    }
  }

  async usage(): Promise<LiveUsage> {
    return this.liveUsage();
  }

  /** Copies the outbox and the usage snapshot to D1 now (admin reads of the audit log; tests). */
  async flushNow(): Promise<{ pending: number }> {
    await this.flushToD1();
    return { pending: this.outboxSize() };
  }

  private outboxSize(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
  }

  private async flushToD1(): Promise<void> {
    const tenant = this.tenant();
    if (!tenant) return;
    for (;;) {
      const batch = this.sql.exec<{ seq: number; entry: string }>("SELECT seq, entry FROM outbox ORDER BY seq LIMIT ?", FLUSH_BATCH).toArray();
      const statements = batch.map((b) => auditInsert(this.env.DB, JSON.parse(b.entry) as AuditEntry));
      statements.push(usageUpsert(this.env.DB, tenant, this.liveUsage(), Date.now()));
      await this.env.DB.batch(statements);
      if (batch.length === 0) return;
      this.sql.exec("DELETE FROM outbox WHERE seq <= ?", batch[batch.length - 1].seq);
      if (batch.length < FLUSH_BATCH) return;
    }
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.sql.exec("DELETE FROM ns_usage WHERE dropped_at IS NOT NULL AND dropped_at < ?", Date.now() - TOMBSTONE_MS);
    // A failure throws: the runtime retries the alarm with backoff, and entry ids make it idempotent.
    await this.flushToD1();
  }
}
