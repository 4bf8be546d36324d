/**
 * Typed access to the Durable Object's `meta` table: the namespace state, the current manifest,
 * an in-progress flush plan, a detected corruption, and prefixes of deleted incarnations to purge.
 */
import type { Manifest } from "../src/core/segment/manifest.ts";
import type { Schema } from "../src/core/schema/schema.ts";
import type { SweepState } from "./orphan-sweep.ts";

export interface NamespaceState {
  tenant: string;
  name: string;
  /** A new random value per create: object keys of a re-created namespace never collide. */
  incarnation: string;
  created_at: number;
  updated_at: number;
  schema: Schema;
  /** The sequence number the next written document version gets. */
  next_seq: number;
  /** Live documents (upserted and not deleted). */
  documents: number;
  /** Unflushed WAL entries and their payload bytes. */
  wal_entries: number;
  wal_bytes: number;
  flushes: number;
  compactions?: number;
  /** Acknowledged write requests and the document versions they wrote. */
  writes?: number;
  rows_written?: number;
}

/** A flush's decisions, persisted before any object is written so a retry repeats them exactly. */
export interface FlushPlan {
  version: number;
  from: number;
  through: number;
  entries: number;
  bytes: number;
  created_at: number;
  schema: Schema;
}

/** A compaction's decisions, persisted before any object is written; see compaction.ts. */
export interface CompactionPlan {
  /** Manifest version when planned: names the output objects, and the merge drops versions dead by then. */
  id: number;
  stage: "merge" | "commit";
  inputs: string[];
  reason: "size" | "dead";
  output: { key: string; fts_key: string | null; seq_min: number; seq_max: number };
  created_at: number;
  /**
   * Set when the output objects are written. From here on the commit is a function of this plan and
   * the current manifest, which nothing else changes until the commit (see compaction.ts).
   */
  result?: { rows: number; bytes: number; footer_bytes: number; fts_bytes: number | null };
}

/** Freezes a parsed value and everything in it: cached values are shared by every reader. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export class MetaStore {
  private readonly sql: SqlStorage;
  /**
   * The last parsed value per key with the JSON it came from. Every read still asks SQLite (so a
   * rolled-back transaction or another writer can never leave a stale value) but parses only when
   * the stored JSON changed: the state and the manifest are read several times per write and per
   * query, and a large namespace's manifest is tens of KB. Values are deeply frozen; change them by
   * copying.
   */
  private readonly parsed = new Map<string, { json: string; value: unknown }>();
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  private get<T>(key: string): T | null {
    const rows = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray();
    if (rows.length === 0) return null;
    const json = rows[0].value;
    const hit = this.parsed.get(key);
    if (hit && hit.json === json) return hit.value as T;
    const value = deepFreeze(JSON.parse(json) as T);
    this.parsed.set(key, { json, value });
    return value;
  }

  private set(key: string, value: unknown): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, JSON.stringify(value));
  }

  private remove(key: string): void {
    this.sql.exec("DELETE FROM meta WHERE key = ?", key);
  }

  state(): NamespaceState | null {
    return this.get<NamespaceState>("state");
  }
  setState(s: NamespaceState): void {
    this.set("state", s);
  }

  manifest(): Manifest | null {
    return this.get<Manifest>("manifest");
  }
  setManifest(m: Manifest): void {
    this.set("manifest", m);
  }

  flushPlan(): FlushPlan | null {
    return this.get<FlushPlan>("flush_plan");
  }
  setFlushPlan(p: FlushPlan): void {
    this.set("flush_plan", p);
  }
  clearFlushPlan(): void {
    this.remove("flush_plan");
  }

  compactionPlan(): CompactionPlan | null {
    return this.get<CompactionPlan>("compaction_plan");
  }
  setCompactionPlan(p: CompactionPlan): void {
    this.set("compaction_plan", p);
  }
  clearCompactionPlan(): void {
    this.remove("compaction_plan");
  }

  /** Attempts of vector index builds and maintenance steps so far (names their objects). */
  vectorAttempts(): number | null {
    return this.get<number>("vector_attempts");
  }
  setVectorAttempts(n: number): void {
    this.set("vector_attempts", n);
  }

  /** A vector index build or maintenance step whose objects are written but not committed. */
  pendingVectorCommit(): unknown {
    return this.get<unknown>("vector_commit");
  }
  setPendingVectorCommit(p: unknown): void {
    this.set("vector_commit", p);
  }
  clearPendingVectorCommit(): void {
    this.remove("vector_commit");
  }

  /** The vector index build in progress (durable-objects/vector-build.ts), if any. */
  vectorBuild<T>(): T | null {
    return this.get<T>("vector_build");
  }
  setVectorBuild(job: unknown): void {
    this.set("vector_build", job);
  }
  clearVectorBuild(): void {
    this.remove("vector_build");
  }
  /** What the last committed build was (kept for the namespace's description). */
  lastVectorBuild<T>(): T | null {
    return this.get<T>("vector_build_last");
  }
  setLastVectorBuild(status: unknown): void {
    this.set("vector_build_last", status);
  }

  corruption(): string | null {
    return this.get<string>("corruption");
  }
  setCorruption(message: string): void {
    this.set("corruption", message);
  }

  orphanSweep(): SweepState {
    return this.get<SweepState>("orphan_sweep") ?? { finished_at: null, deleted: 0 };
  }
  setOrphanSweep(s: SweepState): void {
    this.set("orphan_sweep", s);
  }

  purges(): string[] {
    return this.get<string[]>("purges") ?? [];
  }
  setPurges(prefixes: string[]): void {
    if (prefixes.length) this.set("purges", prefixes);
    else this.remove("purges");
  }

  /** Forgets the namespace (state, manifest, plans), keeping pending purges. */
  clearNamespace(): void {
    this.sql.exec("DELETE FROM meta WHERE key <> 'purges'");
  }
}
