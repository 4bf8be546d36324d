/**
 * Flush: moves a bounded slice of the WAL into R2 as one Parquet segment, a deletion file and the
 * next manifest, then commits in one SQLite transaction (manifest + WAL position + WAL rows deleted
 * + id index). The plan is persisted first, so a retry after a crash at any step rewrites the same
 * keys with the same bytes and commits once.
 */
import { encodeDeletes } from "../src/core/segment/deletes-file.ts";
import { type Manifest, type SegmentInfo, type VectorIndexInfo, currentVectorIndex, encodeManifest } from "../src/core/segment/manifest.ts";
import { type SegmentRow, SegmentWriter, attributesPresent, buildFullTextIndex } from "../src/core/segment/segment-writer.ts";
import type { Memtable } from "../src/core/wal/memtable.ts";
import { resolveSlice } from "../src/core/wal/resolve-slice.ts";
import type { BlobStore } from "../src/storage/blob-store.ts";
import { type NamespaceRef, deletesKey, fullTextKey, manifestKey, segmentKey } from "../src/storage/keys.ts";
import type { Faults } from "./faults.ts";
import type { DeadTable } from "./dead-table.ts";
import { type GarbageTable, unreferenced } from "./garbage.ts";
import type { IdIndex } from "./id-index.ts";
import type { FlushPlan, MetaStore } from "./meta-store.ts";
import type { WalTable } from "./wal-table.ts";
import { StageTimer } from "../src/core/stage-timer.ts";

export interface FlushLimits {
  /** WAL payload bytes per flush: bounds the flush's memory (decoded rows + Parquet buffer). */
  sliceBytes: number;
  sliceRows: number;
}

export interface FlushContext {
  storage: DurableObjectStorage;
  meta: MetaStore;
  garbage: GarbageTable;
  dead: DeadTable;
  /** Adds the flushed rows' vectors to the namespace's vector index (when it has one). */
  vectorFragment: (info: VectorIndexInfo, version: number, rows: SegmentRow[], timer: StageTimer) => Promise<VectorIndexInfo>;
  wal: WalTable;
  ids: IdIndex;
  memtable: Memtable;
  store: BlobStore;
  faults: Faults;
  now: () => number;
}

export interface FlushOutcome {
  version: number;
  rows: number;
  dead: number;
  through: number;
  /** Milliseconds per stage (CPU stages and storage waits apart; see the alarm's step log). */
  timing: Record<string, number>;
}

/** Plans (or resumes) and runs one flush; returns null when the WAL is empty. */
export async function flushOnce(c: FlushContext, limits: FlushLimits): Promise<FlushOutcome | null> {
  const timer = new StageTimer();
  const state = c.meta.state();
  const current = c.meta.manifest();
  if (!state || !current) return null;

  let plan = c.meta.flushPlan();
  if (!plan) {
    const slice = c.wal.nextSlice(current.wal_seq, limits.sliceBytes, limits.sliceRows);
    if (!slice) return null;
    plan = { version: current.version + 1, ...slice, created_at: c.now(), schema: state.schema };
    c.meta.setFlushPlan(plan);
  }
  c.faults.hit("flush:after-plan");
  timer.lap("plan");

  const ref: NamespaceRef = { tenant: state.tenant, namespace: state.name, incarnation: state.incarnation };
  const resolved = resolveSlice(c.wal.read(plan.from - 1, plan.through));
  timer.lap("read");
  const dead = c.ids.deadAfterFlush(resolved);
  timer.lap("dead");
  const next: Manifest = {
    ...current,
    version: plan.version,
    wal_seq: plan.through,
    created_at: plan.created_at,
    schema: plan.schema,
    segments: [...current.segments],
    deletes: [...current.deletes],
    stats: { rows: current.stats.rows, dead: current.stats.dead + dead.length },
  };

  if (resolved.upserts.length > 0) {
    const rows = resolved.upserts;
    const seqMin = rows[0].seq;
    const seqMax = rows[rows.length - 1].seq;
    const key = segmentKey(ref, seqMin, seqMax, plan.version);
    const sink = c.store.createWriter(key);
    const writer = new SegmentWriter(plan.schema, attributesPresent(plan.schema, rows), (bytes) => sink.write(bytes));
    for (const row of rows) await writer.add(row);
    const written = await writer.finish();
    timer.lap("parquet");
    await sink.close();
    timer.lap("segment-put");
    const info: SegmentInfo = { key, seq_min: seqMin, seq_max: seqMax, ...written, level: 0 };
    const fts = buildFullTextIndex(plan.schema, rows);
    timer.lap("fts");
    if (fts) {
      info.fts = { key: fullTextKey(ref, seqMin, seqMax, plan.version), bytes: fts.byteLength };
      await c.store.put(info.fts.key, fts);
      timer.lap("fts-put");
    }
    next.segments.push(info);
    next.stats.rows += written.rows;
    const index = currentVectorIndex(current);
    if (index) next.vector_index = await c.vectorFragment(index, plan.version, rows, timer);
  }
  c.faults.hit("flush:after-segment");

  if (dead.length > 0) {
    const bytes = encodeDeletes(dead);
    const key = deletesKey(ref, plan.version);
    await c.store.put(key, bytes);
    next.deletes.push({ key, count: dead.length, bytes: bytes.byteLength });
    timer.lap("deletes");
  }
  c.faults.hit("flush:after-deletes");

  await c.store.put(manifestKey(ref, next.version), encodeManifest(next));
  timer.lap("manifest-put");
  c.faults.hit("flush:after-manifest");
  c.faults.hit("flush:before-commit");

  commitFlush(c, plan, next, resolved, dead, manifestKey(ref, current.version));
  timer.lap("commit");
  return { version: next.version, rows: resolved.upserts.length, dead: dead.length, through: plan.through, timing: timer.stages };
}

function commitFlush(c: FlushContext, plan: FlushPlan, next: Manifest, resolved: ReturnType<typeof resolveSlice>, dead: number[], previousManifest: string): void {
  c.storage.transactionSync(() => {
    c.garbage.add([previousManifest, ...unreferenced(c.meta.manifest()!, next)], c.now());
    // Every flushed live version is in the vector index (when there is one): its death is too.
    c.dead.add(dead, plan.version, next.vector_index !== undefined);
    const state = c.meta.state()!;
    c.ids.applyFlush(resolved);
    c.wal.deleteThrough(plan.through);
    c.meta.setManifest(next);
    c.meta.setState({
      ...state,
      wal_entries: state.wal_entries - plan.entries,
      wal_bytes: state.wal_bytes - plan.bytes,
      flushes: state.flushes + 1,
    });
    c.meta.clearFlushPlan();
  });
  c.memtable.dropThrough(plan.through);
}
