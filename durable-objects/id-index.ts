/**
 * The id index in Durable Object SQLite: for each id its latest version and the version that
 * segments hold live. It decides which old versions a flush makes dead and which segment rows the
 * unflushed tail hides from readers.
 */
import type { ResolvedSlice } from "../src/core/wal/resolve-slice.ts";

/** Ids per statement of a batched lookup or update (the JSON parameter stays far below a SQLite value's 2 MB). */
const KEY_CHUNK = 10_000;

export interface IdRow {
  seq: number;
  deleted: boolean;
  flushed_seq: number | null;
}

export class IdIndex {
  private readonly sql: SqlStorage;
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  get(key: string): IdRow | null {
    const rows = this.sql.exec<{ seq: number; deleted: number; flushed_seq: number | null }>(
      "SELECT seq, deleted, flushed_seq FROM ids WHERE key = ?", key,
    ).toArray();
    if (rows.length === 0) return null;
    return { seq: rows[0].seq, deleted: rows[0].deleted === 1, flushed_seq: rows[0].flushed_seq };
  }

  /** Whether the id currently exists (its latest version is not a delete). */
  exists(key: string): boolean {
    const row = this.get(key);
    return row !== null && !row.deleted;
  }

  /**
   * Records new upserted versions (keys[i] gets firstSeq + i; a key repeated in the batch ends at
   * its last version); returns how many ids did not exist before. Two statements per batch: the
   * per-statement cost, not SQLite, dominates small writes.
   */
  recordUpserts(keys: string[], firstSeq: number): number {
    const json = JSON.stringify(keys);
    const existing = this.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM ids WHERE deleted = 0 AND key IN (SELECT value FROM json_each(?))", json,
      )
      .one().n;
    const distinct = new Set(keys).size;
    this.sql.exec(
      `INSERT INTO ids (key, seq, deleted, flushed_seq)
       SELECT value, ? + key, 0, NULL FROM json_each(?) WHERE true
       ON CONFLICT(key) DO UPDATE SET seq = excluded.seq, deleted = 0`,
      firstSeq, json,
    );
    return distinct - existing;
  }

  /** Records delete versions (keys[i] gets firstSeq + i); the caller passes distinct ids that exist. */
  recordDeletes(keys: string[], firstSeq: number): void {
    this.sql.exec(
      `UPDATE ids SET seq = ? + j.key, deleted = 1
       FROM json_each(?) AS j WHERE ids.key = j.value AND ids.deleted = 0`,
      firstSeq, JSON.stringify(keys),
    );
  }

  /**
   * Versions in segments that this slice makes dead (read-only: safe to call on a retried flush).
   * One statement per KEY_CHUNK ids: a statement per id cost more than the rest of the flush's
   * bookkeeping together.
   */
  deadAfterFlush(slice: ResolvedSlice): number[] {
    const rows = [...slice.upserts, ...slice.deletes];
    const flushed = new Map<string, number>();
    for (let i = 0; i < rows.length; i += KEY_CHUNK) {
      const keys = JSON.stringify(rows.slice(i, i + KEY_CHUNK).map((r) => r.key));
      const found = this.sql.exec<{ key: string; flushed_seq: number }>(
        "SELECT key, flushed_seq FROM ids WHERE key IN (SELECT value FROM json_each(?)) AND flushed_seq IS NOT NULL", keys,
      );
      for (const r of found) flushed.set(r.key, r.flushed_seq);
    }
    const dead: number[] = [];
    for (const row of rows) {
      const prev = flushed.get(row.key);
      if (prev !== undefined && prev !== row.seq) dead.push(prev);
    }
    return dead;
  }

  /**
   * Commits a flush: the slice's versions are now the live ones in segments; ids whose last
   * version is a delete are forgotten unless written again since. Call inside the commit transaction.
   */
  applyFlush(slice: ResolvedSlice): void {
    for (let i = 0; i < slice.upserts.length; i += KEY_CHUNK) {
      const pairs = JSON.stringify(slice.upserts.slice(i, i + KEY_CHUNK).map((r) => [r.key, r.seq]));
      this.sql.exec(
        `UPDATE ids SET flushed_seq = json_extract(j.value, '$[1]')
         FROM json_each(?) AS j WHERE ids.key = json_extract(j.value, '$[0]')`,
        pairs,
      );
    }
    for (let i = 0; i < slice.deletes.length; i += KEY_CHUNK) {
      const chunk = slice.deletes.slice(i, i + KEY_CHUNK);
      // Forget the id entirely if nothing newer was written after the delete.
      this.sql.exec(
        `DELETE FROM ids WHERE (key, seq) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))`,
        JSON.stringify(chunk.map((r) => [r.key, r.seq])),
      );
      this.sql.exec("UPDATE ids SET flushed_seq = NULL WHERE key IN (SELECT value FROM json_each(?))", JSON.stringify(chunk.map((r) => r.key)));
    }
  }

  /** Which of `seqs` are some id's version in segments (live as of the current manifest). */
  liveFlushed(seqs: number[]): Set<number> {
    const out = new Set<number>();
    for (let i = 0; i < seqs.length; i += 10_000) {
      const rows = this.sql.exec<{ s: number }>(
        "SELECT flushed_seq AS s FROM ids WHERE flushed_seq IN (SELECT value FROM json_each(?))",
        JSON.stringify(seqs.slice(i, i + 10_000)),
      );
      for (const r of rows) out.add(r.s);
    }
    return out;
  }

  /** Segment versions hidden by writes after `walSeq` (the tail): readers must skip them. */
  tailDeadSeqs(walSeq: number): number[] {
    return this.sql
      .exec<{ flushed_seq: number }>(
        "SELECT flushed_seq FROM ids WHERE seq > ? AND flushed_seq IS NOT NULL", walSeq,
      )
      .toArray()
      .map((r) => r.flushed_seq);
  }

  deleteAll(): void {
    this.sql.exec("DELETE FROM ids");
  }
}
