/**
 * Namespace operations as an API key may perform them: the NamespaceService wrapped with the
 * policy every HTTP API must apply — scope and namespace-prefix checks, request rates, quotas, and
 * the audit entry and usage report of every write. Both APIs go through this class, so a route
 * cannot forget a check; an operation that is not wrapped here is simply not available.
 *
 * Isolation itself is structural: the service addresses Durable Objects and catalog rows by the
 * caller's tenant, which comes from the API key, so another tenant's namespace is indistinguishable
 * from one that does not exist.
 */
import type { NamespaceDescription, WriteRequestOutcome, WriteResult } from "../../durable-objects/namespace-do.ts";
import type { WriteRequest } from "../../durable-objects/write-request.ts";
import { EngineError } from "../core/errors.ts";
import type { FilterInput } from "../core/query/filter-input.ts";
import type { QueryInput } from "../core/query/query-input.ts";
import { D1Catalog, type Scope } from "../catalog/d1-catalog.ts";
import { checkNamespaceName } from "../core/schema/names.ts";
import type { DocId } from "../core/types.ts";
import type { PatchBatch, UpsertBatch } from "../core/wal/write-batch.ts";
import type { StageTimer } from "../core/stage-timer.ts";
import type { Env } from "../env.ts";
import { type AuthInfo, authorize, clampListPrefix } from "./access.ts";
import { type MultiQueryOutcome, NamespaceService, type QueryOutcome, type RecallOptions, type RecallReport } from "./namespace-service.ts";
import { TenantGate } from "./tenant-gate.ts";

export class GuardedNamespaceService {
  private readonly inner: NamespaceService;
  private readonly catalog: D1Catalog;
  private readonly auth: AuthInfo;
  readonly gate: TenantGate;
  private readonly timer: StageTimer | undefined;

  /** `timer`: the request's; writes record their stages in it (admit, do, do-*, report). */
  constructor(env: Env, auth: AuthInfo, requestId: string, defer: (p: Promise<unknown>) => void, timer?: StageTimer) {
    this.inner = new NamespaceService(env, auth.tenant, defer);
    this.catalog = new D1Catalog(env.DB);
    this.auth = auth;
    this.gate = new TenantGate(env, { tenant: auth.tenant, keyId: auth.keyId, limits: auth.limits, requestId }, defer);
    this.timer = timer;
  }

  /** Awaits a Durable Object call as the `do` stage (failed or not) and adds the object's own stages (`do-commit`, …). */
  private async timed<R extends { timing?: Record<string, number> }>(call: Promise<R>): Promise<R> {
    const t = this.timer;
    try {
      const r = await call;
      for (const [name, ms] of Object.entries(r.timing ?? {})) t?.add(`do-${name}`, ms);
      return r;
    } finally {
      t?.lap("do");
    }
  }

  /** Names are checked first: a malformed one is a 400 before any lookup or token is spent. */
  private async read(namespace?: string): Promise<void> {
    if (namespace !== undefined) checkNamespaceName(namespace);
    authorize(this.auth, "read", namespace);
    await this.gate.admit("query");
  }

  private async admitWrite(scope: Scope, namespace: string): Promise<void> {
    checkNamespaceName(namespace);
    authorize(this.auth, scope, namespace);
    await this.gate.admit("write");
    this.timer?.lap("admit");
  }

  private reportWrite(action: string, namespace: string, r: Pick<WriteResult, "affected" | "sequence" | "usage">, condition?: unknown): void {
    this.gate.report({
      action,
      namespace,
      rows: r.affected,
      change: "write",
      documents: r.usage?.documents,
      stored_bytes: r.usage?.stored_bytes,
      sequence: r.sequence,
      ...(condition !== undefined && condition !== null ? { detail: { conditional: true } } : {}),
    });
    this.timer?.lap("report");
  }

  async create(ns: string, schema: unknown): Promise<{ created: boolean; description: NamespaceDescription }> {
    await this.admitWrite("write", ns);
    // Re-creating an existing namespace (200, or 409) is not a new namespace.
    if (!(await this.catalog.getNamespace(this.auth.tenant, ns))) await this.gate.checkNamespaceQuota();
    const r = await this.inner.create(ns, schema);
    if (r.created) this.gate.report({ action: "namespace.create", namespace: ns, rows: null, change: "create" });
    return r;
  }

  async describe(ns: string): Promise<NamespaceDescription> {
    await this.read(ns);
    return this.inner.describe(ns);
  }

  async list(options: { prefix?: string; cursor?: string; limit: number }) {
    await this.read();
    return this.inner.list({ ...options, prefix: clampListPrefix(this.auth, options.prefix) });
  }

  async drop(ns: string): Promise<void> {
    await this.admitWrite("admin", ns);
    await this.inner.drop(ns);
    this.gate.report({ action: "namespace.delete", namespace: ns, rows: null, change: "drop" });
  }

  async upsert(ns: string, batch: UpsertBatch, condition?: unknown): Promise<WriteResult> {
    await this.admitWrite("write", ns);
    this.gate.checkStorageQuota();
    const r = await this.timed(this.inner.upsert(ns, batch, condition));
    this.reportWrite("documents.upsert", ns, r, condition);
    return r;
  }

  /** Patches only change existing documents, but they may grow them: the storage quota applies. */
  async patch(ns: string, batch: PatchBatch, condition?: unknown): Promise<WriteResult> {
    await this.admitWrite("write", ns);
    this.gate.checkStorageQuota();
    const r = await this.timed(this.inner.patch(ns, batch, condition));
    this.reportWrite("documents.patch", ns, r, condition);
    return r;
  }

  /** Deletes are never refused by a quota: they are how a tenant gets back under one. */
  async deleteIds(ns: string, ids: DocId[], condition?: unknown): Promise<WriteResult> {
    await this.admitWrite("write", ns);
    const r = await this.timed(this.inner.deleteIds(ns, ids, condition));
    this.reportWrite("documents.delete", ns, r, condition);
    return r;
  }

  async deleteByFilter(ns: string, filter: unknown): Promise<WriteResult> {
    await this.admitWrite("write", ns);
    const r = await this.timed(this.inner.deleteByFilter(ns, filter));
    this.reportWrite("documents.delete_by_filter", ns, r);
    return r;
  }

  async fetch(ns: string, ids: DocId[], include: { vector: boolean; attributes: string[] | null }) {
    await this.read(ns);
    return this.inner.fetch(ns, ids, include);
  }

  async query(ns: string, raw: unknown): Promise<QueryOutcome> {
    await this.read(ns);
    return this.inner.query(ns, raw);
  }

  async queryMany(ns: string, inputs: QueryInput[], eventual: boolean): Promise<MultiQueryOutcome> {
    await this.read(ns);
    return this.inner.queryMany(ns, inputs, eventual);
  }

  async schema(ns: string) {
    await this.read(ns);
    return this.inner.schema(ns);
  }

  /** Reading every segment's footer and index directory is a read. */
  async warm(ns: string) {
    await this.read(ns);
    return this.inner.warm(ns);
  }

  /**
   * A multi-part write (turbopuffer's). When the namespace does not exist and `creates` is set, the
   * namespace quota is checked and the write is retried with creation, in one Durable Object call.
   */
  async write(ns: string, request: WriteRequest, creates: boolean): Promise<WriteRequestOutcome> {
    await this.admitWrite("write", ns);
    if (request.upsert || request.patch || request.patchByFilter) this.gate.checkStorageQuota();
    let r: WriteRequestOutcome;
    try {
      r = await this.timed(this.inner.write(ns, request, false));
    } catch (err) {
      if (!(creates && err instanceof EngineError && err.code === "NAMESPACE_NOT_FOUND")) throw err;
      await this.gate.checkNamespaceQuota();
      r = await this.timed(this.inner.write(ns, request, true));
    }
    if (r.created) this.gate.report({ action: "namespace.create", namespace: ns, rows: null, change: "create" });
    if (r.schemaChanged) {
      this.gate.report({ action: "namespace.schema_update", namespace: ns, rows: null, change: "write", documents: r.usage.documents, stored_bytes: r.usage.stored_bytes, sequence: r.sequence });
    }
    const parts: [string, Pick<WriteResult, "affected" | "sequence"> | null, FilterInput | undefined][] = [
      ["documents.delete_by_filter", r.deletedByFilter, undefined],
      ["documents.patch_by_filter", r.patchedByFilter, undefined],
      ["documents.upsert", r.upserted, request.upsert?.condition],
      ["documents.patch", r.patched, request.patch?.condition],
      ["documents.delete", r.deleted, request.deletes?.condition],
    ];
    for (const [action, part, condition] of parts) {
      if (part) this.reportWrite(action, ns, { ...part, usage: r.usage }, condition);
    }
    return r;
  }

  async recall(ns: string, options: RecallOptions): Promise<RecallReport> {
    await this.read(ns);
    return this.inner.recall(ns, options);
  }
}
