/**
 * Writes one segment: rows in ascending seq order go out as Parquet row groups to a streaming sink
 * (flush and compaction alike), plus the segment's full-text index. Deterministic: the same rows,
 * schema and attribute list give the same bytes, so a retried flush or compaction rewrites identically.
 */
import { FullTextIndexWriter, type TextValue } from "../index/fulltext/index-writer.ts";
import { type Schema, fullTextFields } from "../schema/schema.ts";
import type { AttributeValue, Attributes, DocId } from "../types.ts";
import type { SegmentInfo } from "./manifest.ts";
import {
  PARQUET_PAGE_BYTES,
  type SegmentRows,
  rowsPerGroup,
  segmentColumns,
  segmentParquetSchema,
  streamingParquetWriter,
} from "./parquet-columns.ts";

export interface SegmentRow {
  id: DocId;
  seq: number;
  vector: Float32Array | null;
  attributes: Attributes;
}

/** What a finished segment adds to its manifest entry. */
export type WrittenSegment = Pick<SegmentInfo, "rows" | "bytes" | "footer_bytes">;

/** The attributes (in schema order) that at least one of `rows` has. */
export function attributesPresent(schema: Schema, rows: SegmentRow[]): string[] {
  return Object.keys(schema.attributes).filter((name) => rows.some((r) => r.attributes[name] !== undefined && r.attributes[name] !== null));
}

export class SegmentWriter {
  private readonly schema: Schema;
  private readonly attributes: string[];
  private readonly groupRows: number;
  private readonly pq: ReturnType<typeof streamingParquetWriter>;
  private readonly sink: (bytes: Uint8Array) => Promise<void>;
  private pending: SegmentRows;
  private rows = 0;
  private bytes = 0;
  private tail = new Uint8Array(0);
  /** `sink` receives the file's bytes in order; `attributes` fixes the columns written. */
  constructor(schema: Schema, attributes: string[], sink: (bytes: Uint8Array) => Promise<void>) {
    this.schema = schema;
    this.attributes = attributes;
    this.groupRows = rowsPerGroup(schema);
    this.sink = async (bytes) => {
      this.bytes += bytes.byteLength;
      // Keep the last 8 bytes seen: the footer length lives there.
      if (bytes.byteLength >= 8) {
        this.tail = bytes.slice(bytes.byteLength - 8);
      } else {
        const joined = new Uint8Array(this.tail.byteLength + bytes.byteLength);
        joined.set(this.tail);
        joined.set(bytes, this.tail.byteLength);
        this.tail = joined.slice(Math.max(0, joined.byteLength - 8));
      }
      await sink(bytes);
    };
    this.pq = streamingParquetWriter(segmentParquetSchema(schema, attributes), this.sink);
    this.pending = this.emptyRows();
  }

  private emptyRows(): SegmentRows {
    return { ids: [], seqs: [], vectors: [], attributes: Object.fromEntries(this.attributes.map((a) => [a, [] as AttributeValue[]])) };
  }

  /** Adds one row; rows must come in ascending seq order. */
  async add(row: SegmentRow): Promise<void> {
    const p = this.pending;
    p.ids.push(row.id);
    p.seqs.push(row.seq);
    p.vectors.push(row.vector);
    for (const a of this.attributes) p.attributes[a].push(row.attributes[a] ?? null);
    if (p.ids.length >= this.groupRows) await this.writeGroup();
  }

  private async writeGroup(): Promise<void> {
    const rows = this.pending;
    if (rows.ids.length === 0) return;
    this.pending = this.emptyRows();
    this.rows += rows.ids.length;
    await this.pq.write({
      columnData: segmentColumns(this.schema, this.attributes, rows),
      rowGroupSize: rows.ids.length,
      pageSize: PARQUET_PAGE_BYTES,
    });
  }

  /** Writes the last row group and the footer. */
  async finish(): Promise<WrittenSegment> {
    await this.writeGroup();
    await this.pq.finish();
    const view = new DataView(this.tail.buffer, this.tail.byteOffset, this.tail.byteLength);
    return { rows: this.rows, bytes: this.bytes, footer_bytes: view.getUint32(0, true) + 8 };
  }
}

/** The full-text index of a segment's rows (ascending seq), or null without full-text attributes. */
export function buildFullTextIndex(schema: Schema, rows: Iterable<SegmentRow>): Uint8Array | null {
  const configs = fullTextFields(schema);
  const fields = Object.keys(configs);
  if (fields.length === 0) return null;
  const writer = new FullTextIndexWriter(configs);
  for (const row of rows) {
    const values: Record<string, TextValue> = {};
    for (const f of fields) values[f] = row.attributes[f] as TextValue;
    writer.addDocument(row.seq, values);
  }
  return writer.finish();
}
