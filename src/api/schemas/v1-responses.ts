/**
 * Response bodies of the Elacsym API (v1), for the OpenAPI document only: handlers build these
 * shapes (routes/v1-namespaces.ts, render.ts); nothing validates responses at run time.
 */
import * as z from "zod";
import { Attributes, DocId, Vector } from "./common.ts";
import { NamespaceSchema } from "./v1-requests.ts";

const Count = z.int().min(0);

export const NamespaceDescription = z
  .object({
    name: z.string(),
    schema: NamespaceSchema,
    documents: Count,
    segments: Count,
    manifest_version: Count,
    wal: z.object({ entries: Count, bytes: Count }).meta({ description: "Acknowledged writes not yet flushed to R2." }),
    index: z.object({ status: z.enum(["up-to-date", "updating"]), unindexed_documents: Count }),
    created_at: z.string().meta({ format: "date-time" }),
    updated_at: z.string().meta({ format: "date-time" }),
    flushes: Count,
    writes: Count,
    rows_written: Count,
    storage: z.record(z.string(), z.unknown()).optional().meta({ description: "Stored bytes, dead rows, segments per tier, compaction and garbage figures." }),
  })
  .meta({ id: "NamespaceDescription" });

export const NamespaceList = z
  .object({
    namespaces: z.array(z.object({ id: z.string(), name: z.string(), created_at: z.string().meta({ format: "date-time" }) })),
    next_cursor: z.string().optional(),
  })
  .meta({ id: "NamespaceList" });

export const NamespaceStats = z
  .object({
    namespace: z.string(),
    documents: Count,
    writes: Count,
    rows_written: Count,
    wal: z.object({ entries: Count, bytes: Count }),
    flushes: Count,
    segments: Count,
    manifest_version: Count,
    index: z.object({ status: z.enum(["up-to-date", "updating"]), unindexed_documents: Count }),
  })
  .catchall(z.unknown())
  .meta({ id: "NamespaceStats", description: "Counters of one namespace, plus its storage figures." });

export const Deleted = z.object({ deleted: z.literal(true) });

/** Server time of a request: from its arrival in the Worker to its response being ready (the `total` of `Server-Timing`). */
const TookMs = z.number().min(0).meta({ description: "Server time in ms from the request's arrival in the Worker to the response being ready (the `total` of the `Server-Timing` header, which also lists the stages)." });

export const UpsertResponse = z
  .object({ upserted: Count, sequence: Count.meta({ description: "WAL sequence of the write." }), took_ms: TookMs })
  .meta({ id: "UpsertResponse", description: "Returned once the write is durable in the namespace's WAL." });
export const PatchResponse = z.object({ patched: Count, sequence: Count, took_ms: TookMs }).meta({ id: "PatchResponse" });
export const DeleteResponse = z.object({ deleted: Count, sequence: Count, took_ms: TookMs }).meta({ id: "DeleteResponse" });

const ResultDocument = z
  .object({ id: DocId, score: z.number().optional(), attributes: Attributes.optional(), vector: Vector.optional() })
  .meta({ id: "ResultDocument", description: "`score`: distance (smaller is closer), BM25 or fused score; absent when ordering by an attribute." });

export const FetchResponse = z.object({ documents: z.array(ResultDocument) }).meta({ id: "FetchResponse" });

export const QueryPerformance = z
  .object({
    server_ms: z.number(),
    exhaustive_search_count: Count.meta({ description: "Documents scored by a full scan (the WAL tail or an exact fallback)." }),
    index_candidates: Count.meta({ description: "Documents scored through an index." }),
    object_reads: Count,
    bytes_read: Count,
    cache_hit_ratio: z.number().min(0).max(1),
    consistency: z.enum(["strong", "eventual"]),
  })
  .catchall(z.unknown())
  .meta({ id: "QueryPerformance" });

export const QueryResponse = z
  .object({
    results: z.array(ResultDocument).optional(),
    aggregations: z.record(z.string(), Count).optional(),
    aggregation_groups: z.array(z.record(z.string(), z.unknown())).optional(),
    took_ms: TookMs,
    performance: QueryPerformance,
  })
  .meta({ id: "QueryResponse", description: "`results`, or for aggregate queries `aggregations` (no group_by) or `aggregation_groups`." });

export const RecallResponse = z
  .object({ avg_recall: z.number(), avg_exhaustive_count: z.number(), avg_ann_count: z.number(), ground_truth: z.array(z.unknown()).optional() })
  .catchall(z.unknown())
  .meta({ id: "RecallResponse" });
