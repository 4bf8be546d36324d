/**
 * The namespace Durable Object: the single writer of one namespace. It validates writes against the
 * schema, appends them to the WAL (durable before the response), keeps the unflushed tail in memory
 * to answer its part of strongly consistent queries, and flushes to R2 from its alarm.
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig, type EngineConfig } from "../src/config.ts";
import { idKey } from "../src/core/codec/id-key.ts";
import { BackpressureError, ConflictError, DataCorruptionError, NamespaceNotFoundError } from "../src/core/errors.ts";
import type { Hit, TailAnswer } from "../src/core/query/hit.ts";
import { projectAttributes } from "../src/core/query/hit.ts";
import { type QueryPlan, planV1Query } from "../src/core/query/plan.ts";
import { evaluateTail } from "../src/core/query/tail-eval.ts";
import { type Schema, parseSchema, schemaMatches } from "../src/core/schema/schema.ts";
import { type Manifest, emptyManifest, encodeManifest } from "../src/core/segment/manifest.ts";
import type { DocId } from "../src/core/types.ts";
import { Memtable } from "../src/core/wal/memtable.ts";
import { type WalEntry, encodeWalEntry, lastSeqOf } from "../src/core/wal/wal-entry.ts";
import { type UpsertBatch, normalizeUpsert } from "../src/core/wal/write-batch.ts";
import type { Env } from "../src/env.ts";
import { type NamespaceRef, manifestKey, namespacePrefix } from "../src/storage/keys.ts";
import { R2BlobStore } from "../src/storage/r2-blob-store.ts";
import { createTables } from "./do-schema.ts";
import { Faults, FaultyBlobStore } from "./faults.ts";
import { type FlushOutcome, flushOnce } from "./flush.ts";
import { IdIndex } from "./id-index.ts";
import { type NamespaceState, MetaStore } from "./meta-store.ts";
import { type Result, capture } from "./rpc-result.ts";
import { WalTable } from "./wal-table.ts";

/** Alarm work per invocation before yielding to a fresh alarm (well inside the CPU limit). */
const ALARM_BUDGET_MS = 15_000;
const PURGE_BATCH = 1000;

export interface NamespaceDescription {
  name: string;
  schema: Schema;
  documents: number;
  segments: number;
  manifest_version: number;
  wal: { entries: number; bytes: number };
  index: { status: "up-to-date" | "updating"; unindexed_documents: number };
  created_at: string;
  updated_at: string;
  flushes: number;
}

export interface WriteResult {
  affected: number;
  sequence: number;
  /** The namespace's usage after this write, for tenant quotas: live documents and stored bytes. */
  usage: NamespaceUsage;
}

export interface NamespaceUsage {
  documents: number;
  /** Segments, deletion files and unflushed WAL. */
  stored_bytes: number;
}

export interface QuerySnapshot {
  plan: QueryPlan;
  /** The manifest to read segments from; null when the caller already holds `manifestToken`. */
  manifest: Manifest | null;
  manifestToken: string;
  tail: TailAnswer;
  ref: NamespaceRef;
  /** The current schema (it may know attributes newer than the manifest's). */
  schema: Schema;
}

export interface FetchSnapshot {
  manifest: Manifest | null;
  manifestToken: string;
  ref: NamespaceRef;
  /** Documents whose current version is in the tail, keyed by position in the request. */
  tail: { index: number; hit: Hit }[];
  /** Documents whose current version is in a segment. */
  flushed: { index: number; id: DocId; seq: number }[];
  schema: Schema;
}

/** Names one manifest version of one incarnation (versions restart when a namespace is re-created). */
export function manifestToken(state: NamespaceState, manifest: Manifest): string {
  return `${state.incarnation}:${manifest.version}`;
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export class NamespaceDO extends DurableObject<Env> {
  readonly faults = new Faults();
  private readonly sql: SqlStorage;
  private readonly meta: MetaStore;
  private readonly wal: WalTable;
  private readonly ids: IdIndex;
  private readonly memtable = new Memtable();
  /** Limits from wrangler vars; tests may lower them through runInDurableObject. */
  readonly config: EngineConfig;
  private store: FaultyBlobStore;
  private alarmPending = false;
  private corruption: string | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    createTables(this.sql);
    this.meta = new MetaStore(this.sql);
    this.wal = new WalTable(this.sql);
    this.ids = new IdIndex(this.sql);
    this.config = readConfig(env);
    this.store = new FaultyBlobStore(new R2BlobStore(env.BUCKET), this.faults);
    ctx.blockConcurrencyWhile(async () => this.replay());
  }

  /** Rebuilds the in-memory tail from the WAL, verifying every entry's CRC. */
  private replay(): void {
    this.memtable.clear();
    this.corruption = this.meta.corruption();
    const manifest = this.meta.manifest();
    if (!manifest || this.corruption) return;
    try {
      for (const entry of this.wal.read(manifest.wal_seq)) this.memtable.apply(entry);
    } catch (err) {
      if (!(err instanceof DataCorruptionError)) throw err;
      this.markCorrupt(err.message);
    }
  }

  private markCorrupt(message: string): void {
    this.corruption = `namespace is unavailable: ${message}`;
    this.meta.setCorruption(this.corruption);
    console.error(JSON.stringify({ msg: "wal corruption", detail: message }));
  }

  private requireState(): NamespaceState {
    if (this.corruption) throw new DataCorruptionError(this.corruption);
    const state = this.meta.state();
    if (!state) throw new NamespaceNotFoundError("this namespace");
    return state;
  }

  private ref(state: NamespaceState): NamespaceRef {
    return { tenant: state.tenant, namespace: state.name, incarnation: state.incarnation };
  }

  private describeState(state: NamespaceState): NamespaceDescription {
    const manifest = this.meta.manifest()!;
    let unindexed = 0;
    for (const row of this.memtable.values()) if (!row.deleted) unindexed++;
    const pending = state.wal_entries > 0;
    return {
      name: state.name,
      schema: state.schema,
      documents: state.documents,
      segments: manifest.segments.length,
      manifest_version: manifest.version,
      wal: { entries: state.wal_entries, bytes: state.wal_bytes },
      index: { status: pending ? "updating" : "up-to-date", unindexed_documents: unindexed },
      created_at: new Date(state.created_at).toISOString(),
      updated_at: new Date(state.updated_at).toISOString(),
      flushes: state.flushes,
    };
  }

  /** Live documents and stored bytes, reported to the tenant's usage after every write. */
  private usage(): NamespaceUsage {
    const state = this.meta.state();
    const manifest = this.meta.manifest();
    let bytes = state?.wal_bytes ?? 0;
    for (const s of manifest?.segments ?? []) bytes += s.bytes;
    for (const d of manifest?.deletes ?? []) bytes += d.bytes;
    return { documents: state?.documents ?? 0, stored_bytes: bytes };
  }

  // ── RPC ──────────────────────────────────────────────────────────────────────────────────────

  async create(input: { tenant: string; name: string; schema: unknown }): Promise<Result<{ created: boolean; incarnation: string; description: NamespaceDescription }>> {
    return capture(async () => {
      if (this.corruption) throw new DataCorruptionError(this.corruption);
      const schema = parseSchema(input.schema);
      const existing = this.meta.state();
      if (existing) {
        if (!schemaMatches(existing.schema, schema)) {
          throw new ConflictError(`namespace '${existing.name}' already exists with a different schema`);
        }
        return { created: false, incarnation: existing.incarnation, description: this.describeState(existing) };
      }
      const now = Date.now();
      const state: NamespaceState = {
        tenant: input.tenant,
        name: input.name,
        incarnation: `${now.toString(36)}${randomHex(4)}`,
        created_at: now,
        updated_at: now,
        schema,
        next_seq: 1,
        documents: 0,
        wal_entries: 0,
        wal_bytes: 0,
        flushes: 0,
      };
      const manifest = emptyManifest(schema, now);
      // Eventually consistent readers discover the namespace (and its schema) from R2.
      await this.store.put(manifestKey(this.ref(state), 0), encodeManifest(manifest));
      if (this.meta.state()) throw new ConflictError(`namespace '${input.name}' was created concurrently`);
      this.ctx.storage.transactionSync(() => {
        this.meta.setState(state);
        this.meta.setManifest(manifest);
      });
      return { created: true, incarnation: state.incarnation, description: this.describeState(state) };
    });
  }

  async describe(): Promise<Result<NamespaceDescription>> {
    return capture(() => this.describeState(this.requireState()));
  }

  private checkBackpressure(state: NamespaceState): void {
    if (state.wal_bytes > this.config.walMaxBytes) {
      throw new BackpressureError(
        `write: the namespace has ${state.wal_bytes} unflushed WAL bytes (cap ${this.config.walMaxBytes}); retry after the flush catches up`,
        1000,
      );
    }
  }

  private async ensureAlarm(state: NamespaceState): Promise<void> {
    if (this.alarmPending) return;
    this.alarmPending = true;
    const delay = state.wal_bytes >= this.config.flushSliceBytes ? 0 : this.config.flushDelayMs;
    await this.ctx.storage.setAlarm(Date.now() + delay);
  }

  /**
   * Appends one entry and applies it to the id index and state, all in one transaction;
   * `applyToIds` returns the change in live documents.
   */
  private append(state: NamespaceState, entry: WalEntry, schema: Schema, applyToIds: () => number): void {
    const payload = encodeWalEntry(entry);
    this.ctx.storage.transactionSync(() => {
      const bytes = this.wal.append(entry.seq, lastSeqOf(entry), payload);
      const documentsDelta = applyToIds();
      this.meta.setState({
        ...state,
        schema,
        next_seq: lastSeqOf(entry) + 1,
        documents: state.documents + documentsDelta,
        wal_entries: state.wal_entries + 1,
        wal_bytes: state.wal_bytes + bytes,
        updated_at: entry.ts,
      });
    });
    this.memtable.apply(entry);
  }

  async upsert(batch: UpsertBatch): Promise<Result<WriteResult>> {
    return capture(async () => {
      const state = this.requireState();
      const norm = normalizeUpsert(state.schema, batch);
      this.checkBackpressure(state);
      const entry: WalEntry = {
        seq: state.next_seq,
        ts: Date.now(),
        op: "upsert",
        ids: batch.ids,
        attrs: norm.attrs,
      };
      if (batch.vectors && batch.dims > 0) {
        entry.vectors = batch.vectors;
        entry.dims = batch.dims;
      }
      this.append(state, entry, norm.schema, () => this.ids.recordUpserts(batch.ids.map(idKey), entry.seq));
      await this.ensureAlarm(this.meta.state()!);
      return { affected: batch.ids.length, sequence: lastSeqOf(entry), usage: this.usage() };
    });
  }

  async deleteIds(ids: DocId[]): Promise<Result<WriteResult>> {
    return capture(async () => {
      const state = this.requireState();
      this.checkBackpressure(state);
      const seen = new Set<string>();
      const existing = ids.filter((id) => {
        const key = idKey(id);
        if (seen.has(key)) return false;
        seen.add(key);
        return this.ids.exists(key);
      });
      if (existing.length === 0) return { affected: 0, sequence: state.next_seq - 1, usage: this.usage() };
      const entry: WalEntry = { seq: state.next_seq, ts: Date.now(), op: "delete", ids: existing };
      this.append(state, entry, state.schema, () => {
        let removed = 0;
        for (let i = 0; i < existing.length; i++) if (this.ids.recordDelete(idKey(existing[i]), entry.seq + i)) removed--;
        return removed;
      });
      await this.ensureAlarm(this.meta.state()!);
      return { affected: existing.length, sequence: lastSeqOf(entry), usage: this.usage() };
    });
  }

  /**
   * The strongly consistent part of a query: validates it against the schema, answers it over the
   * unflushed tail, and names the manifest (and dead versions) the Worker must read segments with.
   */
  async query(raw: unknown, knownManifest = ""): Promise<Result<QuerySnapshot>> {
    return capture(() => {
      const state = this.requireState();
      const manifest = this.meta.manifest()!;
      const token = manifestToken(state, manifest);
      const plan = planV1Query(raw, state.schema);
      const { hits, scanned } = evaluateTail(plan, this.memtable.values());
      return {
        plan,
        manifest: token === knownManifest ? null : manifest,
        manifestToken: token,
        tail: { hits, scanned, deadSeqs: this.ids.tailDeadSeqs(manifest.wal_seq) },
        ref: this.ref(state),
        schema: state.schema,
      };
    });
  }

  /** Locates documents by id: the tail answers its own, segments' versions are named by seq. */
  async fetchIds(ids: DocId[], include: { vector: boolean; attributes: string[] | null }, knownManifest = ""): Promise<Result<FetchSnapshot>> {
    return capture(() => {
      const state = this.requireState();
      const manifest = this.meta.manifest()!;
      const token = manifestToken(state, manifest);
      const tail: FetchSnapshot["tail"] = [];
      const flushed: FetchSnapshot["flushed"] = [];
      ids.forEach((id, index) => {
        const key = idKey(id);
        const row = this.memtable.get(key);
        if (row) {
          if (!row.deleted) {
            tail.push({
              index,
              hit: {
                id: row.id,
                seq: row.seq,
                score: 0,
                // Copy: a view would clone the whole WAL batch buffer across RPC.
                vector: include.vector && row.vector ? row.vector.slice() : undefined,
                attributes: projectAttributes(row.attributes, include.attributes),
              },
            });
          }
          return;
        }
        const entry = this.ids.get(key);
        if (entry && !entry.deleted && entry.flushed_seq !== null) flushed.push({ index, id, seq: entry.flushed_seq });
      });
      return {
        manifest: token === knownManifest ? null : manifest,
        manifestToken: token,
        ref: this.ref(state),
        tail,
        flushed,
        schema: state.schema,
      };
    });
  }

  /** Deletes the namespace: local state at once, its R2 objects in the background (alarm). */
  async drop(): Promise<Result<{ dropped: boolean }>> {
    return capture(async () => {
      const state = this.meta.state();
      if (!state) throw new NamespaceNotFoundError("this namespace");
      const prefix = namespacePrefix(this.ref(state));
      this.ctx.storage.transactionSync(() => {
        this.wal.deleteAll();
        this.ids.deleteAll();
        this.meta.clearNamespace();
        this.meta.setPurges([...this.meta.purges(), prefix]);
      });
      this.memtable.clear();
      this.corruption = null;
      this.alarmPending = true;
      await this.ctx.storage.setAlarm(Date.now());
      return { dropped: true };
    });
  }

  /** Runs one flush now (tests and the `_flush` admin hook); alarms do the same in the background. */
  async flush(): Promise<Result<FlushOutcome | null>> {
    return capture(() => this.flushStep());
  }

  private flushStep(): Promise<FlushOutcome | null> {
    return flushOnce(
      {
        storage: this.ctx.storage,
        meta: this.meta,
        wal: this.wal,
        ids: this.ids,
        memtable: this.memtable,
        store: this.store,
        faults: this.faults,
        now: () => Date.now(),
      },
      { sliceBytes: this.config.flushSliceBytes, sliceRows: this.config.flushSliceRows },
    );
  }

  /** Deletes objects of dropped incarnations, a batch at a time; returns true when more remain. */
  private async purgeSome(deadline: number): Promise<boolean> {
    let prefixes = this.meta.purges();
    while (prefixes.length > 0 && Date.now() < deadline) {
      const page = await this.store.list(prefixes[0], { limit: PURGE_BATCH });
      if (page.objects.length === 0) {
        prefixes = prefixes.slice(1);
        this.meta.setPurges(prefixes);
        continue;
      }
      await this.store.delete(page.objects.map((o) => o.key));
    }
    return prefixes.length > 0;
  }

  override async alarm(): Promise<void> {
    this.alarmPending = false;
    const deadline = Date.now() + ALARM_BUDGET_MS;
    let more = await this.purgeSome(deadline);
    if (!this.corruption && this.meta.state()) {
      try {
        while (Date.now() < deadline) {
          const out = await this.flushStep();
          if (!out) break;
        }
      } catch (err) {
        if (err instanceof DataCorruptionError) {
          this.markCorrupt(err.message);
          return;
        }
        throw err;
      }
      more ||= (this.meta.state()?.wal_entries ?? 0) > 0;
    }
    if (more) {
      this.alarmPending = true;
      await this.ctx.storage.setAlarm(Date.now());
    }
  }
}

