/**
 * The Parquet form of a segment: which column each part of a document becomes, and the one place
 * that imports hyparquet / hyparquet-writer. Segment-level logic lives in segment-writer/-reader.
 *
 *   column     parquet type                                    notes
 *   id         INT64 (UINT_64) | FLBA(16) UUID | BYTE_ARRAY UTF8   by the namespace's id kind
 *   _seq       INT64 REQUIRED                                  version / row key, ascending
 *   vector     FLBA(dims·4) OPTIONAL, PLAIN, uncompressed       float32 little-endian
 *   <attr>     string → BYTE_ARRAY UTF8, int/uint → INT64 (UINT_64), float → DOUBLE,
 *              bool → BOOLEAN, datetime → INT64 TIMESTAMP_MILLIS, uuid → FLBA(16) UUID,
 *              []T → LIST<T> (3-level), all OPTIONAL (null = absent)
 */
import { parquetMetadataAsync, parquetRead } from "hyparquet";
import type { FileMetaData, SchemaElement } from "hyparquet";
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import type { ColumnSource } from "hyparquet-writer";
import type { RangeReader } from "../../storage/range-reader.ts";
import { elementType, isArrayType } from "../schema/attribute-value.ts";
import type { Schema } from "../schema/schema.ts";
import type { AttributeType, AttributeValue, DocId, IdType, ScalarType } from "../types.ts";

export const ID_COLUMN = "id";
export const SEQ_COLUMN = "_seq";
export const VECTOR_COLUMN = "vector";
/** Vector bytes per row group: bounds the memory of a scan that streams row groups. */
export const ROW_GROUP_TARGET_BYTES = 4 << 20;
/** Small pages let a single row be read with a range request (offset index). */
export const PAGE_BYTES = 64 << 10;

export type FileMetadata = FileMetaData;

function scalarElement(name: string, type: ScalarType, repetition: "OPTIONAL" | "REQUIRED"): SchemaElement {
  switch (type) {
    case "string":
      return { name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: repetition };
    case "int":
      return { name, type: "INT64", repetition_type: repetition };
    case "uint":
      return { name, type: "INT64", converted_type: "UINT_64", repetition_type: repetition };
    case "float":
      return { name, type: "DOUBLE", repetition_type: repetition };
    case "bool":
      return { name, type: "BOOLEAN", repetition_type: repetition };
    case "datetime":
      return { name, type: "INT64", converted_type: "TIMESTAMP_MILLIS", repetition_type: repetition };
    case "uuid":
      return { name, type: "FIXED_LEN_BYTE_ARRAY", type_length: 16, logical_type: { type: "UUID" }, repetition_type: repetition };
  }
}

function attributeElements(name: string, type: AttributeType): SchemaElement[] {
  if (!isArrayType(type)) return [scalarElement(name, type as ScalarType, "OPTIONAL")];
  return [
    { name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
    { name: "list", repetition_type: "REPEATED", num_children: 1 },
    scalarElement("element", elementType(type), "REQUIRED"),
  ];
}

const ID_SCALAR: Record<IdType, ScalarType> = { u64: "uint", uuid: "uuid", string: "string" };

/** Converts values to what hyparquet-writer expects for the column's physical type. */
function toParquet(type: ScalarType, v: AttributeValue | DocId): unknown {
  if (v === null || v === undefined) return null;
  if (type === "int" || type === "uint" || type === "datetime") return BigInt(v as number);
  return v;
}

export interface SegmentRows {
  ids: DocId[];
  seqs: number[];
  vectors: (Float32Array | null)[];
  attributes: Record<string, AttributeValue[]>;
}

/** The Parquet schema of a segment holding `attributes` (in this order). */
export function segmentParquetSchema(schema: Schema, attributes: string[]): SchemaElement[] {
  const idType = schema.id_type ?? "string";
  const elements: SchemaElement[] = [{ name: "root", num_children: 0 }];
  elements.push(scalarElement(ID_COLUMN, ID_SCALAR[idType], "REQUIRED"));
  elements.push({ name: SEQ_COLUMN, type: "INT64", repetition_type: "REQUIRED" });
  if (schema.vector) {
    elements.push({ name: VECTOR_COLUMN, type: "FIXED_LEN_BYTE_ARRAY", type_length: schema.vector.dimensions * 4, repetition_type: "OPTIONAL" });
  }
  for (const name of attributes) elements.push(...attributeElements(name, schema.attributes[name].type));
  elements[0].num_children = 2 + (schema.vector ? 1 : 0) + attributes.length;
  return elements;
}

/** Rows per row group: about ROW_GROUP_TARGET_BYTES of vectors, so a scan holds one group at a time. */
export function rowsPerGroup(schema: Schema): number {
  const rowBytes = 64 + (schema.vector ? schema.vector.dimensions * 4 : 0);
  return Math.max(256, Math.floor(ROW_GROUP_TARGET_BYTES / rowBytes));
}

/** The column data of one row group, in the order of segmentParquetSchema. */
export function segmentColumns(schema: Schema, attributes: string[], rows: SegmentRows): ColumnSource[] {
  const idType = schema.id_type ?? "string";
  const columns: ColumnSource[] = [
    { name: ID_COLUMN, data: rows.ids.map((id) => toParquet(ID_SCALAR[idType], id)) as never },
    { name: SEQ_COLUMN, data: BigInt64Array.from(rows.seqs, (s) => BigInt(s)), columnIndex: true },
  ];
  if (schema.vector) {
    columns.push({
      name: VECTOR_COLUMN,
      data: rows.vectors.map((v) => (v ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : null)),
      encoding: "PLAIN",
      codec: "UNCOMPRESSED",
      statistics: false,
    });
  }
  for (const name of attributes) {
    const type = schema.attributes[name].type;
    const el = elementType(type);
    const values = rows.attributes[name] ?? new Array<AttributeValue>(rows.ids.length).fill(null);
    const data = isArrayType(type)
      ? values.map((v) => (v === null ? null : (v as unknown[]).map((x) => toParquet(el, x as AttributeValue))))
      : values.map((v) => toParquet(el, v));
    columns.push({ name, data: data as never });
  }
  return columns;
}

/** A Parquet writer whose bytes go to `sink` row group by row group (hyparquet-writer's flush hook). */
export function streamingParquetWriter(elements: SchemaElement[], sink: (bytes: Uint8Array) => Promise<void>): ParquetWriter {
  const writer = new ByteWriter(1 << 20);
  const out = writer as ByteWriter & { index: number; flush?: () => Promise<void>; finish: () => Promise<void> };
  const drain = async () => {
    const bytes = new Uint8Array(writer.buffer, 0, out.index).slice();
    out.index = 0;
    await sink(bytes);
  };
  out.flush = drain;
  out.finish = drain;
  return new ParquetWriter({ writer, schema: elements, createdBy: "elacsym" });
}

export const PARQUET_PAGE_BYTES = PAGE_BYTES;

export async function readParquetMetadata(reader: RangeReader, footerBytes = 1 << 16): Promise<FileMetadata> {
  return parquetMetadataAsync(reader, { initialFetchSize: Math.min(reader.byteLength, footerBytes) });
}

/** Column names present in a segment (attributes added after it was written are absent). */
export function columnNames(metadata: FileMetadata): Set<string> {
  const names = new Set<string>();
  let i = 1;
  const schema = metadata.schema;
  const root = schema[0].num_children ?? 0;
  for (let c = 0; c < root; c++) {
    const el = schema[i];
    names.add(el.name);
    // Skip the element and all of its descendants.
    let pending = el.num_children ?? 0;
    i++;
    while (pending > 0) {
      pending += (schema[i].num_children ?? 0) - 1;
      i++;
    }
  }
  return names;
}

const PARSERS = {
  timestampFromMilliseconds: (ms: bigint) => Number(ms),
};

function fromParquet(type: ScalarType, v: unknown): AttributeValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (type === "float" && typeof v === "number") return v;
  return v as AttributeValue;
}

/** Decodes a column chunk's raw values into engine values for the attribute type. */
export function decodeAttributeColumn(type: AttributeType, raw: ArrayLike<unknown>): AttributeValue[] {
  const el = elementType(type);
  const out = new Array<AttributeValue>(raw.length);
  if (isArrayType(type)) {
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i] as unknown[] | null | undefined;
      out[i] = v === null || v === undefined ? null : (v.map((x) => fromParquet(el, x)) as AttributeValue);
    }
  } else {
    for (let i = 0; i < raw.length; i++) out[i] = fromParquet(el, raw[i]);
  }
  return out;
}

export function decodeIdColumn(idType: IdType, raw: ArrayLike<unknown>): DocId[] {
  const out = new Array<DocId>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    out[i] = typeof v === "bigint" ? Number(v) : (v as DocId);
  }
  return out;
}

export function decodeSeqColumn(raw: ArrayLike<unknown>): Float64Array {
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = Number(raw[i] as bigint);
  return out;
}

/** Splits an FLBA vector column into Float32Array views (null where the row has no vector). */
export function decodeVectorColumn(raw: ArrayLike<unknown>): (Float32Array | null)[] {
  const out = new Array<Float32Array | null>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as Uint8Array | null | undefined;
    if (!b) {
      out[i] = null;
    } else if (b.byteOffset % 4 === 0) {
      out[i] = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    } else {
      out[i] = new Float32Array(b.slice().buffer);
    }
  }
  return out;
}

/** Reads whole columns of rows [rowStart, rowEnd) as raw arrays keyed by column name. */
export async function readColumns(
  reader: RangeReader,
  metadata: FileMetadata,
  columns: string[],
  rowStart: number,
  rowEnd: number,
): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  if (columns.length === 0 || rowEnd <= rowStart) return out;
  await parquetRead({
    file: reader,
    metadata,
    columns,
    rowStart,
    rowEnd,
    rowFormat: "array",
    useOffsetIndex: true,
    parsers: PARSERS as never,
    onChunk: (chunk) => {
      const name = chunk.columnName;
      const data = chunk.columnData as ArrayLike<unknown>;
      // Chunks may extend outside the requested range: keep only [rowStart, rowEnd).
      const from = Math.max(rowStart, chunk.rowStart);
      const to = Math.min(rowEnd, chunk.rowEnd);
      if (to <= from) return;
      const dest = (out[name] ??= new Array(rowEnd - rowStart));
      for (let r = from; r < to; r++) dest[r - rowStart] = data[r - chunk.rowStart];
    },
  });
  return out;
}

/** Row counts per row group, for streaming a segment one group at a time. */
export function rowGroupRanges(metadata: FileMetadata): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  let start = 0;
  for (const rg of metadata.row_groups) {
    const n = Number(rg.num_rows);
    ranges.push({ start, end: start + n });
    start += n;
  }
  return ranges;
}

/** Min/max of `_seq` per row group from the column statistics (rows are written in seq order). */
export function rowGroupSeqBounds(metadata: FileMetadata): { min: number; max: number }[] {
  return metadata.row_groups.map((rg) => {
    const col = rg.columns.find((c) => c.meta_data?.path_in_schema[0] === SEQ_COLUMN);
    const stats = col?.meta_data?.statistics;
    const min = stats?.min_value ?? stats?.min;
    const max = stats?.max_value ?? stats?.max;
    return { min: Number(min as bigint), max: Number(max as bigint) };
  });
}
