/**
 * The namespace's write path inside its Durable Object: every write kind (upsert, patch, delete
 * by id or filter, each optionally conditional) checked against the schema and appended as one WAL
 * entry in one transaction. Writes that read current values run one at a time (a lock), so no
 * other write slips between their read and their append.
 */
import { idKey } from "../src/core/codec/id-key.ts";
import { BackpressureError, InvalidArgumentError } from "../src/core/errors.ts";
import { type Filter, evaluateFilter, parseV1Filter } from "../src/core/query/filter.ts";
import { batchFieldReader, scanColumns } from "../src/core/query/segment-search.ts";
import type { Schema } from "../src/core/schema/schema.ts";
import type { Attributes, DocId } from "../src/core/types.ts";
import type { Memtable } from "../src/core/wal/memtable.ts";
import { type WalEntry, encodeWalEntry, lastSeqOf } from "../src/core/wal/wal-entry.ts";
import { type PatchBatch, type UpsertBatch, normalizeAttributes, normalizeUpsert, selectRows } from "../src/core/wal/write-batch.ts";
import type { BlobStore } from "../src/storage/blob-store.ts";
import type { EngineConfig } from "../src/config.ts";
import { FlushedDocuments } from "./flushed-documents.ts";
import type { IdIndex } from "./id-index.ts";
import type { MetaStore, NamespaceState } from "./meta-store.ts";
import type { WalTable } from "./wal-table.ts";

/** Delete by filter logs all matches in one entry; more than this is refused (narrow the filter). */
export const MAX_DELETE_BY_FILTER = 1_000_000;

export interface WriteResult {
  affected: number;
  sequence: number;
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
  private async append(state: NamespaceState, entry: WalEntry, schema: Schema): Promise<number> {
    const payload = encodeWalEntry(entry);
    const keys = entry.ids.map(idKey);
    this.c.storage.transactionSync(() => {
      const bytes = this.c.wal.append(entry.seq, lastSeqOf(entry), payload);
      let documentsDelta: number;
      if (entry.op === "delete") {
        this.c.ids.recordDeletes(keys, entry.seq);
        documentsDelta = -keys.length;
      } else {
        documentsDelta = this.c.ids.recordUpserts(keys, entry.seq);
      }
      this.c.meta.setState({
        ...state,
        schema,
        next_seq: lastSeqOf(entry) + 1,
        documents: state.documents + documentsDelta,
        wal_entries: state.wal_entries + 1,
        wal_bytes: state.wal_bytes + bytes,
        writes: (state.writes ?? 0) + 1,
        rows_written: (state.rows_written ?? 0) + entry.ids.length,
        updated_at: entry.ts,
      });
    });
    this.c.memtable.apply(entry);
    await this.c.scheduleFlush(this.c.meta.state()!);
    return lastSeqOf(entry);
  }

  private async appendUpsert(state: NamespaceState, batch: UpsertBatch): Promise<WriteResult> {
    if (batch.ids.length === 0) return { affected: 0, sequence: state.next_seq - 1 };
    const norm = normalizeUpsert(state.schema, batch);
    const entry: WalEntry = { seq: state.next_seq, ts: Date.now(), op: "upsert", ids: batch.ids, attrs: norm.attrs };
    if (batch.vectors && batch.dims > 0) {
      entry.vectors = batch.vectors;
      entry.dims = batch.dims;
    }
    return { affected: batch.ids.length, sequence: await this.append(state, entry, norm.schema) };
  }

  /** `ids` must be distinct and exist. */
  private async appendDelete(state: NamespaceState, ids: DocId[]): Promise<WriteResult> {
    if (ids.length === 0) return { affected: 0, sequence: state.next_seq - 1 };
    const entry: WalEntry = { seq: state.next_seq, ts: Date.now(), op: "delete", ids };
    return { affected: ids.length, sequence: await this.append(state, entry, state.schema) };
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

  private parseCondition(raw: unknown, schema: Schema): Filter | null {
    if (raw === undefined || raw === null) return null;
    return parseV1Filter(raw, schema, "condition", { allowRefNew: true });
  }

  private holds(condition: Filter, doc: CurrentDocument, readNew?: (field: string) => unknown): boolean {
    return evaluateFilter(condition, (f) => (f === "id" ? doc.id : doc.attributes[f] ?? null), readNew as never);
  }

  /** Inserts or replaces whole documents; with a condition, replaces only where it holds on the current version. */
  upsert(batch: UpsertBatch, conditionRaw?: unknown): Promise<WriteResult> {
    return this.exclusive(async () => {
      const state = this.c.requireState();
      const condition = this.parseCondition(conditionRaw, state.schema);
      if (!condition) {
        this.checkBackpressure(state);
        return this.appendUpsert(state, batch);
      }
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
      return this.appendUpsert(this.c.requireState(), selectRows(batch, keep));
    });
  }

  /** Changes some attributes of existing documents (null removes one); missing ids are ignored. */
  patch(batch: PatchBatch, conditionRaw?: unknown): Promise<WriteResult> {
    return this.exclusive(async () => {
      const state = this.c.requireState();
      const condition = this.parseCondition(conditionRaw, state.schema);
      // Type-check the patch values first (errors name the request's document index).
      if (state.schema.id_type && state.schema.id_type !== batch.idType) {
        throw new InvalidArgumentError(`id: this namespace uses ${state.schema.id_type} ids; got ${batch.idType} ids`);
      }
      normalizeAttributes(state.schema, batch.attributes);
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
      if (!condition) return this.appendUpsert(this.c.requireState(), upsert);
      const norm = normalizeUpsert(state.schema, upsert);
      const keep = rows.flatMap((r, i) => (this.holds(condition, r.doc, (f) => (f === "id" ? r.id : norm.attrs[f]?.[i] ?? null)) ? [i] : []));
      return this.appendUpsert(this.c.requireState(), selectRows(upsert, keep));
    });
  }

  /** Deletes the ids that exist; with a condition, only those whose current version satisfies it. */
  deleteIds(ids: DocId[], conditionRaw?: unknown): Promise<WriteResult> {
    return this.exclusive(async () => {
      const state = this.c.requireState();
      const condition = this.parseCondition(conditionRaw, state.schema);
      if (condition && JSON.stringify(conditionRaw).includes("$ref_new")) {
        throw new InvalidArgumentError("condition: a delete has no new document for $ref_new to refer to");
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
      return this.appendDelete(this.c.requireState(), targets);
    });
  }

  /**
   * Deletes every document matching a filter, evaluated on one snapshot (tail + segments of the
   * current manifest); no other write runs between the evaluation and the append.
   */
  deleteByFilter(filterRaw: unknown): Promise<WriteResult> {
    return this.exclusive(async () => {
      const state = this.c.requireState();
      const filter = parseV1Filter(filterRaw, state.schema, "filter");
      this.checkBackpressure(state);
      const matches = new Map<string, DocId>();
      const add = (id: DocId) => {
        matches.set(idKey(id), id);
        if (matches.size > MAX_DELETE_BY_FILTER) {
          throw new InvalidArgumentError(`filter: matches more than ${MAX_DELETE_BY_FILTER} documents; narrow it and repeat`);
        }
      };
      for (const row of this.c.memtable.values()) {
        if (!row.deleted && evaluateFilter(filter, (f) => (f === "id" ? row.id : row.attributes[f] ?? null))) add(row.id);
      }
      const manifest = this.c.meta.manifest()!;
      const reader = new FlushedDocuments(this.c.store, manifest, state.schema);
      const dead = await reader.deadSet(this.c.ids.tailDeadSeqs(manifest.wal_seq));
      for await (const { batch, live } of reader.scanLive(scanColumns(filter), dead)) {
        let r = 0;
        const read = batchFieldReader(batch, () => r);
        for (; r < batch.seqs.length; r++) if (live(r) && evaluateFilter(filter, read)) add(batch.ids[r]);
      }
      return this.appendDelete(this.c.requireState(), [...matches.values()]);
    });
  }
}
