/**
 * The unflushed WAL tail in memory: the latest version of every id written since the manifest's
 * WAL position, including tombstones. Rebuilt from the WAL on start; bounded by the WAL cap.
 */
import { idKey } from "../codec/id-key.ts";
import type { Attributes, DocId } from "../types.ts";
import type { WalEntry } from "./wal-entry.ts";

export interface TailRow {
  id: DocId;
  key: string;
  seq: number;
  deleted: boolean;
  vector: Float32Array | null;
  attributes: Attributes;
}

export class Memtable {
  private readonly rows = new Map<string, TailRow>();
  private vectorBytes = 0;

  get size(): number {
    return this.rows.size;
  }

  /** Approximate memory held by tail vectors (attributes are counted by the WAL's byte cap). */
  get bytes(): number {
    return this.vectorBytes;
  }

  get(key: string): TailRow | undefined {
    return this.rows.get(key);
  }

  values(): IterableIterator<TailRow> {
    return this.rows.values();
  }

  private set(row: TailRow): void {
    const old = this.rows.get(row.key);
    if (old?.vector) this.vectorBytes -= old.vector.byteLength;
    if (row.vector) this.vectorBytes += row.vector.byteLength;
    this.rows.set(row.key, row);
  }

  apply(entry: WalEntry): void {
    const { ids, seq } = entry;
    if (entry.op === "delete") {
      for (let i = 0; i < ids.length; i++) {
        this.set({ id: ids[i], key: idKey(ids[i]), seq: seq + i, deleted: true, vector: null, attributes: {} });
      }
      return;
    }
    const dims = entry.dims ?? 0;
    const names = entry.attrs ? Object.keys(entry.attrs) : [];
    for (let i = 0; i < ids.length; i++) {
      const attributes: Attributes = {};
      for (const name of names) {
        const v = entry.attrs![name][i];
        if (v !== null && v !== undefined) attributes[name] = v;
      }
      const vector = entry.vectors && dims > 0 ? entry.vectors.subarray(i * dims, (i + 1) * dims) : null;
      this.set({ id: ids[i], key: idKey(ids[i]), seq: seq + i, deleted: false, vector, attributes });
    }
  }

  /** Forgets every row whose latest version is at or below `seq` (now in segments). */
  dropThrough(seq: number): void {
    for (const [key, row] of this.rows) {
      if (row.seq <= seq) {
        if (row.vector) this.vectorBytes -= row.vector.byteLength;
        this.rows.delete(key);
      }
    }
  }

  clear(): void {
    this.rows.clear();
    this.vectorBytes = 0;
  }
}
