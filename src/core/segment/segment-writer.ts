/**
 * Builds one segment from resolved rows: the Parquet bytes plus the manifest entry describing them.
 * Deterministic: the same rows and schema give the same bytes (a retried flush rewrites identically).
 */
import { FullTextIndexWriter, type TextValue } from "../index/fulltext/index-writer.ts";
import { type Schema, fullTextFields } from "../schema/schema.ts";
import type { AttributeValue } from "../types.ts";
import type { TailRow } from "../wal/memtable.ts";
import type { SegmentInfo } from "./manifest.ts";
import { encodeSegmentParquet } from "./parquet-columns.ts";

export interface BuiltSegment {
  bytes: Uint8Array;
  info: Omit<SegmentInfo, "key" | "fts">;
}

/** The full-text index of a segment's rows (ascending seq), or null without full-text attributes. */
export function buildFullTextIndex(schema: Schema, rows: TailRow[]): Uint8Array | null {
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

/** `rows` must be non-empty and in ascending seq order. */
export function buildSegment(schema: Schema, rows: TailRow[], level = 0): BuiltSegment {
  const attributes: Record<string, AttributeValue[]> = {};
  for (const name of Object.keys(schema.attributes)) {
    const col = rows.map((r) => r.attributes[name] ?? null);
    if (col.some((v) => v !== null)) attributes[name] = col;
  }
  const bytes = encodeSegmentParquet(schema, {
    ids: rows.map((r) => r.id),
    seqs: rows.map((r) => r.seq),
    vectors: rows.map((r) => r.vector),
    attributes,
  });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const metadataLength = view.getUint32(bytes.byteLength - 8, true);
  return {
    bytes,
    info: {
      seq_min: rows[0].seq,
      seq_max: rows[rows.length - 1].seq,
      rows: rows.length,
      bytes: bytes.byteLength,
      footer_bytes: metadataLength + 8,
      level,
    },
  };
}
