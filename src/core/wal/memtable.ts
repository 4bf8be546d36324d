/**
 * The unflushed WAL tail in memory: the latest version of every id written since the manifest's
 * WAL position, including tombstones, plus the full-text view of those versions. Rebuilt from the
 * WAL on start; bounded by the WAL cap.
 */
import { idKey } from "../codec/id-key.ts";
import type { FullTextConfig } from "../index/fulltext/full-text-config.ts";
import type { TextValue } from "../index/fulltext/index-writer.ts";
import { MemoryFullTextIndex } from "../index/fulltext/tail-index.ts";
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
  private readonly bySeq = new Map<number, TailRow>();
  private vectorBytes = 0;
  private fts: MemoryFullTextIndex | null = null;
  private ftsConfigs: Record<string, FullTextConfig> = {};
  private ftsFields: string[] = [];

  /** Sets the full-text attributes to index (from the schema) and re-indexes the tail. */
  configureFullText(configs: Record<string, FullTextConfig>): void {
    this.ftsConfigs = configs;
    this.ftsFields = Object.keys(configs);
    this.fts = this.ftsFields.length > 0 ? new MemoryFullTextIndex(configs) : null;
    for (const row of this.rows.values()) this.indexText(row);
  }

  /** The tail's full-text index (live versions only), or null when the schema has no full-text attribute. */
  get fullText(): MemoryFullTextIndex | null {
    return this.fts;
  }

  bySequence(seq: number): TailRow | undefined {
    return this.bySeq.get(seq);
  }

  private indexText(row: TailRow): void {
    if (!this.fts || row.deleted) return;
    const values: Record<string, TextValue> = {};
    for (const f of this.ftsFields) values[f] = row.attributes[f] as TextValue;
    this.fts.add(row.seq, values);
  }

  private forget(row: TailRow): void {
    if (row.vector) this.vectorBytes -= row.vector.byteLength;
    this.bySeq.delete(row.seq);
    this.fts?.remove(row.seq);
  }

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
    if (old) this.forget(old);
    if (row.vector) this.vectorBytes += row.vector.byteLength;
    this.rows.set(row.key, row);
    this.bySeq.set(row.seq, row);
    this.indexText(row);
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
        this.forget(row);
        this.rows.delete(key);
      }
    }
  }

  clear(): void {
    this.rows.clear();
    this.bySeq.clear();
    this.vectorBytes = 0;
    this.configureFullText(this.ftsConfigs);
  }
}
