/**
 * turbopuffer's write body (`POST /v2/namespaces/:ns`) → the engine's WriteRequest: rows and columns
 * become upsert / patch batches (ids checked, vectors packed from numbers or base64 float32), filters
 * and conditions are tagged with their syntax, the schema map becomes Elacsym schema JSON. Only
 * structure is checked here; types against the schema are the Durable Object's job (it owns it).
 * Errors name the offending field (`upsert_rows[3].vector`, `upsert_columns.price`).
 */
import type { WriteRequest } from "../../../durable-objects/write-request.ts";
import { decodeBase64F32 } from "../../core/codec/base64-f32.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { MAX_DIMENSIONS } from "../../core/schema/schema.ts";
import { turbopufferMetric, turbopufferSchemaToElacsym } from "../../core/turbopuffer/schema.ts";
import type { Metric } from "../../core/types.ts";
import { type BatchOrigin, MAX_BATCH_DOCUMENTS, type PatchBatch, type UpsertBatch, packVector, parseIds } from "../../core/wal/write-batch.ts";

const WRITE_KEYS = [
  "upsert_rows",
  "upsert_columns",
  "patch_rows",
  "patch_columns",
  "deletes",
  "delete_by_filter",
  "delete_by_filter_allow_partial",
  "patch_by_filter",
  "patch_by_filter_allow_partial",
  "upsert_condition",
  "patch_condition",
  "delete_condition",
  "distance_metric",
  "schema",
  "return_affected_ids",
  "disable_backpressure",
  "encryption",
];
const UNSUPPORTED_KEYS = ["copy_from_namespace", "branch_from_namespace", "sharding"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One document as parsed: its id, vector (or null) and the other keys. */
interface ParsedRow {
  id: unknown;
  vector: unknown;
  attributes: Record<string, unknown>;
}

function rowsOf(raw: unknown, where: string): ParsedRow[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new InvalidArgumentError(`${where}: expected a non-empty array of rows`);
  if (raw.length > MAX_BATCH_DOCUMENTS) throw new InvalidArgumentError(`${where}: at most ${MAX_BATCH_DOCUMENTS} rows per request (got ${raw.length})`);
  return raw.map((row, i) => {
    if (!isObject(row)) throw new InvalidArgumentError(`${where}[${i}]: expected an object {"id": ..., ...attributes}`);
    if (!("id" in row)) throw new InvalidArgumentError(`${where}[${i}]: missing id`);
    const { id, vector, ...attributes } = row;
    return { id, vector: vector ?? null, attributes };
  });
}

function columnsOf(raw: unknown, where: string): ParsedRow[] {
  if (!isObject(raw)) throw new InvalidArgumentError(`${where}: expected an object of columns {"id": [...], "attr": [...]}`);
  const ids = raw.id;
  if (!Array.isArray(ids) || ids.length === 0) throw new InvalidArgumentError(`${where}.id: expected a non-empty array of ids`);
  const n = ids.length;
  if (n > MAX_BATCH_DOCUMENTS) throw new InvalidArgumentError(`${where}: at most ${MAX_BATCH_DOCUMENTS} rows per request (got ${n})`);
  let vectors: unknown[] | null = null;
  if (raw.vector !== undefined && raw.vector !== null) {
    const v = raw.vector;
    if (typeof v === "string") {
      // All vectors in one base64 string: n equal slices.
      const all = decodeBase64F32(v, `${where}.vector`);
      if (all.length % n !== 0) throw new InvalidArgumentError(`${where}.vector: ${all.length} values do not split into ${n} vectors`);
      const dims = all.length / n;
      vectors = Array.from({ length: n }, (_, i) => all.subarray(i * dims, (i + 1) * dims));
    } else if (Array.isArray(v)) {
      if (v.length !== n) throw new InvalidArgumentError(`${where}.vector: expected ${n} values (one per id), got ${v.length}`);
      vectors = v;
    } else throw new InvalidArgumentError(`${where}.vector: expected an array of vectors or a base64 string`);
  }
  const columns: [string, unknown[]][] = [];
  for (const [name, col] of Object.entries(raw)) {
    if (name === "id" || name === "vector") continue;
    if (!Array.isArray(col)) throw new InvalidArgumentError(`${where}.${name}: expected an array of ${n} values`);
    if (col.length !== n) throw new InvalidArgumentError(`${where}.${name}: expected ${n} values (one per id), got ${col.length}`);
    columns.push([name, col]);
  }
  return ids.map((id, i) => {
    const attributes: Record<string, unknown> = {};
    for (const [name, col] of columns) if (col[i] !== undefined) attributes[name] = col[i];
    return { id, vector: vectors ? vectors[i] ?? null : null, attributes };
  });
}

/** Packs the rows' vectors: every row has one or none has. */
function packVectors(rows: ParsedRow[], where: string): { dims: number; vectors: Float32Array | null } {
  const decoded = rows.map((r, i) => (typeof r.vector === "string" ? decodeBase64F32(r.vector, `${where}[${i}].vector`) : r.vector));
  const withVector = decoded.filter((v) => v !== null).length;
  if (withVector === 0) return { dims: 0, vectors: null };
  if (withVector !== rows.length) throw new InvalidArgumentError(`${where}: either every row of a request has a vector or none has`);
  const first = decoded[0] as ArrayLike<number>;
  const dims = first.length;
  if (!Number.isInteger(dims) || dims < 1 || dims > MAX_DIMENSIONS) throw new InvalidArgumentError(`${where}[0].vector: expected 1 to ${MAX_DIMENSIONS} numbers`);
  const vectors = new Float32Array(rows.length * dims);
  decoded.forEach((v, i) => packVector(v instanceof Float32Array ? Array.from(v) : v, dims, vectors, i * dims, `${where}[${i}].vector`));
  return { dims, vectors };
}

function originOf(where: string): BatchOrigin {
  return { field: where, layout: where.endsWith("_columns") ? "columns" : "rows" };
}

function upsertBatch(rows: ParsedRow[], where: string, metric: Metric | undefined): UpsertBatch {
  const { ids, idType } = parseIds(rows.map((r) => r.id), `${where}.id`);
  const { dims, vectors } = packVectors(rows, where);
  return { ids, idType, dims, vectors, attributes: rows.map((r) => r.attributes), origin: originOf(where), ...(metric ? { metric } : {}) };
}

function patchBatch(rows: ParsedRow[], where: string): PatchBatch {
  rows.forEach((r, i) => {
    if (r.vector !== null) throw new InvalidArgumentError(`${where}[${i}].vector: vectors cannot be patched; upsert the whole document`);
  });
  const { ids, idType } = parseIds(rows.map((r) => r.id), `${where}.id`);
  return { ids, idType, attributes: rows.map((r) => r.attributes), origin: originOf(where) };
}

function eitherOf(raw: Record<string, unknown>, rowsKey: string, columnsKey: string): ParsedRow[] | null {
  const hasRows = raw[rowsKey] !== undefined && raw[rowsKey] !== null;
  const hasColumns = raw[columnsKey] !== undefined && raw[columnsKey] !== null;
  if (hasRows && hasColumns) throw new InvalidArgumentError(`${columnsKey}: give either ${rowsKey} or ${columnsKey}, not both`);
  if (hasRows) return rowsOf(raw[rowsKey], rowsKey);
  if (hasColumns) return columnsOf(raw[columnsKey], columnsKey);
  return null;
}

function bool(raw: unknown, where: string): boolean {
  if (raw === undefined || raw === null) return false;
  if (typeof raw !== "boolean") throw new InvalidArgumentError(`${where}: expected true or false`);
  return raw;
}

/** The parsed request; `creates` tells whether it may create a missing namespace (it writes documents or a schema). */
export function parseTurbopufferWrite(raw: unknown): { request: WriteRequest; creates: boolean } {
  if (!isObject(raw)) throw new InvalidArgumentError("write: expected a JSON object");
  for (const key of Object.keys(raw)) {
    if (UNSUPPORTED_KEYS.includes(key)) throw new InvalidArgumentError(`${key}: not supported by Elacsym`);
    if (!WRITE_KEYS.includes(key)) throw new InvalidArgumentError(`write: unknown field '${key}' (allowed: ${WRITE_KEYS.join(", ")})`);
  }
  bool(raw.disable_backpressure, "disable_backpressure");
  bool(raw.delete_by_filter_allow_partial, "delete_by_filter_allow_partial");
  if (raw.encryption !== undefined && raw.encryption !== null) {
    if (!isObject(raw.encryption) || raw.encryption.mode !== "default") throw new InvalidArgumentError('encryption: only {"mode": "default"} is supported by Elacsym');
  }
  const request: WriteRequest = { returnIds: bool(raw.return_affected_ids, "return_affected_ids") };
  const metric = raw.distance_metric === undefined || raw.distance_metric === null ? undefined : turbopufferMetric(raw.distance_metric);
  if (metric) request.metric = metric;
  if (raw.schema !== undefined && raw.schema !== null) request.schema = turbopufferSchemaToElacsym(raw.schema, "schema", metric);

  const upserts = eitherOf(raw, "upsert_rows", "upsert_columns");
  if (upserts) {
    request.upsert = { batch: upsertBatch(upserts, raw.upsert_rows ? "upsert_rows" : "upsert_columns", metric) };
    if (raw.upsert_condition !== undefined && raw.upsert_condition !== null) request.upsert.condition = { syntax: "turbopuffer", raw: raw.upsert_condition };
  } else if (raw.upsert_condition !== undefined && raw.upsert_condition !== null) {
    throw new InvalidArgumentError("upsert_condition: needs upsert_rows or upsert_columns");
  }
  const patches = eitherOf(raw, "patch_rows", "patch_columns");
  if (patches) {
    request.patch = { batch: patchBatch(patches, raw.patch_rows ? "patch_rows" : "patch_columns") };
    if (raw.patch_condition !== undefined && raw.patch_condition !== null) request.patch.condition = { syntax: "turbopuffer", raw: raw.patch_condition };
  } else if (raw.patch_condition !== undefined && raw.patch_condition !== null) {
    throw new InvalidArgumentError("patch_condition: needs patch_rows or patch_columns");
  }
  if (raw.deletes !== undefined && raw.deletes !== null) {
    const { ids } = parseIds(raw.deletes, "deletes");
    request.deletes = { ids };
    if (raw.delete_condition !== undefined && raw.delete_condition !== null) request.deletes.condition = { syntax: "turbopuffer", raw: raw.delete_condition };
  } else if (raw.delete_condition !== undefined && raw.delete_condition !== null) {
    throw new InvalidArgumentError("delete_condition: needs deletes");
  }
  if (raw.delete_by_filter !== undefined && raw.delete_by_filter !== null) request.deleteByFilter = { syntax: "turbopuffer", raw: raw.delete_by_filter };
  const allowPartial = bool(raw.patch_by_filter_allow_partial, "patch_by_filter_allow_partial");
  if (raw.patch_by_filter !== undefined && raw.patch_by_filter !== null) {
    const p = raw.patch_by_filter;
    if (!isObject(p) || Object.keys(p).some((k) => k !== "filters" && k !== "patch")) throw new InvalidArgumentError('patch_by_filter: expected {"filters": [...], "patch": {"attr": value, ...}}');
    if (p.filters === undefined || p.filters === null) throw new InvalidArgumentError("patch_by_filter.filters: required");
    if (!isObject(p.patch) || Object.keys(p.patch).length === 0) throw new InvalidArgumentError("patch_by_filter.patch: expected an object of attributes to set");
    if ("id" in p.patch || "vector" in p.patch) throw new InvalidArgumentError("patch_by_filter.patch: ids and vectors cannot be patched");
    request.patchByFilter = { filter: { syntax: "turbopuffer", raw: p.filters }, attributes: p.patch, allowPartial };
  }
  return { request, creates: request.upsert !== undefined || request.schema !== undefined };
}
