/**
 * Compaction in the namespace Durable Object: picks a run of segments (merge-policy.ts), merges
 * them into one segment and full-text index, and commits a manifest where the run is replaced and
 * the deletion files are consolidated (dead versions the merge dropped are forgotten).
 *
 * Crash safety: the plan is stored before anything is written. The merge stage may be repeated
 * (its outputs are named by the plan, rewritten with the same bytes). Once the outputs exist the
 * plan moves to the commit stage; the alarm finishes a commit stage before any flush, so the
 * manifest it builds from — and therefore every byte it writes — is the same on every retry.
 */
import { DEFAULT_COMPACTION_POLICY, type CompactionPolicy, pickCompaction, sizeClassOf } from "../src/core/compaction/merge-policy.ts";
import { mergeSegments } from "../src/core/compaction/merge-segments.ts";
import { mergeFullTextIndexes } from "../src/core/index/fulltext/index-merge.ts";
import { fullTextFields } from "../src/core/schema/schema.ts";
import { DeadSet } from "../src/core/segment/dead-set.ts";
import { encodeDeletes } from "../src/core/segment/deletes-file.ts";
import { type Manifest, type SegmentInfo, encodeManifest } from "../src/core/segment/manifest.ts";
import { SegmentReader } from "../src/core/segment/segment-reader.ts";
import type { BlobStore } from "../src/storage/blob-store.ts";
import { type NamespaceRef, deletesKey, fullTextKey, manifestKey, segmentKey } from "../src/storage/keys.ts";
import { blobRangeReader } from "../src/storage/range-reader.ts";
import type { Faults } from "./faults.ts";
import type { DeadTable } from "./dead-table.ts";
import { type GarbageTable, unreferenced } from "./garbage.ts";
import type { CompactionPlan, MetaStore } from "./meta-store.ts";

export interface CompactionContext {
  storage: DurableObjectStorage;
  meta: MetaStore;
  garbage: GarbageTable;
  dead: DeadTable;
  store: BlobStore;
  faults: Faults;
  policy: CompactionPolicy;
  now: () => number;
  /** Run between merge steps: flushes the WAL when its backlog grows during a long merge. */
  between: () => Promise<void>;
}

function refOf(c: CompactionContext): NamespaceRef {
  const s = c.meta.state()!;
  return { tenant: s.tenant, namespace: s.name, incarnation: s.incarnation };
}

/** Chooses and stores the next compaction plan, or returns null when none is due. */
export async function planCompaction(c: CompactionContext): Promise<CompactionPlan | null> {
  const m = c.meta.manifest();
  if (!m || m.segments.length === 0) return null;
  const dead = c.dead.perRange(m.segments);
  const choice = pickCompaction(m.segments, (i) => dead[i], c.policy);
  if (!choice) return null;
  const run = m.segments.slice(choice.first, choice.first + choice.count);
  const ref = refOf(c);
  const seqMin = run[0].seq_min;
  const seqMax = run[run.length - 1].seq_max;
  const hasFts = Object.keys(fullTextFields(m.schema)).length > 0 && run.every((s) => s.fts);
  const plan: CompactionPlan = {
    id: m.version,
    stage: "merge",
    inputs: run.map((s) => s.key),
    reason: choice.reason,
    output: {
      key: segmentKey(ref, seqMin, seqMax, m.version).replace(/\.parquet$/, `-c.parquet`),
      fts_key: hasFts ? fullTextKey(ref, seqMin, seqMax, m.version).replace(/\.eftx$/, `-c.eftx`) : null,
      seq_min: seqMin,
      seq_max: seqMax,
    },
    created_at: c.now(),
  };
  c.meta.setCompactionPlan(plan);
  return plan;
}

/** The merge stage: writes the output segment and index; moves the plan to the commit stage. */
async function runMerge(c: CompactionContext, plan: CompactionPlan): Promise<void> {
  const m = c.meta.manifest()!;
  const inputs = plan.inputs.map((key) => {
    const info = m.segments.find((s) => s.key === key);
    if (!info) throw new Error(`compaction: input ${key} is not in the manifest`);
    return info;
  });
  // Versions dead by the plan's manifest version: the same set on every retry.
  const dead = new DeadSet(c.dead.inSegments(plan.output.seq_min, plan.output.seq_max, plan.id));
  const readers = await Promise.all(
    inputs.map(async (info) => {
      const reader = blobRangeReader(c.store, info.key, info.bytes);
      return new SegmentReader(reader, info, await SegmentReader.readMetadata(reader, info.footer_bytes), m.schema);
    }),
  );
  const sink = c.store.createWriter(plan.output.key);
  let merged;
  try {
    merged = await mergeSegments({ schema: m.schema, inputs: readers, dead, sink: (b) => sink.write(b), between: c.between });
    await sink.close();
  } catch (err) {
    await sink.abort();
    throw err;
  }
  c.faults.hit("compaction:after-segment");

  let ftsBytes: number | null = null;
  if (plan.output.fts_key) {
    const bytes = await mergeFullTextIndexes(
      inputs.map((info) => ({ reader: blobRangeReader(c.store, info.fts!.key, info.fts!.bytes), dead: dead.inRange(info.seq_min, info.seq_max) })),
      fullTextFields(m.schema),
    );
    await c.store.put(plan.output.fts_key, bytes);
    ftsBytes = bytes.byteLength;
  }
  c.faults.hit("compaction:after-fts");
  c.meta.setCompactionPlan({ ...plan, stage: "commit", result: { rows: merged.rows, bytes: merged.bytes, footer_bytes: merged.footer_bytes, fts_bytes: ftsBytes } });
}

/** The commit stage: consolidated deletion file, next manifest, then one SQLite transaction. */
async function runCommit(c: CompactionContext, plan: CompactionPlan): Promise<Manifest> {
  const current = c.meta.manifest()!;
  const result = plan.result!;
  const ref = refOf(c);
  const version = current.version + 1;
  const first = current.segments.findIndex((s) => s.key === plan.inputs[0]);
  if (first < 0 || plan.inputs.some((k, i) => current.segments[first + i]?.key !== k)) {
    throw new Error("compaction: the planned segments are no longer a run of the manifest");
  }
  const output: SegmentInfo = {
    key: plan.output.key,
    seq_min: plan.output.seq_min,
    seq_max: plan.output.seq_max,
    rows: result.rows,
    bytes: result.bytes,
    footer_bytes: result.footer_bytes,
    level: sizeClassOf(result.rows),
  };
  if (plan.output.fts_key) output.fts = { key: plan.output.fts_key, bytes: result.fts_bytes! };

  // Versions the merge dropped leave the segments; those the vector index no longer holds either
  // are forgotten. Later deaths stay. (The table changes only in commits, and no other commit runs
  // before this one finishes, so a retry computes the same file.)
  const remaining = c.dead.allAfterMerge(plan.output.seq_min, plan.output.seq_max, plan.id);

  const next: Manifest = {
    ...current,
    version,
    created_at: plan.created_at,
    segments: [...current.segments.slice(0, first), ...(result.rows > 0 ? [output] : []), ...current.segments.slice(first + plan.inputs.length)],
    deletes: [],
    stats: {
      rows: current.stats.rows - current.segments.slice(first, first + plan.inputs.length).reduce((n, s) => n + s.rows, 0) + result.rows,
      dead: Math.max(0, current.stats.dead - (current.segments.slice(first, first + plan.inputs.length).reduce((n, s) => n + s.rows, 0) - result.rows)),
    },
  };
  if (remaining.length > 0) {
    const bytes = encodeDeletes(remaining);
    const key = deletesKey(ref, version);
    await c.store.put(key, bytes);
    next.deletes.push({ key, count: remaining.length, bytes: bytes.byteLength });
  }
  c.faults.hit("compaction:after-deletes");
  await c.store.put(manifestKey(ref, version), encodeManifest(next));
  c.faults.hit("compaction:after-manifest");
  c.faults.hit("compaction:before-commit");

  const garbage = [...unreferenced(current, next), manifestKey(ref, current.version)];
  if (result.rows === 0) garbage.push(plan.output.key, ...(plan.output.fts_key ? [plan.output.fts_key] : []));
  c.storage.transactionSync(() => {
    c.meta.setManifest(next);
    const state = c.meta.state()!;
    c.meta.setState({ ...state, compactions: (state.compactions ?? 0) + 1 });
    c.garbage.add(garbage, c.now());
    c.dead.droppedFromSegments(plan.output.seq_min, plan.output.seq_max, plan.id);
    c.meta.clearCompactionPlan();
  });
  return next;
}

/** Finishes a compaction whose outputs are written (first thing an alarm does). */
export async function resumeCompactionCommit(c: CompactionContext): Promise<boolean> {
  const plan = c.meta.compactionPlan();
  if (!plan || plan.stage !== "commit") return false;
  await runCommit(c, plan);
  return true;
}

/** Runs one compaction (resuming a stored plan, or choosing one); false when none is due. */
export async function compactOnce(c: CompactionContext): Promise<boolean> {
  let plan = c.meta.compactionPlan();
  if (!plan) plan = await planCompaction(c);
  if (!plan) return false;
  c.faults.hit("compaction:after-plan");
  if (plan.stage === "merge") {
    await runMerge(c, plan);
    plan = c.meta.compactionPlan()!;
  }
  await runCommit(c, plan);
  return true;
}

export { DEFAULT_COMPACTION_POLICY };
