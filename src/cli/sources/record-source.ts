/**
 * Input files as a sequence of records, whatever the format. A source can start at any row
 * (how the importer resumes) and reports progress in bytes (JSONL, CSV: the row count is not
 * known without reading the whole file) or rows (Parquet knows it from the footer).
 */
import { extname } from "node:path";
import { openCsvSource } from "./csv-source.ts";
import { openJsonlSource } from "./jsonl-source.ts";
import { openParquetSource } from "./parquet-source.ts";

export type InputFormat = "jsonl" | "csv" | "tsv" | "parquet";

export interface SourceRecord {
  /** 0-based index of the record among the file's records (blank lines are not records). */
  row: number;
  /** Where to point a human: "line 12" or "row 11". */
  where: string;
  record: Record<string, unknown>;
  /** Set when the record could not be read (e.g. a JSONL line that is not JSON); record is {}. */
  error?: string;
  /** Progress position after this record, in the source's progress unit. */
  progress: number;
}

export interface RecordSource {
  format: InputFormat;
  progressUnit: "bytes" | "rows";
  progressTotal: number;
  /** Attribute types the file itself declares (Parquet FLOAT/DOUBLE → float); used by --create. */
  typeHints: Record<string, string>;
  /** Known row count (Parquet), else null. */
  totalRows: number | null;
  /** The records from `startRow` on (earlier ones are read past, not parsed when avoidable). */
  records(startRow: number): AsyncIterable<SourceRecord>;
}

export function detectFormat(path: string, explicit?: string): InputFormat {
  const format = (explicit ?? extname(path.replace(/\.gz$/, "")).slice(1)).toLowerCase();
  switch (format) {
    case "jsonl":
    case "ndjson":
    case "json":
      return "jsonl";
    case "csv":
      return "csv";
    case "tsv":
      return "tsv";
    case "parquet":
    case "pq":
      return "parquet";
    default:
      throw new Error(`import: cannot tell the format of '${path}'; pass --format jsonl|csv|tsv|parquet`);
  }
}

export async function openSource(path: string, format: InputFormat, options: { delimiter?: string }): Promise<RecordSource> {
  switch (format) {
    case "jsonl":
      return openJsonlSource(path);
    case "csv":
    case "tsv":
      return openCsvSource(path, format, options.delimiter ?? (format === "tsv" ? "\t" : ","));
    case "parquet":
      return openParquetSource(path);
  }
}
