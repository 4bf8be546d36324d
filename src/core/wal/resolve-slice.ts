/**
 * Resolves a slice of WAL entries to the last write per id (what a flush persists): upserted rows
 * in seq order for the new segment, and the ids whose last write in the slice is a delete.
 */
import { Memtable, type TailRow } from "./memtable.ts";
import type { WalEntry } from "./wal-entry.ts";

export interface ResolvedSlice {
  /** Latest version per id in the slice that is an upsert, ascending seq. */
  upserts: TailRow[];
  /** Latest version per id in the slice that is a delete. */
  deletes: TailRow[];
}

export function resolveSlice(entries: Iterable<WalEntry>): ResolvedSlice {
  const table = new Memtable();
  for (const e of entries) table.apply(e);
  const upserts: TailRow[] = [];
  const deletes: TailRow[] = [];
  for (const row of table.values()) (row.deleted ? deletes : upserts).push(row);
  upserts.sort((a, b) => a.seq - b.seq);
  deletes.sort((a, b) => a.seq - b.seq);
  return { upserts, deletes };
}

