/**
 * The namespace Durable Object's SQLite tables, created on first start. `wal` holds unflushed
 * entries; `ids` is the id index (current version per id and the version live in segments).
 */

export const DDL = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  // One row per part of a WAL entry; an entry spans seq..last_seq (one version per document).
  `CREATE TABLE IF NOT EXISTS wal (
     seq INTEGER NOT NULL,
     part INTEGER NOT NULL,
     last_seq INTEGER NOT NULL,
     parts INTEGER NOT NULL,
     crc INTEGER NOT NULL,
     bytes BLOB NOT NULL,
     PRIMARY KEY (seq, part))`,
  // seq: latest version of the id (deleted = 1 if that version is a delete);
  // flushed_seq: the version of the id that segments hold live, if any.
  `CREATE TABLE IF NOT EXISTS ids (
     key TEXT PRIMARY KEY,
     seq INTEGER NOT NULL,
     deleted INTEGER NOT NULL,
     flushed_seq INTEGER) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS ids_by_seq ON ids (seq)`,
  // Vector index maintenance asks which index entries are still some id's live version.
  `CREATE INDEX IF NOT EXISTS ids_by_flushed ON ids (flushed_seq)`,
  // Index entries a pending maintenance commit drops (dead versions leaving the index).
  `CREATE TABLE IF NOT EXISTS index_drops (seq INTEGER PRIMARY KEY)`,
  // Dead versions still held by segments (segs) or the vector index (idx); see dead-table.ts.
  `CREATE TABLE IF NOT EXISTS dead (seq INTEGER PRIMARY KEY, segs INTEGER NOT NULL, idx INTEGER NOT NULL, since INTEGER NOT NULL)`,
  // Where each cluster's block sits in each scratch fragment of the index build in progress.
  `CREATE TABLE IF NOT EXISTS build_blocks (
     cluster INTEGER NOT NULL,
     fragment INTEGER NOT NULL,
     count INTEGER NOT NULL,
     offset INTEGER NOT NULL,
     scan_bytes INTEGER NOT NULL,
     vector_bytes INTEGER NOT NULL,
     PRIMARY KEY (cluster, fragment)) WITHOUT ROWID`,
  // Objects no manifest references any more, deleted once older than the grace period.
  `CREATE TABLE IF NOT EXISTS garbage (key TEXT PRIMARY KEY, since INTEGER NOT NULL) WITHOUT ROWID`,
];

export function createTables(sql: SqlStorage): void {
  for (const stmt of DDL) sql.exec(stmt);
}
