/**
 * The namespace's write path inside its Durable Object: every write kind (upsert, patch, delete
 * by id or filter, each optionally conditional) checked against the schema and appended as one WAL
 * entry in one transaction. Writes that read current values run one at a time (a lock), so no
 * other write slips between their read and their append.
 *
 * `apply` runs a multi-part request (write-request.ts) under one hold of the lock, after validating
 * every part, and can create the namespace first (turbopuffer creates namespaces on their first write).
 */
import { idKey } from "../src/core/codec/id-key.ts";
import { BackpressureError, InvalidArgumentError, NamespaceNotFoundError } from "../src/core/errors.ts";
import { type Filter, evaluateFilter } from "../src/core/query/filter.ts";
import { type FilterInput, mentionsRefNew, parseFilterInput } from "../src/core/query/filter-input.ts";
import { batchFieldReader, scanColumns } from "../src/core/query/segment-search.ts";
import { type Schema, fullTextFields, parseSchema } from "../src/core/schema/schema.ts";
import type { Attributes, DocId } from "../src/core/types.ts";
import type { Memtable } from "../src/core/wal/memtable.ts";
import { type WalEntry, encodeWalEntry, lastSeqOf, splitIntoParts } from "../src/core/wal/wal-entry.ts";
import { MAX_BATCH_DOCUMENTS, type PatchBatch, type UpsertBatch, normalizeAttributes, normalizeUpsert, selectRows } from "../src/core/wal/write-batch.ts";
import type { BlobStore } from "../src/storage/blob-store.ts";
import type { EngineConfig } from "../src/config.ts";
import type { StageTimer } from "../src/core/stage-timer.ts";
import { FlushedDocuments } from "./flushed-documents.ts";
import { type CreateNamespace, type WriteRequest, type WriteRequestResult, validateWriteRequest } from "./write-request.ts";
import type { IdIndex } from "./id-index.ts";
import type { MetaStore, NamespaceState } from "./meta-store.ts";
import type { WalTable } from "./wal-table.ts";

/** Delete by filter logs all matches in one entry; more than this is refused (narrow the filter). */
export const MAX_DELETE_BY_FILTER = 1_000_000;
/** Patch by filter reads and rewrites every match: at most one write batch of them per request. */
export const MAX_PATCH_BY_FILTER = MAX_BATCH_DOCUMENTS;

export interface WriteResult {
  affected: number;
  sequence: number;
  /** The affected ids, when the caller asked for them. */
  ids?: DocId[];
}

/** Options of a single write. */
export interface WriteOptions {
  returnIds?: boolean;
  /** Records the write's stages (the Worker puts them in `server-timing`). */
  timer?: StageTimer;
}

interface CurrentDocument {
  id: DocId;
  vector: Float32Array | null;
  attributes: Attributes;
}

export interface WriterContext {
  storage: DurableObjectStorage;
  meta: MetaStore;
  wal: WalTable;
  ids: IdIndex;
  memtable: Memtable;
  store: BlobStore;
  config: EngineConfig;
  /** Verifies the namespace exists and is healthy; returns its state. */
  requireState: () => NamespaceState;
  /** The namespace's state, or null when it does not exist (throws when it is unhealthy). */
  currentState: () => NamespaceState | null;
  /** Applies a changed schema's full-text settings to the in-memory tail. */
  configureFullText: (schema: Schema) => void;
  /** Makes sure a flush alarm is scheduled. */
  scheduleFlush: (state: NamespaceState) => Promise<void>;
}

export class NamespaceWriter {
  private readonly c: WriterContext;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(context: WriterContext) {
    this.c = context;
  }

  /** Runs writes one at a time, in arrival order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private checkBackpressure(state: NamespaceState): void {
    const { walMaxBytes } = this.c.config;
    if (state.wal_bytes > walMaxBytes) {
      throw new BackpressureError(
        `write: the namespace has ${state.wal_bytes} unflushed WAL bytes (cap ${walMaxBytes}); retry after the flush catches up`,
        1000,
      );
    }
  }

  /** Appends one entry and applies it to the id index and state in one transaction. */
  private async append(state: NamespaceState, entry: WalEntry, schema: Schema, timer?: StageTimer): Promise<number> {
    const parts = splitIntoParts(encodeWalEntry(entry));
    const keys = entry.ids.map(idKey);
    timer?.lap("encode");
    let next: NamespaceState;
    this.c.storage.transactionSync(() => {
      const bytes = this.c.wal.append(entry.seq, lastSeqOf(entry), parts);
      let documentsDelta: number;
      if (entry.op === "delete") {
        this.c.ids.recordDeletes(keys, entry.seq);
        documentsDelta = -keys.length;
      } else {
        documentsDelta = this.c.ids.recordUpserts(keys, entry.seq);
      }
      next = {
        ...state,
        schema,
        next_seq: lastSeqOf(entry) + 1,
        documents: state.documents + documentsDelta,
        wal_entries: state.wal_entries + 1,
        wal_bytes: state.wal_bytes + bytes,
        writes: (state.writes ?? 0) + 1,
        rows_written: (state.rows_written ?? 0) + entry.ids.length,
        updated_at: entry.ts,
      };
      this.c.meta.setState(next);
    });
    timer?.lap("commit");
    this.c.memtable.apply(entry);
    timer?.lap("memtable");
    await this.c.scheduleFlush(next!);
    timer?.lap("alarm");
    return lastSeqOf(entry);
  }

  private async appendUpsert(state: NamespaceState, batch: UpsertBatch, options: WriteOptions = {}): Promise<WriteResult> {
    if (batch.ids.length === 0) return withIds({ affected: 0, sequence: state.next_seq - 1 }, [], options);
    const norm = normalizeUpsert(state.schema, batch);
    options.timer?.lap("validate");
    const entry: WalEntry = { seq: state.next_seq, ts: Date.now(), op: "upsert", ids: batch.ids, attrs: norm.attrs };
    if (batch.vectors && batch.dims > 0) {
      entry.vectors = batch.vectors;
      entry.dims = batch.dims;
    }
    return withIds({ affected: batch.ids.length, sequence: await this.append(state, entry, norm.schema, options.timer) }, batch.ids, options);
  }

  /** `ids` must be distinct and exist. */
  private async appendDelete(state: NamespaceState, ids: DocId[], options: WriteOptions = {}): Promise<WriteResult> {
    if (ids.length === 0) return withIds({ affected: 0, sequence: state.next_seq - 1 }, [], options);
    const entry: WalEntry = { seq: state.next_seq, ts: Date.now(), op: "delete", ids };
    return withIds({ affected: ids.length, sequence: await this.append(state, entry, state.schema, options.timer) }, ids, options);
  }

  /** The current version of each id that exists (tail first, then segments). */
  private async current(ids: DocId[], state: NamespaceState): Promise<Map<string, CurrentDocument>> {
    const out = new Map<string, CurrentDocument>();
    const flushed: { key: string; seq: number }[] = [];
    for (const id of ids) {
      const key = idKey(id);
      if (out.has(key)) continue;
      const row = this.c.memtable.get(key);
      if (row) {
        if (!row.deleted) out.set(key, { id: row.id, vector: row.vector, attributes: row.attributes });
        continue;
      }
      const entry = this.c.ids.get(key);
      if (entry && !entry.deleted && entry.flushed_seq !== null) flushed.push({ key, seq: entry.flushed_seq });
    }
    if (flushed.length > 0) {
      const reader = new FlushedDocuments(this.c.store, this.c.meta.manifest()!, state.schema);
      const rows = await reader.read(flushed.map((f) => f.seq));
      for (const f of flushed) {
        const row = rows.get(f.seq)!;
        out.set(f.key, { id: row.id, vector: row.vector, attributes: row.attributes });
      }
    }
    return out;
  }

  private parseCondition(input: FilterInput | undefined, schema: Schema, where = "condition"): Filter | null {
    return parseFilterInput(input, schema, where, { allowRefNew: true });
  }

  private holds(condition: Filter, doc: CurrentDocument, readNew?: (field: string) => unknown): boolean {
    return evaluateFilter(condition, (f) => (f === "id" ? doc.id : doc.attributes[f] ?? null), readNew as never);
  }

  /** Inserts or replaces whole documents; with a condition, replaces only where it holds on the current version. */
  upsert(batch: UpsertBatch, condition?: FilterInput, options: WriteOptions = {}): Promise<WriteResult> {
    return this.exclusive(async () => {
      options.timer?.lap("queue");
      const state = this.c.requireState();
      if (!condition?.raw) this.checkBackpressure(state);
      return this.upsertLocked(state, batch, condition, options);
    });
  }

  private async upsertLocked(state: NamespaceState, batch: UpsertBatch, conditionInput: FilterInput | undefined, options: WriteOptions, where = "condition"): Promise<WriteResult> {
    const condition = this.parseCondition(conditionInput, state.schema, where);
    if (!condition) return this.appendUpsert(state, batch, options);
    // Validate first: the new documents' values are what $ref_new reads.
    const norm = normalizeUpsert(state.schema, batch);
    this.checkBackpressure(state);
    const current = await this.current(batch.ids, state);
    const keep: number[] = [];
    batch.ids.forEach((id, i) => {
      const doc = current.get(idKey(id));
      const readNew = (f: string) => (f === "id" ? id : norm.attrs[f]?.[i] ?? null);
      if (!doc || this.holds(condition, doc, readNew)) keep.push(i);
    });
    return this.appendUpsert(this.c.requireState(), selectRows(batch, keep), options);
  }

  /** Changes some attributes of existing documents (null removes one); missing ids are ignored. */
  patch(batch: PatchBatch, condition?: FilterInput, options: WriteOptions = {}): Promise<WriteResult> {
    return this.exclusive(async () => {
      options.timer?.lap("queue");
      return this.patchLocked(this.c.requireState(), batch, condition, options);
    });
  }

  private async patchLocked(state: NamespaceState, batch: PatchBatch, conditionInput: FilterInput | undefined, options: WriteOptions, where = "condition"): Promise<WriteResult> {
    const condition = this.parseCondition(conditionInput, state.schema, where);
    // Type-check the patch values first (errors name the request's document index).
    if (state.schema.id_type && state.schema.id_type !== batch.idType) {
      throw new InvalidArgumentError(`id: this namespace uses ${state.schema.id_type} ids; got ${batch.idType} ids`);
    }
    normalizeAttributes(state.schema, batch.attributes, batch.origin);
    this.checkBackpressure(state);
    const current = await this.current(batch.ids, state);
    // Repeated ids fold into one new version, later patches over earlier ones.
    const merged = new Map<string, { id: DocId; doc: CurrentDocument; attrs: Record<string, unknown> }>();
    batch.ids.forEach((id, i) => {
      const key = idKey(id);
      const doc = current.get(key);
      if (!doc) return;
      const row = merged.get(key) ?? { id, doc, attrs: { ...doc.attributes } };
      for (const [name, value] of Object.entries(batch.attributes[i])) {
        if (value === null) delete row.attrs[name];
        else row.attrs[name] = value;
      }
      merged.set(key, row);
    });
    const rows = [...merged.values()];
    const dims = state.schema.vector?.dimensions ?? 0;
    const vectors = dims > 0 ? new Float32Array(rows.length * dims) : null;
    rows.forEach((r, i) => r.doc.vector && vectors?.set(r.doc.vector, i * dims));
    const upsert: UpsertBatch = { ids: rows.map((r) => r.id), idType: batch.idType, dims: vectors ? dims : 0, vectors, attributes: rows.map((r) => r.attrs) };
    if (!condition) return this.appendUpsert(this.c.requireState(), upsert, options);
    const norm = normalizeUpsert(state.schema, upsert);
    const keep = rows.flatMap((r, i) => (this.holds(condition, r.doc, (f) => (f === "id" ? r.id : norm.attrs[f]?.[i] ?? null)) ? [i] : []));
    return this.appendUpsert(this.c.requireState(), selectRows(upsert, keep), options);
  }

  /** Deletes the ids that exist; with a condition, only those whose current version satisfies it. */
  deleteIds(ids: DocId[], condition?: FilterInput, options: WriteOptions = {}): Promise<WriteResult> {
    return this.exclusive(async () => {
      options.timer?.lap("queue");
      return this.deleteIdsLocked(this.c.requireState(), ids, condition, options);
    });
  }

  private async deleteIdsLocked(state: NamespaceState, ids: DocId[], conditionInput: FilterInput | undefined, options: WriteOptions, where = "condition"): Promise<WriteResult> {
    const condition = this.parseCondition(conditionInput, state.schema, where);
    if (condition && mentionsRefNew(conditionInput)) {
      throw new InvalidArgumentError(`${where}: a delete has no new document for $ref_new to refer to`);
    }
    this.checkBackpressure(state);
    const unique = [...new Map(ids.map((id) => [idKey(id), id])).values()];
    let targets: DocId[];
    if (condition) {
      const current = await this.current(unique, state);
      targets = unique.filter((id) => {
        const doc = current.get(idKey(id));
        return doc !== undefined && this.holds(condition, doc);
      });
    } else {
      targets = unique.filter((id) => this.c.ids.exists(idKey(id)));
    }
    return this.appendDelete(this.c.requireState(), targets, options);
  }

  /**
   * Deletes every document matching a filter, evaluated on one snapshot (tail + segments of the
   * current manifest); no other write runs between the evaluation and the append.
   */
  deleteByFilter(filter: FilterInput, options: WriteOptions = {}): Promise<WriteResult> {
    return this.exclusive(async () => {
      options.timer?.lap("queue");
      return this.deleteByFilterLocked(this.c.requireState(), filter, options);
    });
  }

  private async deleteByFilterLocked(state: NamespaceState, filterInput: FilterInput, options: WriteOptions, where = "filter"): Promise<WriteResult> {
    const filter = parseFilterInput(filterInput, state.schema, where);
    if (!filter) throw new InvalidArgumentError(`${where}: expected a filter`);
    this.checkBackpressure(state);
    const { ids } = await this.matching(state, filter, MAX_DELETE_BY_FILTER, false, where);
    return this.appendDelete(this.c.requireState(), ids, options);
  }

  /**
   * Patches every document matching a filter (turbopuffer's patch_by_filter), on one snapshot. More
   * than MAX_PATCH_BY_FILTER matches is a 400, or with `allowPartial` patches that many and reports
   * that more remain.
   */
  private async patchByFilterLocked(state: NamespaceState, part: NonNullable<WriteRequest["patchByFilter"]>, options: WriteOptions): Promise<WriteResult & { remaining: boolean }> {
    const where = "patch_by_filter.filters";
    const filter = parseFilterInput(part.filter, state.schema, where);
    if (!filter) throw new InvalidArgumentError(`${where}: expected a filter`);
    this.checkBackpressure(state);
    const { ids, more } = await this.matching(state, filter, MAX_PATCH_BY_FILTER, part.allowPartial, where);
    if (ids.length === 0 || !state.schema.id_type) return { ...withIds({ affected: 0, sequence: state.next_seq - 1 }, [], options), remaining: false };
    const batch: PatchBatch = { ids, idType: state.schema.id_type, attributes: ids.map(() => part.attributes) };
    return { ...(await this.patchLocked(this.c.requireState(), batch, undefined, options)), remaining: more };
  }

  /**
   * The live documents matching a filter on one snapshot (tail + segments of the current manifest).
   * Past `limit` matches: with `partial`, the first `limit` and `more`; otherwise a 400.
   */
  private async matching(state: NamespaceState, filter: Filter, limit: number, partial: boolean, where: string): Promise<{ ids: DocId[]; more: boolean }> {
    const matches = new Map<string, DocId>();
    let more = false;
    const add = (id: DocId): boolean => {
      if (matches.size >= limit) {
        if (!partial) throw new InvalidArgumentError(`${where}: matches more than ${limit} documents; narrow it and repeat`);
        more = true;
        return false;
      }
      matches.set(idKey(id), id);
      return true;
    };
    for (const row of this.c.memtable.values()) {
      if (!row.deleted && evaluateFilter(filter, (f) => (f === "id" ? row.id : row.attributes[f] ?? null)) && !add(row.id)) return { ids: [...matches.values()], more };
    }
    const manifest = this.c.meta.manifest()!;
    const reader = new FlushedDocuments(this.c.store, manifest, state.schema);
    const dead = await reader.deadSet(this.c.ids.tailDeadSeqs(manifest.wal_seq));
    for await (const { batch, live } of reader.scanLive(scanColumns(filter), dead)) {
      let r = 0;
      const read = batchFieldReader(batch, () => r);
      for (; r < batch.seqs.length; r++) {
        if (live(r) && evaluateFilter(filter, read) && !add(batch.ids[r])) return { ids: [...matches.values()], more };
      }
    }
    return { ids: [...matches.values()], more };
  }

  /** Whether segments exist or a flush is under way (full-text settings are then fixed). */
  private hasFlushedData(): boolean {
    return (this.c.meta.manifest()?.segments.length ?? 0) > 0 || this.c.meta.flushPlan() !== null;
  }

  /**
   * Applies a multi-part write (see WriteRequest). Without a namespace, `create` makes it first —
   * after the request validated against the initial schema, so an invalid write creates nothing.
   */
  apply(request: WriteRequest, create?: CreateNamespace, timer?: StageTimer): Promise<WriteRequestResult> {
    return this.exclusive(async () => {
      timer?.lap("queue");
      let state = this.c.currentState();
      let created = false;
      if (!state) {
        if (!create) throw new NamespaceNotFoundError("this namespace");
        validateWriteRequest({ attributes: {} }, request, false);
        state = await create(parseSchema(request.schema));
        created = true;
      }
      const schema = validateWriteRequest(state.schema, request, this.hasFlushedData());
      this.checkBackpressure(state);
      let schemaChanged = false;
      if (schema !== state.schema) {
        const ftsBefore = JSON.stringify(fullTextFields(state.schema));
        this.c.storage.transactionSync(() => this.c.meta.setState({ ...state!, schema, updated_at: Date.now() }));
        if (JSON.stringify(fullTextFields(schema)) !== ftsBefore) this.c.configureFullText(schema);
        schemaChanged = true;
      }
      const options: WriteOptions = { returnIds: request.returnIds, timer };
      const result: WriteRequestResult = { created, schemaChanged, deletedByFilter: null, patchedByFilter: null, upserted: null, patched: null, deleted: null, sequence: 0 };
      if (request.deleteByFilter) result.deletedByFilter = await this.deleteByFilterLocked(this.c.requireState(), request.deleteByFilter, options, "delete_by_filter");
      if (request.patchByFilter) result.patchedByFilter = await this.patchByFilterLocked(this.c.requireState(), request.patchByFilter, options);
      if (request.upsert) {
        const batch = { ...request.upsert.batch, metric: request.metric ?? request.upsert.batch.metric };
        result.upserted = await this.upsertLocked(this.c.requireState(), batch, request.upsert.condition, options, "upsert_condition");
      }
      if (request.patch) result.patched = await this.patchLocked(this.c.requireState(), request.patch.batch, request.patch.condition, options, "patch_condition");
      if (request.deletes) result.deleted = await this.deleteIdsLocked(this.c.requireState(), request.deletes.ids, request.deletes.condition, options, "delete_condition");
      result.sequence = this.c.requireState().next_seq - 1;
      return result;
    });
  }
}

function withIds(r: WriteResult, ids: DocId[], options: WriteOptions): WriteResult {
  return options.returnIds ? { ...r, ids } : r;
}
