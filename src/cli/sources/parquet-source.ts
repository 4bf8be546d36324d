/**
 * Parquet input through hyparquet: rows are read one slice of a row group at a time (memory
 * stays bounded by the slice), and a resume starts directly at its row. Values are made JSON:
 * INT64 (bigint) becomes a number when safe and a string otherwise, timestamps become RFC 3339
 * strings, typed arrays and FIXED_LEN_BYTE_ARRAY float32 vectors become number arrays.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import type { RecordSource, SourceRecord } from "./record-source.ts";

/** Rows decoded per read: bounds memory when a row group is large. */
export const PARQUET_SLICE_ROWS = 4096;

export function toJsonValue(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) {
    // A FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY of packed little-endian float32 (how Elacsym and many
    // embedding exports store vectors).
    if (value.byteLength % 4 === 0) {
      const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
      return Array.from({ length: value.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
    }
    return new TextDecoder().decode(value);
  }
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, toJsonValue);
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v);
    return out;
  }
  return value;
}

export async function openParquetSource(path: string): Promise<RecordSource> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const totalRows = Number(metadata.num_rows);
  // Top-level columns are the root's children; a leaf among them is a plain (non-list) column.
  const typeHints: Record<string, string> = {};
  const root = metadata.schema[0];
  for (let i = 1, child = 0; child < (root.num_children ?? 0) && i < metadata.schema.length; child++) {
    const el = metadata.schema[i];
    if (!el.num_children && (el.type === "FLOAT" || el.type === "DOUBLE")) typeHints[el.name] = "float";
    // skip this column's subtree
    let pending = 1;
    while (pending > 0 && i < metadata.schema.length) pending += (metadata.schema[i++].num_children ?? 0) - 1;
  }
  const groupStarts: number[] = [];
  let at = 0;
  for (const group of metadata.row_groups) {
    groupStarts.push(at);
    at += Number(group.num_rows);
  }
  return {
    format: "parquet",
    progressUnit: "rows",
    progressTotal: totalRows,
    totalRows,
    typeHints,
    async *records(startRow: number): AsyncGenerator<SourceRecord> {
      for (let g = 0; g < metadata.row_groups.length; g++) {
        const groupStart = groupStarts[g];
        const groupEnd = groupStart + Number(metadata.row_groups[g].num_rows);
        if (groupEnd <= startRow) continue;
        for (let sliceStart = Math.max(groupStart, startRow); sliceStart < groupEnd; sliceStart += PARQUET_SLICE_ROWS) {
          const sliceEnd = Math.min(groupEnd, sliceStart + PARQUET_SLICE_ROWS);
          const rows = await parquetReadObjects({ file, metadata, rowStart: sliceStart, rowEnd: sliceEnd });
          for (let i = 0; i < rows.length; i++) {
            const row = sliceStart + i;
            yield { row, where: `row ${row}`, record: toJsonValue(rows[i]) as Record<string, unknown>, progress: row + 1 };
          }
        }
      }
    },
  };
}
