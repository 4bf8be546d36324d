/**
 * The namespace Durable Object: the single writer of one namespace. It validates writes against the
 * schema, appends them to the WAL (durable before the response), keeps the unflushed tail in memory
 * to answer its part of strongly consistent queries, and flushes to R2 from its alarm.
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig, type EngineConfig } from "../src/config.ts";
import { idKey } from "../src/core/codec/id-key.ts";
import { ConflictError, DataCorruptionError, NamespaceNotFoundError } from "../src/core/errors.ts";
import type { Hit, TailAnswer } from "../src/core/query/hit.ts";
import { projectAttributes } from "../src/core/query/hit.ts";
import type { QueryPlan } from "../src/core/query/plan.ts";
import { type QueryInput, planQueryInput } from "../src/core/query/query-input.ts";
import { evaluateTail, evaluateTailAggregate, evaluateTailFullText, materializeTailRow } from "../src/core/query/tail-eval.ts";
import { type Schema, fullTextFields, parseSchema, schemaMatches } from "../src/core/schema/schema.ts";
import { type Manifest, emptyManifest, encodeManifest } from "../src/core/segment/manifest.ts";
import type { DocId } from "../src/core/types.ts";
import { Memtable } from "../src/core/wal/memtable.ts";
import type { PatchBatch, UpsertBatch } from "../src/core/wal/write-batch.ts";
import type { Env } from "../src/env.ts";
import { StageTimer, roundMs } from "../src/core/stage-timer.ts";
import { type NamespaceRef, manifestKey, namespacePrefix } from "../src/storage/keys.ts";
import { R2BlobStore } from "../src/storage/r2-blob-store.ts";
import { createTables } from "./do-schema.ts";
import { Faults, FaultyBlobStore } from "./faults.ts";
import { type FlushOutcome, flushOnce } from "./flush.ts";
import { IdIndex } from "./id-index.ts";
import { type NamespaceState, MetaStore } from "./meta-store.ts";
import { type Result, capture } from "./rpc-result.ts";
import { WalTable } from "./wal-table.ts";
import { FlushedDocuments } from "./flushed-documents.ts";
import { GatedBlobStore } from "./background-store.ts";
import { foregroundIdle } from "../src/core/foreground.ts";
import { type CompactionContext, DEFAULT_COMPACTION_POLICY, compactOnce, resumeCompactionCommit } from "./compaction.ts";
import { DeadTable } from "./dead-table.ts";
import { pickCompaction, segmentsPerTier } from "../src/core/compaction/merge-policy.ts";
import { GarbageTable, manifestObjects } from "./garbage.ts";
import { type SweepContext, sweepDue, sweepOrphans } from "./orphan-sweep.ts";
import { type VectorContext, VectorIndexCache, appendFlushFragment, maintainVectorIndex, pendingMaintenance, resumeVectorCommit } from "./vector-index.ts";
import { type BuildStatus, buildInProgress, buildStatus, buildVectorIndex } from "./vector-build.ts";
import { vectorKernels } from "../src/wasm/vector-kernels.ts";
import { NamespaceWriter, type WriteResult as WriterResult } from "./writer.ts";
import type { WriteRequest, WriteRequestResult } from "./write-request.ts";
import type { FilterInput } from "../src/core/query/filter-input.ts";

/** A write's outcome, plus the namespace's usage after it (reported to the tenant's quotas). */
export interface WriteResult extends WriterResult {
  usage: NamespaceUsage;
  /** Milliseconds per stage inside the Durable Object (the Worker adds them to `server-timing`). */
  timing?: Record<string, number>;
}

/** A multi-part write's outcome, with the namespace's incarnation (for the catalog) and usage. */
export interface WriteRequestOutcome extends WriteRequestResult {
  incarnation: string;
  created_at: number;
  /** The schema after the write. */
  schema: Schema;
  usage: NamespaceUsage;
  timing?: Record<string, number>;
}

export interface NamespaceUsage {
  documents: number;
  /** Segments with their index blobs, deletion files and unflushed WAL. */
  stored_bytes: number;
}

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
  /** Acknowledged write requests and the document versions they wrote, since creation. */
  writes: number;
  rows_written: number;
  /** Storage layout and background work (more detail than the stats most clients need). */
  storage?: {
    bytes: { segments: number; full_text: number; deletes: number };
    rows_in_segments: number;
    dead_rows: number;
    segments_per_tier: Record<string, number>;
    compaction: { pending: boolean; running: boolean; compactions: number };
    garbage: { objects: number; oldest_age_ms: number | null; orphans_deleted: number; last_orphan_sweep: number | null };
    /** The vector index build in progress (null when none) and the last one committed. */
    vector_build: { running: BuildStatus | null; last: BuildStatus | null };
    /** Clusters of the vector index due a rewrite (merge of deltas or a split); null without an index (or unknown). */
    vector_maintenance: { pending_clusters: number | null };
  };
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

/** The strongly consistent part of several queries, on one snapshot. */
export interface MultiQuerySnapshot extends Omit<QuerySnapshot, "plan" | "tail"> {
  plans: QueryPlan[];
  tails: TailAnswer[];
  /** Live documents (turbopuffer's approx_namespace_size). */
  documents: number;
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

function v1Filter(raw: unknown): FilterInput | undefined {
  return raw === undefined || raw === null ? undefined : { syntax: "v1", raw };
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
  private readonly garbage: GarbageTable;
  private readonly dead: DeadTable;
  private readonly vectorCache = new VectorIndexCache();
  private readonly memtable = new Memtable();
  /** Limits from wrangler vars; tests may lower them through runInDurableObject. */
  readonly config: EngineConfig;
  private store: FaultyBlobStore;
  /** `store` as background work uses it: each operation first lets requests in flight finish. */
  private readonly backgroundStore: GatedBlobStore;
  private readonly writer: NamespaceWriter;
  /** When the alarm is set for (null: not set by this instance since it started or last ran). */
  private alarmAt: number | null = null;
  private flushRun: Promise<FlushOutcome | null> | null = null;
  private alarmRun: Promise<void> | null = null;
  private corruption: string | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    createTables(this.sql);
    this.meta = new MetaStore(this.sql);
    this.wal = new WalTable(this.sql);
    this.ids = new IdIndex(this.sql);
    this.garbage = new GarbageTable(this.sql);
    this.dead = new DeadTable(this.sql);
    this.config = readConfig(env);
    this.store = new FaultyBlobStore(new R2BlobStore(env.BUCKET), this.faults);
    this.backgroundStore = new GatedBlobStore(() => this.store, () => this.requestsFirst());
    this.writer = new NamespaceWriter({
      storage: ctx.storage,
      meta: this.meta,
      wal: this.wal,
      ids: this.ids,
      memtable: this.memtable,
      store: this.store,
      config: this.config,
      requireState: () => this.requireState(),
      currentState: () => this.currentState(),
      configureFullText: (schema) => this.memtable.configureFullText(fullTextFields(schema)),
      scheduleFlush: (state) => this.ensureAlarm(state),
    });
    ctx.blockConcurrencyWhile(async () => this.replay());
  }

  /** Rebuilds the in-memory tail from the WAL, verifying every entry's CRC. */
  private replay(): void {
    this.memtable.clear();
    this.corruption = this.meta.corruption();
    const manifest = this.meta.manifest();
    if (!manifest || this.corruption) return;
    this.memtable.configureFullText(fullTextFields(this.meta.state()!.schema));
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
    const state = this.currentState();
    if (!state) throw new NamespaceNotFoundError("this namespace");
    return state;
  }

  private currentState(): NamespaceState | null {
    if (this.corruption) throw new DataCorruptionError(this.corruption);
    return this.meta.state();
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
      writes: state.writes ?? 0,
      rows_written: state.rows_written ?? 0,
    };
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
      const { state, created } = await this.initNamespace(input.tenant, input.name, schema);
      if (!created) throw new ConflictError(`namespace '${input.name}' was created concurrently`);
      return { created: true, incarnation: state.incarnation, description: this.describeState(state) };
    });
  }

  /**
   * Creates the namespace's state and manifest version 0 (in R2 first: eventually consistent readers
   * discover namespaces there). If another request created it meanwhile, returns that state.
   */
  private async initNamespace(tenant: string, name: string, schema: Schema): Promise<{ state: NamespaceState; created: boolean }> {
    const now = Date.now();
    const state: NamespaceState = {
      tenant,
      name,
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
    await this.store.put(manifestKey(this.ref(state), 0), encodeManifest(manifest));
    const raced = this.meta.state();
    if (raced) return { state: raced, created: false };
    this.ctx.storage.transactionSync(() => {
      this.meta.setState(state);
      this.meta.setManifest(manifest);
    });
    this.memtable.configureFullText(fullTextFields(schema));
    return { state, created: true };
  }

  /**
   * A multi-part write (turbopuffer's write request; see WriteRequest in writer.ts). With `create`,
   * a missing namespace is created first, in the same call, unless the request is invalid.
   */
  async write(request: WriteRequest, create?: { tenant: string; name: string }): Promise<Result<WriteRequestOutcome>> {
    return capture(async () => {
      const timer = new StageTimer();
      const r = await this.writer.apply(request, create ? async (schema) => (await this.initNamespace(create.tenant, create.name, schema)).state : undefined, timer);
      const state = this.requireState();
      const usage = this.withUsage({ affected: 0, sequence: r.sequence }).usage;
      timer.lap("usage");
      return { ...r, incarnation: state.incarnation, created_at: state.created_at, schema: state.schema, usage, timing: timer.stages };
    });
  }

  /** The description plus storage stats (segments per tier, pending compaction, garbage). */
  async describe(): Promise<Result<NamespaceDescription>> {
    return capture(async () => {
      const state = this.requireState();
      const description = this.describeState(state);
      const manifest = this.meta.manifest()!;
      const ctx = this.compactionContext();
      const dead = this.dead.perRange(manifest.segments);
      const garbage = this.garbage.stats();
      const sweep = this.meta.orphanSweep();
      description.storage = {
        bytes: {
          segments: manifest.segments.reduce((n, s) => n + s.bytes, 0),
          full_text: manifest.segments.reduce((n, s) => n + (s.fts?.bytes ?? 0), 0),
          deletes: manifest.deletes.reduce((n, d) => n + d.bytes, 0),
        },
        rows_in_segments: manifest.stats.rows,
        dead_rows: manifest.stats.dead,
        segments_per_tier: segmentsPerTier(manifest.segments, (i) => dead[i]),
        compaction: {
          pending: pickCompaction(manifest.segments, (i) => dead[i], ctx.policy) !== null,
          running: this.meta.compactionPlan() !== null,
          compactions: state.compactions ?? 0,
        },
        garbage: {
          objects: garbage.objects,
          oldest_age_ms: garbage.oldest === null ? null : Date.now() - garbage.oldest,
          orphans_deleted: sweep.deleted,
          last_orphan_sweep: sweep.finished_at,
        },
        vector_build: buildStatus(this.vectorContext()),
        // informational: a storage error reading the index leaves it unknown rather than failing describe
        vector_maintenance: { pending_clusters: await pendingMaintenance(this.vectorContext(false), this.vectorCache).catch(() => null) },
      };
      return description;
    });
  }

  /** Sets the alarm to `at` unless one is already due no later. */
  private async scheduleAlarm(at: number): Promise<void> {
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  private ensureAlarm(state: NamespaceState): Promise<void> {
    const delay = state.wal_bytes >= this.config.flushSliceBytes ? 0 : this.config.flushDelayMs;
    return this.scheduleAlarm(Date.now() + delay);
  }

  /** Live documents and stored bytes, reported to the tenant's usage after every write. */
  private withUsage(r: WriterResult, timer?: StageTimer): WriteResult {
    const state = this.meta.state();
    const manifest = this.meta.manifest();
    let bytes = state?.wal_bytes ?? 0;
    for (const s of manifest?.segments ?? []) bytes += s.bytes + (s.fts?.bytes ?? 0);
    for (const d of manifest?.deletes ?? []) bytes += d.bytes;
    const out: WriteResult = { ...r, usage: { documents: state?.documents ?? 0, stored_bytes: bytes } };
    if (timer) {
      timer.lap("usage");
      out.timing = timer.stages;
    }
    return out;
  }

  // The v1 write RPCs take v1 filter JSON; `write` takes tagged filters of either syntax.
  async upsert(batch: UpsertBatch, condition?: unknown): Promise<Result<WriteResult>> {
    const timer = new StageTimer();
    return capture(async () => this.withUsage(await this.writer.upsert(batch, v1Filter(condition), { timer }), timer));
  }

  async patch(batch: PatchBatch, condition?: unknown): Promise<Result<WriteResult>> {
    const timer = new StageTimer();
    return capture(async () => this.withUsage(await this.writer.patch(batch, v1Filter(condition), { timer }), timer));
  }

  async deleteIds(ids: DocId[], condition?: unknown): Promise<Result<WriteResult>> {
    const timer = new StageTimer();
    return capture(async () => this.withUsage(await this.writer.deleteIds(ids, v1Filter(condition), { timer }), timer));
  }

  async deleteByFilter(filter: unknown): Promise<Result<WriteResult>> {
    const timer = new StageTimer();
    return capture(async () => this.withUsage(await this.writer.deleteByFilter({ syntax: "v1", raw: filter }, { timer }), timer));
  }

  /**
   * The strongly consistent part of a query: validates it against the schema, answers it over the
   * unflushed tail, and names the manifest (and dead versions) the Worker must read segments with.
   */
  async query(raw: unknown, knownManifest = ""): Promise<Result<QuerySnapshot>> {
    return capture(() => {
      const { plans, tails, ...rest } = this.snapshot([{ syntax: "v1", raw }], knownManifest);
      return { ...rest, plan: plans[0], tail: tails[0] };
    });
  }

  /**
   * `query` for several queries of either API syntax on one snapshot (turbopuffer's multi-query).
   * With no queries it just names the current manifest (cache warming).
   */
  async queryMany(inputs: QueryInput[], knownManifest = ""): Promise<Result<MultiQuerySnapshot>> {
    return capture(() => this.snapshot(inputs, knownManifest));
  }

  private snapshot(inputs: QueryInput[], knownManifest: string): MultiQuerySnapshot {
    const state = this.requireState();
    const manifest = this.meta.manifest()!;
    const token = manifestToken(state, manifest);
    const plans = inputs.map((input) => planQueryInput(input, state.schema));
    const deadSeqs = plans.length > 0 ? this.ids.tailDeadSeqs(manifest.wal_seq) : [];
    const tails = plans.map((plan): TailAnswer => {
      const { hits, scanned } = evaluateTail(plan, this.memtable.values());
      const fullText = evaluateTailFullText(plan, this.memtable);
      const aggregate = evaluateTailAggregate(plan, this.memtable.values());
      return { hits, fullText, aggregate, scanned: scanned + (fullText || aggregate ? this.memtable.size : 0), deadSeqs };
    });
    return {
      plans,
      tails,
      manifest: token === knownManifest ? null : manifest,
      manifestToken: token,
      ref: this.ref(state),
      schema: state.schema,
      documents: state.documents,
    };
  }

  /**
   * Materializes tail versions a query picked after scoring them in the Worker (full-text and hybrid
   * queries). A version flushed in the meantime is read from its segment.
   */
  async materializeTail(seqs: number[], include: { vector: boolean; attributes: string[] | null }): Promise<Result<Hit[]>> {
    return capture(async () => {
      const state = this.requireState();
      const plan = { includeVector: include.vector, includeAttributes: include.attributes };
      const out: Hit[] = [];
      const missing: number[] = [];
      for (const seq of seqs) {
        const row = this.memtable.bySequence(seq);
        if (row) out.push(materializeTailRow(plan, row, 0));
        else missing.push(seq);
      }
      if (missing.length > 0) {
        const rows = await new FlushedDocuments(this.store, this.meta.manifest()!, state.schema).read(missing, true);
        for (const row of rows.values()) {
          out.push({
            id: row.id,
            seq: row.seq,
            score: 0,
            vector: include.vector ? row.vector : undefined,
            attributes: projectAttributes(row.attributes, include.attributes),
          });
        }
      }
      return out;
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
        this.garbage.clear();
        this.dead.clear();
        this.ctx.storage.sql.exec("DELETE FROM build_blocks");
        this.meta.clearPendingVectorCommit();
        this.meta.setPurges([...this.meta.purges(), prefix]);
      });
      this.memtable.clear();
      this.corruption = null;
      await this.scheduleAlarm(Date.now());
      return { dropped: true };
    });
  }

  /** Runs one flush now; alarms do the same in the background. */
  async flush(): Promise<Result<FlushOutcome | null>> {
    return capture(() => this.flushStep(false));
  }

  /**
   * One flush at a time: a flush awaits R2, so an alarm's flush and a `flush()` call could
   * otherwise overlap on one plan and commit it twice. A second caller waits for the first.
   */
  private flushStep(background = true): Promise<FlushOutcome | null> {
    if (this.flushRun) return this.flushRun;
    const run = flushOnce(
      {
        storage: this.ctx.storage,
        meta: this.meta,
        garbage: this.garbage,
        dead: this.dead,
        vectorFragment: (info, version, rows, timer) => appendFlushFragment(this.vectorContext(background), this.vectorCache, info, version, rows, timer),
        wal: this.wal,
        ids: this.ids,
        memtable: this.memtable,
        store: background ? this.backgroundStore : this.store,
        faults: this.faults,
        now: () => Date.now(),
      },
      { sliceBytes: this.config.flushSliceBytes, sliceRows: this.config.flushSliceRows },
    ).finally(() => {
      this.flushRun = null;
    });
    this.flushRun = run;
    return run;
  }

  private compactionContext(background = true): CompactionContext {
    const cfg = this.config;
    return {
      storage: this.ctx.storage,
      meta: this.meta,
      garbage: this.garbage,
      dead: this.dead,
      store: background ? this.backgroundStore : this.store,
      faults: this.faults,
      now: () => Date.now(),
      policy: {
        ...DEFAULT_COMPACTION_POLICY,
        minMerge: cfg.compactionMinMerge,
        maxSegmentRows: cfg.compactionMaxSegmentRows,
        deadRatio: cfg.compactionDeadRatio,
      },
      // A long merge must not starve writers: flush whenever the WAL backlog passes half its cap.
      between: async () => {
        if ((this.meta.state()?.wal_bytes ?? 0) > this.config.walMaxBytes / 2) await this.flushStep(background);
      },
    };
  }

  private sweepContext(): SweepContext {
    const state = this.meta.state()!;
    return {
      store: this.backgroundStore,
      meta: this.meta,
      garbage: this.garbage,
      prefix: namespacePrefix(this.ref(state)),
      live: async () => {
        const manifest = this.meta.manifest()!;
        const keys = new Set(manifestObjects(manifest));
        keys.add(manifestKey(this.ref(state), manifest.version));
        if (manifest.vector_index) {
          for (const o of (await this.vectorCache.directory(this.store, manifest.vector_index)).objects) keys.add(o.key);
        }
        return keys;
      },
      now: () => Date.now(),
      graceMs: this.config.gcGraceMs,
    };
  }

  private vectorContext(background = true): VectorContext {
    return {
      storage: this.ctx.storage,
      meta: this.meta,
      dead: this.dead,
      garbage: this.garbage,
      ids: this.ids,
      store: background ? this.backgroundStore : this.store,
      faults: this.faults,
      kernels: vectorKernels,
      now: () => Date.now(),
      minRows: this.config.vectorIndexMinRows,
      buildAlarmVectors: this.config.vectorBuildAlarmVectors,
      buildBatchBytes: this.config.vectorBuildBatchBytes,
    };
  }

  /** Runs one compaction now; alarms do the same in the background. */
  async compact(): Promise<Result<boolean>> {
    return capture(async () => {
      this.requireState();
      const c = this.compactionContext(false);
      await resumeCompactionCommit(c);
      return compactOnce(c);
    });
  }

  /** Deletes objects of dropped incarnations, a batch at a time; returns true when more remain. */
  private async purgeSome(deadline: number): Promise<boolean> {
    let prefixes = this.meta.purges();
    while (prefixes.length > 0 && Date.now() < deadline) {
      const page = await this.backgroundStore.list(prefixes[0], { limit: PURGE_BATCH });
      if (page.objects.length === 0) {
        prefixes = prefixes.slice(1);
        this.meta.setPurges(prefixes);
        continue;
      }
      await this.backgroundStore.delete(page.objects.map((o) => o.key));
    }
    return prefixes.length > 0;
  }

  /**
   * What background storage operations wait for, while the WAL backlog is at most half its cap: the
   * isolate's requests in flight to finish (at most ELACSYM_REQUESTS_FIRST_MS per operation), and a
   * timer turn at least every ELACSYM_BACKGROUND_SLICE_MS so that new requests get in (see
   * src/core/foreground.ts). Past half the cap, writers are better served by the flush catching up
   * (they would get 429s), so background work goes first.
   */
  private requestsFirst(): Promise<void> | null {
    if (this.config.requestsFirstMs <= 0 || (this.meta.state()?.wal_bytes ?? 0) > this.config.walMaxBytes / 2) return null;
    return foregroundIdle(this.config.requestsFirstMs, this.config.backgroundSliceMs);
  }

  /**
   * Runs one background step and, when it did something (a truthy result), logs its wall time —
   * which includes storage waits, during which requests are served — and its stages, if it has
   * any (ELACSYM_LOG_BACKGROUND). A CPU stage is time during which requests to this object wait.
   */
  private async timed<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const startedAt = Date.now();
    const started = performance.now();
    const r = await fn();
    if (r && this.config.logBackground) {
      const state = this.meta.state();
      const line: Record<string, unknown> = { msg: "background step", namespace: state ? `${state.tenant}/${state.name}` : null, step, started_at: startedAt, ms: roundMs(performance.now() - started) };
      if (typeof r === "object") {
        const { timing, ...rest } = r as { timing?: Record<string, number> };
        Object.assign(line, rest);
        if (timing) line.stages = Object.fromEntries(Object.entries(timing).map(([k, ms]) => [k, roundMs(ms)]));
      }
      console.log(JSON.stringify(line));
    }
    return r;
  }

  /**
   * Background work, in an order that keeps crash recovery simple: purge deleted incarnations,
   * finish a compaction's commit, flush the WAL, compact, collect garbage past its grace period.
   */
  override async alarm(): Promise<void> {
    // One background run at a time: the runtime never overlaps alarms, but a test harness running
    // an alarm by hand can start one while the runtime's is awaiting storage, and two compactions
    // or index steps interleaving would plan from each other's stale manifests.
    while (this.alarmRun) await this.alarmRun;
    const run = this.runAlarm();
    this.alarmRun = run.catch(() => {}).finally(() => {
      if (this.alarmRun === settled) this.alarmRun = null;
    });
    const settled = this.alarmRun;
    return run;
  }

  private async runAlarm(): Promise<void> {
    this.alarmAt = null;
    const deadline = Date.now() + ALARM_BUDGET_MS;
    let more = await this.purgeSome(deadline);
    let later: number | null = null;
    if (!this.corruption && this.meta.state()) {
      try {
        const c = this.compactionContext();
        const v = this.vectorContext();
        await this.timed("compaction-commit", () => resumeCompactionCommit(c));
        await this.timed("vector-commit", () => resumeVectorCommit(v));
        while (Date.now() < deadline && (await this.timed("flush", () => this.flushStep()))) {
          // flush until the WAL is empty or the budget is spent
        }
        // Background work yields to writers: it runs only while the WAL backlog is small.
        const calm = () => (this.meta.state()?.wal_bytes ?? 0) <= this.config.walMaxBytes / 2;
        // An index build runs a step per alarm; compaction waits for it to commit.
        let busy = calm() && (await this.timed("index-build", () => buildVectorIndex(v)));
        const building = buildInProgress(v) !== null;
        // Maintenance always finds work while writes keep coming (every flush adds delta blocks):
        // it gets half of what is left of the budget, so compaction is not starved behind it.
        const maintenanceUntil = Date.now() + (deadline - Date.now()) / 2;
        while (calm() && Date.now() < maintenanceUntil && (await this.timed("index-maintenance", () => maintainVectorIndex(v, this.vectorCache)))) busy = true;
        let compacting = calm() && !building;
        while (compacting && Date.now() < deadline) compacting = await this.timed("compaction", () => compactOnce(c));
        more ||= busy || compacting || (this.meta.state()?.wal_entries ?? 0) > 0;
        const cutoff = Date.now() - this.config.gcGraceMs;
        while (Date.now() < deadline && (await this.garbage.collect(this.backgroundStore, cutoff)) > 0) this.faults.hit("gc:after-delete");
        const oldest = this.garbage.stats().oldest;
        if (oldest !== null) later = oldest + this.config.gcGraceMs;
        // Only when nothing is half-done (every object a pending step wrote is then referenced), and
        // only on alarms that run anyway: orphans come from interrupted background work, so a
        // namespace that stays idle has none to add and needs no standing alarm.
        const settled = !this.meta.flushPlan() && !this.meta.compactionPlan() && !this.meta.pendingVectorCommit() && !building;
        if (settled && !more && sweepDue(this.meta.orphanSweep(), Date.now(), this.config.orphanSweepMs)) {
          more = await sweepOrphans(this.sweepContext());
        }
      } catch (err) {
        if (err instanceof DataCorruptionError) {
          this.markCorrupt(err.message);
          return;
        }
        throw err;
      }
    }
    if (more) await this.scheduleAlarm(Date.now());
    else if (later !== null) await this.scheduleAlarm(later);
  }
}

