/**
 * The WAL in Durable Object SQLite: appending an entry's parts, reading entries back with their
 * CRCs verified, choosing a bounded flush slice, and deleting entries once a manifest covers them.
 */
import {
  type WalEntry,
  type WalPart,
  decodeWalParts,
} from "../src/core/wal/wal-entry.ts";

export interface SliceBounds {
  from: number;
  through: number;
  entries: number;
  bytes: number;
}

export class WalTable {
  private readonly sql: SqlStorage;
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /**
   * Appends one encoded entry, split into CRC-checked parts by `splitIntoParts` (before the
   * transaction: the CRCs need not hold it open); call inside a transaction. Returns the bytes stored.
   */
  append(seq: number, lastSeq: number, parts: WalPart[]): number {
    let bytes = 0;
    for (const p of parts) {
      bytes += p.bytes.byteLength;
      this.sql.exec(
        "INSERT INTO wal (seq, part, last_seq, parts, crc, bytes) VALUES (?, ?, ?, ?, ?, ?)",
        seq, p.part, lastSeq, parts.length, p.crc, p.bytes,
      );
    }
    return bytes;
  }

  /** Entries with first seq in (after, through], in order, CRC-checked (corruption throws). */
  *read(after: number, through = Number.MAX_SAFE_INTEGER): Generator<WalEntry> {
    const cursor = this.sql.exec<{ seq: number; part: number; parts: number; crc: number; bytes: ArrayBuffer }>(
      "SELECT seq, part, parts, crc, bytes FROM wal WHERE seq > ? AND seq <= ? ORDER BY seq, part",
      after, through,
    );
    let current = -1;
    let expected = 0;
    let parts: WalPart[] = [];
    for (const row of cursor) {
      if (row.seq !== current) {
        if (current >= 0) yield decodeWalParts(current, expected, parts);
        current = row.seq;
        expected = row.parts;
        parts = [];
      }
      parts.push({ part: row.part, crc: row.crc, bytes: new Uint8Array(row.bytes) });
    }
    if (current >= 0) yield decodeWalParts(current, expected, parts);
  }

  /** The next flush slice after `after`: whole entries until `maxBytes` (at least one entry). */
  nextSlice(after: number, maxBytes: number, maxRows: number): SliceBounds | null {
    const rows = this.sql.exec<{ seq: number; last_seq: number; bytes: number }>(
      "SELECT seq, last_seq, sum(length(bytes)) AS bytes FROM wal WHERE seq > ? GROUP BY seq ORDER BY seq",
      after,
    );
    let slice: SliceBounds | null = null;
    for (const r of rows) {
      const n = r.last_seq - r.seq + 1;
      if (slice && (slice.bytes + r.bytes > maxBytes || slice.through - slice.from + 1 + n > maxRows)) break;
      if (!slice) slice = { from: r.seq, through: r.last_seq, entries: 1, bytes: r.bytes };
      else {
        slice.through = r.last_seq;
        slice.entries++;
        slice.bytes += r.bytes;
      }
    }
    return slice;
  }

  deleteThrough(lastSeq: number): void {
    this.sql.exec("DELETE FROM wal WHERE last_seq <= ?", lastSeq);
  }

  deleteAll(): void {
    this.sql.exec("DELETE FROM wal");
  }
}
