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
import type { NamespaceDescription, WriteResult } from "../../durable-objects/namespace-do.ts";
import { D1Catalog, type Scope } from "../catalog/d1-catalog.ts";
import { checkNamespaceName } from "../core/schema/names.ts";
import type { DocId } from "../core/types.ts";
import type { PatchBatch, UpsertBatch } from "../core/wal/write-batch.ts";
import type { Env } from "../env.ts";
import { type AuthInfo, authorize, clampListPrefix } from "./access.ts";
import { NamespaceService, type QueryOutcome, type RecallReport } from "./namespace-service.ts";
import { TenantGate } from "./tenant-gate.ts";

export class GuardedNamespaceService {
  private readonly inner: NamespaceService;
  private readonly catalog: D1Catalog;
  private readonly auth: AuthInfo;
  readonly gate: TenantGate;

  constructor(env: Env, auth: AuthInfo, requestId: string, defer: (p: Promise<unknown>) => void) {
    this.inner = new NamespaceService(env, auth.tenant, defer);
    this.catalog = new D1Catalog(env.DB);
    this.auth = auth;
    this.gate = new TenantGate(env, { tenant: auth.tenant, keyId: auth.keyId, limits: auth.limits, requestId }, defer);
  }

  /** Names are checked first: a malformed one is a 400 before any lookup or token is spent. */
  private async read(namespace?: string): Promise<void> {
    if (namespace !== undefined) checkNamespaceName(namespace);
    authorize(this.auth, "read", namespace);
    await this.gate.admit("query");
  }

  private async write(scope: Scope, namespace: string): Promise<void> {
    checkNamespaceName(namespace);
    authorize(this.auth, scope, namespace);
    await this.gate.admit("write");
  }

  private reportWrite(action: string, namespace: string, r: WriteResult, condition?: unknown): void {
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
  }

  async create(ns: string, schema: unknown): Promise<{ created: boolean; description: NamespaceDescription }> {
    await this.write("write", ns);
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
    await this.write("admin", ns);
    await this.inner.drop(ns);
    this.gate.report({ action: "namespace.delete", namespace: ns, rows: null, change: "drop" });
  }

  async upsert(ns: string, batch: UpsertBatch, condition?: unknown): Promise<WriteResult> {
    await this.write("write", ns);
    this.gate.checkStorageQuota();
    const r = await this.inner.upsert(ns, batch, condition);
    this.reportWrite("documents.upsert", ns, r, condition);
    return r;
  }

  /** Patches only change existing documents, but they may grow them: the storage quota applies. */
  async patch(ns: string, batch: PatchBatch, condition?: unknown): Promise<WriteResult> {
    await this.write("write", ns);
    this.gate.checkStorageQuota();
    const r = await this.inner.patch(ns, batch, condition);
    this.reportWrite("documents.patch", ns, r, condition);
    return r;
  }

  /** Deletes are never refused by a quota: they are how a tenant gets back under one. */
  async deleteIds(ns: string, ids: DocId[], condition?: unknown): Promise<WriteResult> {
    await this.write("write", ns);
    const r = await this.inner.deleteIds(ns, ids, condition);
    this.reportWrite("documents.delete", ns, r, condition);
    return r;
  }

  async deleteByFilter(ns: string, filter: unknown): Promise<WriteResult> {
    await this.write("write", ns);
    const r = await this.inner.deleteByFilter(ns, filter);
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

  async recall(ns: string, num: number, topK: number): Promise<RecallReport> {
    await this.read(ns);
    return this.inner.recall(ns, num, topK);
  }
}
