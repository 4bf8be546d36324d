/**
 * A write of several parts — turbopuffer's write request: a schema change, delete by filter, patch
 * by filter, upsert, patch and deletes, each optionally conditional — and its validation against
 * the schema, which runs before any part is appended (NamespaceWriter.apply).
 */
import { InvalidArgumentError } from "../src/core/errors.ts";
import { type FilterInput, mentionsRefNew, parseFilterInput } from "../src/core/query/filter-input.ts";
import { type Schema, parseSchema } from "../src/core/schema/schema.ts";
import { mergeSchemaUpdate } from "../src/core/schema/schema-update.ts";
import { turbopufferMetricName } from "../src/core/turbopuffer/schema.ts";
import type { DocId, Metric } from "../src/core/types.ts";
import { type PatchBatch, type UpsertBatch, normalizeAttributes, normalizeUpsert } from "../src/core/wal/write-batch.ts";
import type { NamespaceState } from "./meta-store.ts";
import type { WriteResult } from "./writer.ts";

/**
 * A write of several parts, applied in this order under one hold of the write lock: schema change,
 * delete by filter, patch by filter, upsert, patch, deletes. Every part is validated before any is
 * appended; each appended part is its own WAL entry (durable before the response).
 */
export interface WriteRequest {
  /** Schema changes (the Elacsym schema JSON form), merged by `mergeSchemaUpdate`. */
  schema?: unknown;
  /** The metric the writer assumes: checked against the namespace's, or used when vectors arrive first. */
  metric?: Metric;
  deleteByFilter?: FilterInput;
  /** Set `attributes` on every document matching `filter` (see MAX_PATCH_BY_FILTER). */
  patchByFilter?: { filter: FilterInput; attributes: Record<string, unknown>; allowPartial: boolean };
  upsert?: { batch: UpsertBatch; condition?: FilterInput };
  patch?: { batch: PatchBatch; condition?: FilterInput };
  deletes?: { ids: DocId[]; condition?: FilterInput };
  returnIds?: boolean;
}

export interface WriteRequestResult {
  /** Set when this request created the namespace. */
  created: boolean;
  schemaChanged: boolean;
  deletedByFilter: WriteResult | null;
  /** `remaining`: more documents matched than one request patches (with allowPartial). */
  patchedByFilter: (WriteResult & { remaining: boolean }) | null;
  upserted: WriteResult | null;
  patched: WriteResult | null;
  deleted: WriteResult | null;
  /** The last sequence number the request used (or the current one when it wrote nothing). */
  sequence: number;
}

/** Creates the namespace (with this initial schema) when a request finds none; returns its state. */
export type CreateNamespace = (schema: Schema) => Promise<NamespaceState>;

function parseCondition(input: FilterInput | undefined, schema: Schema, where: string): void {
  parseFilterInput(input, schema, where, { allowRefNew: true });
}

/**
 * Checks every part of a request against the namespace's schema (after the request's schema change)
 * without writing anything, and returns the schema the request's schema change leads to (`current`
 * itself when it changes nothing). `hasFlushedData`: see mergeSchemaUpdate.
 */
export function validateWriteRequest(current: Schema, request: WriteRequest, hasFlushedData: boolean): Schema {
  const changed = request.schema === undefined ? current : mergeSchemaUpdate(current, parseSchema(request.schema), hasFlushedData);
  let schema = changed;
  const metric = request.metric;
  if (metric && schema.vector && schema.vector.metric !== metric) {
    throw new InvalidArgumentError(`distance_metric: this namespace uses ${turbopufferMetricName(schema.vector.metric)}; got ${turbopufferMetricName(metric)}`);
  }
  if (request.deleteByFilter) parseFilterInput(request.deleteByFilter, schema, "delete_by_filter");
  if (request.patchByFilter) {
    parseFilterInput(request.patchByFilter.filter, schema, "patch_by_filter.filters");
    schema = normalizeAttributes(schema, [request.patchByFilter.attributes], { field: "patch_by_filter.patch", layout: "rows" }).schema;
  }
  if (request.upsert) {
    const norm = normalizeUpsert(schema, { ...request.upsert.batch, metric: metric ?? request.upsert.batch.metric });
    schema = norm.schema;
    parseCondition(request.upsert.condition, schema, "upsert_condition");
  }
  if (request.patch) {
    const { batch, condition } = request.patch;
    if (schema.id_type && schema.id_type !== batch.idType) {
      throw new InvalidArgumentError(`id: this namespace uses ${schema.id_type} ids; got ${batch.idType} ids`);
    }
    schema = normalizeAttributes(schema, batch.attributes, batch.origin).schema;
    parseCondition(condition, schema, "patch_condition");
  }
  if (request.deletes) {
    parseCondition(request.deletes.condition, schema, "delete_condition");
    if (mentionsRefNew(request.deletes.condition)) throw new InvalidArgumentError("delete_condition: a delete has no new document for $ref_new to refer to");
  }
  return changed;
}
