/** Deterministic test rows and the same rows written as JSONL, CSV and Parquet. */
import { writeFileSync } from "node:fs";
import { parquetWriteBuffer } from "hyparquet-writer";

export const DIMS = 8;

export interface Row {
  id: number;
  vector: number[];
  title: string;
  price: number;
  category: string;
  tags: string[];
}

export function makeRows(n: number): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    // Exactly representable in float32, so values read back compare equal.
    vector: Array.from({ length: DIMS }, (_, d) => Math.round(Math.sin(i * 0.37 + d) * 1024) / 1024),
    // Some titles need CSV quoting (comma, quote, newline).
    title: i % 97 === 0 ? `doc ${i}, "special"\nsecond line` : `doc ${i}`,
    price: i * 0.25,
    category: `c${i % 7}`,
    tags: i % 2 ? ["odd", `t${i % 5}`] : ["even"],
  }));
}

export function writeJsonl(path: string, rows: Row[]): void {
  // Flat records: id, vector, then attributes; one blank line to be ignored.
  const lines = rows.map((r) => JSON.stringify(r));
  lines.splice(10, 0, "");
  writeFileSync(path, lines.join("\n") + "\n");
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function writeCsv(path: string, rows: Row[]): void {
  const lines = ["id,vector,title,price,category,tags"];
  for (const r of rows) lines.push([String(r.id), csvCell(JSON.stringify(r.vector)), csvCell(r.title), String(r.price), r.category, r.tags.join("|")].join(","));
  writeFileSync(path, lines.join("\r\n") + "\r\n");
}

export function writeParquet(path: string, rows: Row[]): void {
  const columnData = [
    { name: "id", data: BigInt64Array.from(rows, (r) => BigInt(r.id)) },
    { name: "vector", data: rows.map((r) => r.vector) },
    { name: "title", data: rows.map((r) => r.title) },
    { name: "price", data: Float64Array.from(rows, (r) => r.price) },
    { name: "category", data: rows.map((r) => r.category) },
    { name: "tags", data: rows.map((r) => r.tags) },
  ];
  const buffer = parquetWriteBuffer({
    columnData,
    rowGroupSize: 1000,
    schema: [
      { name: "root", num_children: 6 },
      { name: "id", type: "INT64", repetition_type: "REQUIRED" },
      { name: "vector", repetition_type: "OPTIONAL", num_children: 1, converted_type: "LIST" },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      { name: "element", type: "FLOAT", repetition_type: "REQUIRED" },
      { name: "title", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      { name: "price", type: "DOUBLE", repetition_type: "OPTIONAL" },
      { name: "category", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      { name: "tags", repetition_type: "OPTIONAL", num_children: 1, converted_type: "LIST" },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      { name: "element", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
    ],
  });
  writeFileSync(path, new Uint8Array(buffer));
}
