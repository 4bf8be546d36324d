/**
 * Response bodies of the turbopuffer-compatible API, for the OpenAPI document only: the handlers
 * build them (routes/turbopuffer.ts, turbopuffer-response.ts) after the official client's types.
 */
import * as z from "zod";
import { DocId } from "./common.ts";

const Count = z.int().min(0);

const Billing = z.record(z.string(), z.number()).meta({ id: "TurbopufferBilling" });

export const WriteResponse = z
  .object({
    status: z.literal("OK"),
    message: z.string(),
    rows_affected: Count,
    rows_upserted: Count.optional(),
    rows_patched: Count.optional(),
    rows_deleted: Count.optional(),
    rows_remaining: z.boolean().optional(),
    upserted_ids: z.array(DocId).optional(),
    patched_ids: z.array(DocId).optional(),
    deleted_ids: z.array(DocId).optional(),
    billing: Billing,
    performance: z.object({ server_total_ms: z.number().meta({ description: "Server time in ms from the request's arrival in the Worker to the response being ready (see the `Server-Timing` header)." }) }),
  })
  .meta({ id: "TurbopufferWriteResponse" });

const Row = z
  .object({ id: DocId, $dist: z.number().optional() })
  .catchall(z.unknown())
  .meta({ id: "TurbopufferResultRow", description: "id, `$dist` when ranked by a score, `vector` when asked for, and the attributes asked for." });

const Performance = z.record(z.string(), z.unknown()).meta({ id: "TurbopufferPerformance", description: "server_total_ms, query_execution_ms, cache_temperature, approx_namespace_size and Elacsym's own figures (object_reads, bytes_read, cache_hit_ratio, …)." });

const Result = z.object({
  rows: z.array(Row).optional(),
  aggregations: z.record(z.string(), Count).optional(),
  aggregation_groups: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const QueryResponse = z
  .object({
    ...Result.shape,
    results: z.array(Result).optional().meta({ description: "Multi-query: one result per query (one in all with rerank_by)." }),
    billing: Billing,
    performance: Performance,
  })
  .meta({ id: "TurbopufferQueryResponse" });

export const Metadata = z
  .object({
    schema: z.record(z.string(), z.unknown()),
    approx_logical_bytes: Count,
    approx_row_count: Count,
    created_at: z.string(),
    updated_at: z.string(),
    encryption: z.object({ mode: z.literal("default") }),
    index: z.object({ status: z.enum(["up-to-date", "updating"]), unindexed_bytes: Count.optional() }),
  })
  .meta({ id: "TurbopufferMetadata" });

export const StatusOk = z.object({ status: z.literal("OK") });
export const WarmResponse = z.object({ status: z.literal("ACCEPTED"), message: z.string() });
export const ExplainResponse = z.object({ plan_text: z.string() });
