/**
 * From an input record to an Elacsym document `{id, vector?, attributes?}`.
 *
 * - A record shaped like a v1 document (`{"id", "vector"?, "attributes": {...}}`) is taken as is.
 * - Otherwise the record is flat: the id column (`--id`, default `id`), the vector column
 *   (`--vector`, default `vector`) and every other column as an attribute (narrowed with
 *   `--attributes` / `--exclude`). `--auto-id` uses the 0-based row number as the id instead.
 * - Null and empty values are left out. Vectors are number arrays, or in CSV a JSON array string
 *   or numbers joined by the array separator.
 * Checks the client can make cheaply are made here so that errors name the input line.
 */
import { type CsvType, coerceCsvValue } from "./csv-types.ts";

export interface MappingOptions {
  idField: string;
  vectorField: string;
  autoId: boolean;
  include: string[] | null;
  exclude: string[];
  arraySeparator: string;
}

export interface MappedDocument {
  id: number | string;
  vector?: number[];
  attributes?: Record<string, unknown>;
}

/** A problem with one input row; the importer stops on it unless --skip-invalid. */
export class RowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RowError";
  }
}

const encoder = new TextEncoder();
export const MAX_STRING_ID_BYTES = 64;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseId(raw: unknown, where: string, textIdsAreStrings: boolean): number | string {
  if (typeof raw === "bigint") raw = Number(raw);
  if (typeof raw === "number") {
    if (!Number.isSafeInteger(raw) || raw < 0) throw new RowError(`${where}: numeric ids must be integers from 0 to 2^53−1, got ${raw}`);
    return raw;
  }
  if (typeof raw === "string") {
    if (raw === "") throw new RowError(`${where}: the id is empty`);
    if (!textIdsAreStrings && /^\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
    if (encoder.encode(raw).byteLength > MAX_STRING_ID_BYTES) throw new RowError(`${where}: string ids are limited to ${MAX_STRING_ID_BYTES} bytes`);
    return raw;
  }
  if (raw === null || raw === undefined) throw new RowError(`${where}: missing (name the id column with --id <column>, or use --auto-id)`);
  throw new RowError(`${where}: ids must be unsigned integers, UUIDs or strings, got ${typeof raw}`);
}

function parseVector(raw: unknown, where: string, separator: string): number[] | undefined {
  if (raw === null || raw === undefined || raw === "") return undefined;
  let values: unknown = raw;
  if (typeof raw === "string") {
    const text = raw.trim();
    try {
      values = text.startsWith("[") ? JSON.parse(text) : text.split(separator).map((p) => (p.trim() === "" ? NaN : Number(p)));
    } catch {
      throw new RowError(`${where}: vector is not a JSON array of numbers`);
    }
  }
  if (!Array.isArray(values)) throw new RowError(`${where}: vector must be an array of numbers`);
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== "number" || !Number.isFinite(values[i])) throw new RowError(`${where}: vector[${i}] is not a finite number (${JSON.stringify(values[i])})`);
  }
  return values as number[];
}

export interface DocumentMapper {
  /** Vector dimensions expected (from the schema or the first vector), or null until known. */
  dimensions: number | null;
  map(record: Record<string, unknown>, row: number, where: string): MappedDocument;
}

/**
 * `csvTypes` is null for typed inputs (JSONL, Parquet); for CSV it maps every attribute column
 * to a type. `idType` is the namespace's id kind when known ("string" keeps digit ids as text).
 */
export function createMapper(options: MappingOptions, csvTypes: Record<string, CsvType> | null, dimensions: number | null, idType?: string): DocumentMapper {
  const textIds = idType === "string" || csvTypes?.[options.idField] === "string";
  const mapper: DocumentMapper = {
    dimensions,
    map(record, row, where) {
      const isV1 = isObject(record.attributes) && Object.keys(record).every((k) => k === options.idField || k === options.vectorField || k === "attributes");
      const id = options.autoId ? row : parseId(record[options.idField], `${where}: ${options.idField}`, textIds);
      const vector = parseVector(record[options.vectorField], `${where}: ${options.vectorField}`, options.arraySeparator);
      if (vector) {
        if (mapper.dimensions === null) mapper.dimensions = vector.length;
        else if (vector.length !== mapper.dimensions) throw new RowError(`${where}: ${options.vectorField}: has ${vector.length} dimensions, expected ${mapper.dimensions}`);
      }
      const source = isV1 ? (record.attributes as Record<string, unknown>) : record;
      const attributes: Record<string, unknown> = {};
      let count = 0;
      for (const [name, raw] of Object.entries(source)) {
        if (!isV1 && (name === options.idField || name === options.vectorField)) continue;
        if (options.include && !options.include.includes(name)) continue;
        if (options.exclude.includes(name)) continue;
        let value = raw;
        if (csvTypes && typeof raw === "string") {
          try {
            value = coerceCsvValue(csvTypes[name] ?? "string", raw, `${where}: ${name}`, options.arraySeparator);
          } catch (err) {
            throw new RowError((err as Error).message);
          }
        }
        if (value === null || value === undefined) continue;
        if (typeof value === "number" && !Number.isFinite(value)) throw new RowError(`${where}: ${name} is not a finite number`);
        attributes[name] = value;
        count++;
      }
      const doc: MappedDocument = { id };
      if (vector) doc.vector = vector;
      if (count > 0) doc.attributes = attributes;
      return doc;
    },
  };
  return mapper;
}
