/**
 * The Worker's side of per-tenant limits and the audit trail of writes.
 *
 * Rate limits: each isolate draws tokens from the tenant Durable Object's token bucket in leases of
 * up to a tenth of the per-second rate and spends them locally, so a busy isolate calls the object
 * about ten times a second per kind and an idle tenant's requests call it once each. Leases expire
 * after LEASE_TTL_MS. Precision: over any interval of T seconds the tenant is admitted at most
 * rate × (T + 2) requests across all isolates (one second of burst, plus tokens leased up to one
 * lease lifetime before the interval); tokens leased to an isolate that does not use them in time
 * are lost, so under load spread over many isolates admissions can fall short of the rate by up to
 * one lease (a tenth of the rate) per isolate per second.
 *
 * Quotas: documents and stored bytes are checked before an upsert against the tenant's usage as of
 * this isolate's last exchange with the tenant object (every lease and every write report refresh
 * it), so a tenant can pass a quota by the writes in flight when it is crossed. Deletes are always
 * admitted, so a tenant over quota can get back under it. The namespace count is checked in D1.
 *
 * If the tenant object cannot be reached, requests are admitted (fail open) and the error is logged:
 * limits protect the service, they must not take it down.
 */
import type { LeaseGrant, LiveUsage, RequestKind, TenantDO, WriteReport } from "../../durable-objects/tenant-do.ts";
import type { AuditEntry } from "../catalog/d1-audit.ts";
import { D1Tenants } from "../catalog/d1-tenants.ts";
import type { TenantLimits } from "../catalog/tenant-limits.ts";
import { EngineError } from "../core/errors.ts";
import type { Env } from "../env.ts";

export const LEASE_TTL_MS = 1000;
/** A lease asks for this fraction of the per-second rate. */
const LEASE_DIVISOR = 10;
/** How long a quota refusal tells the client to wait: about when changed limits reach every isolate. */
const QUOTA_RETRY_MS = 30_000;
const REPORT_ATTEMPTS = 3;

interface Lease {
  tokens: number;
  expiresAt: number;
  rate: number;
}

/** Per isolate: unexpired leases by `${tenant}:${kind}`, tokens that expired unused, latest usage. */
const leases = new Map<string, Lease>();
const unusedTokens = new Map<string, number>();
/** Lease requests in flight, shared by the isolate's concurrent requests of one tenant and kind. */
const leasing = new Map<string, Promise<"leased" | "open" | number>>();
const usageSeen = new Map<string, LiveUsage>();
const MAX_TRACKED_TENANTS = 10_000;
/** Reports one record call carries at most (the tenant object writes them in one transaction). */
const MAX_REPORT_BATCH = 100;

/**
 * Write reports of this isolate waiting to be sent, per tenant, and the record call in flight.
 * Whichever request finds reports waiting (its own among them) and no call in flight sends them
 * all in one call, in its own request context, so its waitUntil covers that call; the others'
 * waitUntil awaits the batch their report went out in.
 */
interface ReportQueue {
  waiting: { report: WriteReport; sent: (call: Promise<void>) => void }[];
  inFlight: Promise<void> | null;
}
const reportQueues = new Map<string, ReportQueue>();

/** Forgets this isolate's leases and usage (tests). */
export function resetTenantGates(): void {
  leases.clear();
  unusedTokens.clear();
  leasing.clear();
  usageSeen.clear();
  reportQueues.clear();
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_TRACKED_TENANTS) map.delete(map.keys().next().value as string);
}

export interface Caller {
  tenant: string;
  /** The API key id, recorded as the actor of audit entries. */
  keyId: string;
  limits: TenantLimits;
  requestId: string;
}

export type TenantStub = Pick<TenantDO, "lease" | "record" | "usage" | "flushNow">;

export function tenantStub(env: Env, tenant: string): TenantStub {
  return env.TENANT.get(env.TENANT.idFromName(`tenant:${tenant}`)) as unknown as TenantStub;
}

export class TenantGate {
  private readonly env: Env;
  private readonly caller: Caller;
  private readonly defer: (p: Promise<unknown>) => void;

  constructor(env: Env, caller: Caller, defer: (p: Promise<unknown>) => void) {
    this.env = env;
    this.caller = caller;
    this.defer = defer;
  }

  private rate(kind: RequestKind): number {
    return kind === "write" ? this.caller.limits.write_requests_per_second : this.caller.limits.query_requests_per_second;
  }

  /**
   * Admits one request of `kind` or throws RATE_LIMITED with the wait until the next token.
   * Concurrent requests of the isolate share one lease request: each asking for its own lease let a
   * burst of a hundred requests on a fresh isolate ask for a hundred leases, drain the bucket and
   * be refused although the tenant was far below its rate.
   */
  async admit(kind: RequestKind): Promise<void> {
    const key = `${this.caller.tenant}:${kind}`;
    const rate = this.rate(kind);
    for (;;) {
      const lease = leases.get(key);
      if (lease && (lease.expiresAt <= Date.now() || lease.rate !== rate)) {
        unusedTokens.set(key, (unusedTokens.get(key) ?? 0) + lease.tokens);
        leases.delete(key);
      } else if (lease && lease.tokens >= 1) {
        lease.tokens--;
        return;
      }
      let pending = leasing.get(key);
      if (!pending) {
        pending = this.lease(key, kind, rate).finally(() => leasing.delete(key));
        leasing.set(key, pending);
      }
      const outcome = await pending;
      if (outcome === "open") return;
      if (typeof outcome === "number") {
        const name = kind === "write" ? "write_requests_per_second" : "query_requests_per_second";
        throw new EngineError("RATE_LIMITED", `rate limit: the tenant's ${name} limit is ${rate}; retry after ${outcome} ms`, outcome);
      }
      // "leased": take a token on the next turn (or lease again when the waiters used them all)
    }
  }

  /** One lease from the tenant object: "leased", a retry-after in ms when refused, "open" when unreachable. */
  private async lease(key: string, kind: RequestKind, rate: number): Promise<"leased" | "open" | number> {
    const unused = unusedTokens.get(key) ?? 0;
    unusedTokens.delete(key);
    let grant: LeaseGrant;
    try {
      grant = await tenantStub(this.env, this.caller.tenant).lease({
        tenant: this.caller.tenant,
        kind,
        want: Math.max(1, Math.floor(rate / LEASE_DIVISOR)),
        ratePerSecond: rate,
        unused,
      });
    } catch (err) {
      unusedTokens.set(key, (unusedTokens.get(key) ?? 0) + unused);
      console.error(JSON.stringify({ msg: "rate limiter unavailable; admitting", tenant: this.caller.tenant, request_id: this.caller.requestId, error: String(err) }));
      return "open";
    }
    remember(usageSeen, this.caller.tenant, grant.usage);
    if (grant.granted === 0) return grant.retryAfterMs;
    remember(leases, key, { tokens: grant.granted, expiresAt: Date.now() + LEASE_TTL_MS, rate });
    return "leased";
  }

  /** Throws QUOTA_EXCEEDED when the tenant's documents or stored bytes are at their limit. */
  checkStorageQuota(): void {
    const usage = usageSeen.get(this.caller.tenant);
    if (!usage) return;
    const { max_documents, max_stored_bytes } = this.caller.limits;
    if (usage.documents >= max_documents) {
      throw new EngineError("QUOTA_EXCEEDED", `quota: the tenant holds ${usage.documents} documents and its max_documents limit is ${max_documents}; delete documents or raise the limit`, QUOTA_RETRY_MS);
    }
    if (usage.stored_bytes >= max_stored_bytes) {
      throw new EngineError("QUOTA_EXCEEDED", `quota: the tenant stores ${usage.stored_bytes} bytes and its max_stored_bytes limit is ${max_stored_bytes}; delete data or raise the limit`, QUOTA_RETRY_MS);
    }
  }

  /** Throws QUOTA_EXCEEDED when the tenant already holds max_namespaces namespaces. */
  async checkNamespaceQuota(): Promise<void> {
    const max = this.caller.limits.max_namespaces;
    const count = await new D1Tenants(this.env.DB).countNamespaces(this.caller.tenant);
    if (count >= max) {
      throw new EngineError("QUOTA_EXCEEDED", `quota: the tenant has ${count} namespaces and its max_namespaces limit is ${max}; delete a namespace or raise the limit`, QUOTA_RETRY_MS);
    }
  }

  /** An audit entry for an action of this caller. */
  entry(action: string, namespace: string | null, rows: number | null, detail: Record<string, unknown> | null = null): AuditEntry {
    return { id: crypto.randomUUID(), at: Date.now(), tenant_id: this.caller.tenant, actor: this.caller.keyId, action, namespace, rows, request_id: this.caller.requestId, detail };
  }

  /**
   * Sends a write's audit entry and usage to the tenant object after the response: it waits one
   * turn of the event loop (so the response goes first and the call is off the write's path),
   * then goes with every report of this isolate's other requests waiting by then, in one call
   * (retried; if every attempt fails the entries are logged in full so that they are still in the
   * Workers logs). The request's waitUntil covers the call its report goes out in.
   */
  report(report: Omit<WriteReport, "audit"> & { action: string; rows: number | null; detail?: Record<string, unknown> }): void {
    const { action, rows, detail, ...rest } = report;
    const full: WriteReport = { ...rest, audit: this.entry(action, report.namespace, rows, detail ?? null) };
    this.defer(this.send(full));
  }

  private async send(report: WriteReport): Promise<void> {
    const tenant = this.caller.tenant;
    let queue = reportQueues.get(tenant);
    if (!queue) remember(reportQueues, tenant, (queue = { waiting: [], inFlight: null }));
    const q = queue;
    const mine: { call: Promise<void> | null } = { call: null };
    q.waiting.push({ report, sent: (call) => (mine.call = call) });
    await new Promise((r) => setTimeout(r, 0));
    for (;;) {
      if (mine.call) return mine.call;
      if (q.inFlight) {
        await q.inFlight.catch(() => {});
        continue;
      }
      // Nothing in flight and our report still waits: send what waits, in this request's context.
      const batch = q.waiting.splice(0, MAX_REPORT_BATCH);
      const call: Promise<void> = this.deliver(batch.map((b) => b.report)).finally(() => {
        if (q.inFlight === call) q.inFlight = null;
      });
      q.inFlight = call;
      for (const b of batch) b.sent(call);
    }
  }

  private async deliver(reports: WriteReport[]): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < REPORT_ATTEMPTS; attempt++) {
      try {
        remember(usageSeen, this.caller.tenant, await tenantStub(this.env, this.caller.tenant).record(this.caller.tenant, reports));
        return;
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 50 * 4 ** attempt));
      }
    }
    for (const report of reports) console.error(JSON.stringify({ msg: "audit delivery failed", audit: report.audit, error: String(lastError) }));
  }
}
