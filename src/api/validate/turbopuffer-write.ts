/**
 * turbopuffer's write body (`POST /v2/namespaces/:ns`, its shape validated by the route's request
 * schema) → the engine's WriteRequest: rows and columns become upsert / patch batches (ids checked,
 * vectors packed from numbers or base64 float32), filters and conditions are tagged with their
 * syntax, the schema map becomes Elacsym schema JSON. Checked here: what the schema cannot say
 * (column lengths, rows xor columns, conditions need their operation); types against the namespace
 * schema are the Durable Object's job (it owns it). Errors name the field (`upsert_columns.price`).
 */
import type { WriteRequest } from "../../../durable-objects/write-request.ts";
import { decodeBase64F32 } from "../../core/codec/base64-f32.ts";
import { InvalidArgumentError } from "../../core/errors.ts";
import { MAX_DIMENSIONS } from "../../core/schema/schema.ts";
import { turbopufferMetric, turbopufferSchemaToElacsym } from "../../core/turbopuffer/schema.ts";
import type { Metric } from "../../core/types.ts";
import type { TurbopufferWrite } from "../schemas/turbopuffer-requests.ts";
import { type BatchOrigin, type PatchBatch, type UpsertBatch, packVector, parseIds } from "../../core/wal/write-batch.ts";

type Row = { id: unknown; vector?: unknown } & Record<string, unknown>;
type Columns = { id: unknown[]; vector?: unknown } & Record<string, unknown>;

/** One document as parsed: its id, vector (or null) and the other keys. */
interface ParsedRow {
  id: unknown;
  vector: unknown;
  attributes: Record<string, unknown>;
}

function rowsOf(raw: Row[]): ParsedRow[] {
  return raw.map(({ id, vector, ...attributes }) => ({ id, vector: vector ?? null, attributes }));
}

/** Columns as rows; every column has one value per id (the request schema checked they are arrays). */
function columnsOf(raw: Columns, where: string): ParsedRow[] {
  const ids = raw.id;
  const n = ids.length;
  let vectors: unknown[] | null = null;
  if (raw.vector !== undefined && raw.vector !== null) {
    const v = raw.vector;
    if (typeof v === "string") {
      // All vectors in one base64 string: n equal slices.
      const all = decodeBase64F32(v, `${where}.vector`);
      if (all.length % n !== 0) throw new InvalidArgumentError(`${where}.vector: ${all.length} values do not split into ${n} vectors`);
      const dims = all.length / n;
      vectors = Array.from({ length: n }, (_, i) => all.subarray(i * dims, (i + 1) * dims));
    } else {
      if ((v as unknown[]).length !== n) throw new InvalidArgumentError(`${where}.vector: expected ${n} values (one per id), got ${(v as unknown[]).length}`);
      vectors = v as unknown[];
    }
  }
  const columns: [string, unknown[]][] = [];
  for (const [name, col] of Object.entries(raw)) {
    if (name === "id" || name === "vector") continue;
    const values = col as unknown[];
    if (values.length !== n) throw new InvalidArgumentError(`${where}.${name}: expected ${n} values (one per id), got ${values.length}`);
    columns.push([name, values]);
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
  const { ids, idType } = parseIds(rows.map((r) => r.id), `${where}.id`);
  return { ids, idType, attributes: rows.map((r) => r.attributes), origin: originOf(where) };
}

function eitherOf(raw: TurbopufferWrite, rowsKey: "upsert_rows" | "patch_rows", columnsKey: "upsert_columns" | "patch_columns"): ParsedRow[] | null {
  const rows = raw[rowsKey];
  const columns = raw[columnsKey];
  if (rows && columns) throw new InvalidArgumentError(`${columnsKey}: give either ${rowsKey} or ${columnsKey}, not both`);
  if (rows) return rowsOf(rows as Row[]);
  if (columns) return columnsOf(columns as Columns, columnsKey);
  return null;
}

/**
 * The validated request as the engine's WriteRequest; `creates` tells whether it may create a
 * missing namespace (it writes documents or a schema).
 */
export function translateTurbopufferWrite(raw: TurbopufferWrite): { request: WriteRequest; creates: boolean } {
  const request: WriteRequest = { returnIds: raw.return_affected_ids === true };
  const metric = raw.distance_metric === undefined || raw.distance_metric === null ? undefined : turbopufferMetric(raw.distance_metric);
  if (metric) request.metric = metric;
  if (raw.schema !== undefined && raw.schema !== null) request.schema = turbopufferSchemaToElacsym(raw.schema, "schema", metric);

  const upserts = eitherOf(raw, "upsert_rows", "upsert_columns");
  if (upserts) {
    request.upsert = { batch: upsertBatch(upserts, raw.upsert_rows ? "upsert_rows" : "upsert_columns", metric) };
    if (raw.upsert_condition) request.upsert.condition = { syntax: "turbopuffer", raw: raw.upsert_condition };
  } else if (raw.upsert_condition) {
    throw new InvalidArgumentError("upsert_condition: needs upsert_rows or upsert_columns");
  }
  const patches = eitherOf(raw, "patch_rows", "patch_columns");
  if (patches) {
    request.patch = { batch: patchBatch(patches, raw.patch_rows ? "patch_rows" : "patch_columns") };
    if (raw.patch_condition) request.patch.condition = { syntax: "turbopuffer", raw: raw.patch_condition };
  } else if (raw.patch_condition) {
    throw new InvalidArgumentError("patch_condition: needs patch_rows or patch_columns");
  }
  if (raw.deletes) {
    const { ids } = parseIds(raw.deletes, "deletes");
    request.deletes = { ids };
    if (raw.delete_condition) request.deletes.condition = { syntax: "turbopuffer", raw: raw.delete_condition };
  } else if (raw.delete_condition) {
    throw new InvalidArgumentError("delete_condition: needs deletes");
  }
  if (raw.delete_by_filter) request.deleteByFilter = { syntax: "turbopuffer", raw: raw.delete_by_filter };
  if (raw.patch_by_filter) {
    const p = raw.patch_by_filter;
    request.patchByFilter = { filter: { syntax: "turbopuffer", raw: p.filters }, attributes: p.patch, allowPartial: raw.patch_by_filter_allow_partial === true };
  }
  return { request, creates: request.upsert !== undefined || request.schema !== undefined };
}
