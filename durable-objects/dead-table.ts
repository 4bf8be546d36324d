/**
 * Dead document versions in the Durable Object's SQLite: every superseded or deleted version still
 * stored somewhere — in a segment (until compaction drops it) or in the vector index (until cluster
 * maintenance drops it). A version is forgotten when neither holds it. The manifest's deletion
 * files publish this table to readers: a delta file per flush, a full dump after compaction and
 * index maintenance.
 */

/** Callers run every mutation inside the transaction that commits the matching manifest. */
export class DeadTable {
  private readonly sql: SqlStorage;
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Versions a flush made dead; `version` is the manifest that publishes them. */
  add(seqs: number[], version: number, inIndex: boolean): void {
    if (seqs.length === 0) return;
    this.sql.exec(
      `INSERT INTO dead (seq, segs, idx, since) SELECT value, 1, ?, ? FROM json_each(?) WHERE true ON CONFLICT(seq) DO NOTHING`,
      inIndex ? 1 : 0, version, JSON.stringify(seqs),
    );
  }

  private seqs(where: string, ...args: SqlStorageValue[]): Float64Array {
    const rows = this.sql.exec<{ seq: number }>(`SELECT seq FROM dead WHERE ${where} ORDER BY seq`, ...args);
    const out: number[] = [];
    for (const r of rows) out.push(r.seq);
    return Float64Array.from(out);
  }

  /** Dead versions segments hold in [min, max] that died by manifest `version` (what a merge drops). */
  inSegments(min: number, max: number, version: number): Float64Array {
    return this.seqs("segs = 1 AND seq BETWEEN ? AND ? AND since <= ?", min, max, version);
  }

  /** Versions published dead by manifest `version` (what an index build started then leaves out). */
  diedBy(version: number): Float64Array {
    return this.seqs("since <= ?", version);
  }

  /** Every version still held somewhere: the full deletion file. */
  all(): Float64Array {
    return this.seqs("1");
  }

  /** The full deletion file as it will be once a merge of [min, max] (as of `version`) commits. */
  allAfterMerge(min: number, max: number, version: number): Float64Array {
    return this.seqs("NOT (segs = 1 AND idx = 0 AND seq BETWEEN ? AND ? AND since <= ?)", min, max, version);
  }

  /** Segments no longer hold what a merge of [min, max] dropped. */
  droppedFromSegments(min: number, max: number, version: number): void {
    this.sql.exec("UPDATE dead SET segs = 0 WHERE segs = 1 AND seq BETWEEN ? AND ? AND since <= ?", min, max, version);
    this.sql.exec("DELETE FROM dead WHERE segs = 0 AND idx = 0");
  }

  /** Index entries a pending maintenance step drops; applied when it commits. */
  stageIndexDrops(seqs: number[]): void {
    this.sql.exec("DELETE FROM index_drops");
    for (let i = 0; i < seqs.length; i += 10_000) {
      this.sql.exec("INSERT INTO index_drops (seq) SELECT value FROM json_each(?) WHERE true ON CONFLICT DO NOTHING", JSON.stringify(seqs.slice(i, i + 10_000)));
    }
  }

  /** Applies the staged index drops (inside the commit's transaction). */
  droppedFromIndexPending(): void {
    this.sql.exec("UPDATE dead SET idx = 0 WHERE seq IN (SELECT seq FROM index_drops)");
    this.sql.exec("DELETE FROM index_drops");
    this.sql.exec("DELETE FROM dead WHERE segs = 0 AND idx = 0");
  }

  /**
   * A freshly built index holds no version that was dead at the build's start and every version
   * that died since (the build encodes every version flushed after its start, dead or not).
   */
  indexRebuilt(startVersion: number): void {
    this.sql.exec("UPDATE dead SET idx = CASE WHEN since <= ? THEN 0 ELSE 1 END", startVersion);
    this.sql.exec("DELETE FROM dead WHERE segs = 0 AND idx = 0");
  }

  /** Dead rows per segment (seq ranges), for the compaction policy and stats. */
  perRange(ranges: { seq_min: number; seq_max: number }[]): number[] {
    return ranges.map(
      (r) => this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM dead WHERE segs = 1 AND seq BETWEEN ? AND ?", r.seq_min, r.seq_max).one().n,
    );
  }

  /** Dead rows segments still store. */
  inSegmentsCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM dead WHERE segs = 1").one().n;
  }

  clear(): void {
    this.sql.exec("DELETE FROM dead");
    this.sql.exec("DELETE FROM index_drops");
  }
}
