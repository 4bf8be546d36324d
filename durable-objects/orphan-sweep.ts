/**
 * The orphan sweep: deletes objects under a namespace incarnation's prefix that nothing names. They
 * are left by a crash between writing an object and committing the manifest that would reference it
 * (an abandoned vector-index attempt, a build's scratch objects). Owns the listing pass and its
 * cursor; not the garbage table of objects a manifest stopped referencing (garbage.ts).
 *
 * Safety: the sweep runs only between the alarm's steps, when no flush, compaction or index commit
 * is pending, so every object a future commit will reference is either already named by the current
 * manifest or not written yet; objects an older manifest still names are in the garbage table until
 * their grace period ends; and an object younger than the grace period is never touched.
 */
import type { BlobStore } from "../src/storage/blob-store.ts";
import type { GarbageTable } from "./garbage.ts";
import type { MetaStore } from "./meta-store.ts";

/** Progress of the sweep, kept in `meta` so a pass resumes across alarms. */
export interface SweepState {
  /** Where the running pass continues its listing; absent between passes. */
  cursor?: string;
  /** When the last pass finished (epoch ms). */
  finished_at: number | null;
  /** Objects deleted by every pass so far. */
  deleted: number;
}

export interface SweepContext {
  store: BlobStore;
  meta: MetaStore;
  garbage: GarbageTable;
  /** The incarnation's prefix (`t/{tenant}/ns/{name}/{incarnation}/`). */
  prefix: string;
  /** Every key the current manifest names, the manifest object itself included. */
  live: () => Promise<Set<string>>;
  now: () => number;
  graceMs: number;
  /** Objects listed (and at most deleted) per call. */
  pageSize?: number;
}

/** Whether a pass is due: one is running, or the last one finished `intervalMs` ago. */
export function sweepDue(state: SweepState, now: number, intervalMs: number): boolean {
  return state.cursor !== undefined || state.finished_at === null || now - state.finished_at >= intervalMs;
}

/**
 * Lists one page of the prefix and deletes its orphans. Returns whether the pass has more pages.
 * Idempotent: a crash before the cursor is saved repeats the page, and R2 deletes are idempotent.
 */
export async function sweepOrphans(c: SweepContext): Promise<boolean> {
  const state = c.meta.orphanSweep();
  const page = await c.store.list(c.prefix, { cursor: state.cursor, limit: c.pageSize ?? 1000 });
  const live = await c.live();
  const cutoff = c.now() - c.graceMs;
  const orphans = page.objects
    .filter((o) => !live.has(o.key) && o.uploaded !== undefined && o.uploaded <= cutoff && !c.garbage.has(o.key))
    .map((o) => o.key);
  if (orphans.length > 0) await c.store.delete(orphans);
  const next: SweepState = { finished_at: page.cursor ? state.finished_at : c.now(), deleted: state.deleted + orphans.length };
  if (page.cursor) next.cursor = page.cursor;
  c.meta.setOrphanSweep(next);
  return page.cursor !== undefined;
}
