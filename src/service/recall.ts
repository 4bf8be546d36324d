/**
 * Recall of the approximate vector search against exact search (turbopuffer's `_debug/recall`):
 * query vectors are sampled from the namespace's own documents (or given as one `rank_by`), each is
 * searched both ways on one snapshot, and recall@k is |approximate ∩ exact| / |exact|, averaged.
 */
import { InvalidArgumentError } from "../core/errors.ts";
import type { QueryInput } from "../core/query/query-input.ts";
import type { Hit } from "../core/query/hit.ts";
import type { Schema } from "../core/schema/schema.ts";
import type { GuardedNamespaceService } from "./guarded-namespace-service.ts";

export const MAX_RECALL_QUERIES = 100;
/** Documents read to sample query vectors from, per query asked for. */
const SAMPLE_FACTOR = 4;

export interface RecallOptions {
  num: number;
  topK: number;
  /** turbopuffer filter syntax, applied to both searches. */
  filters?: unknown;
  /** One query vector to measure instead of sampled ones. */
  vector?: unknown;
  includeGroundTruth: boolean;
}

export interface RecallReport {
  /** The namespace schema the searches ran with (to render ground-truth rows). */
  schema: Schema;
  avg_recall: number;
  avg_exhaustive_count: number;
  avg_ann_count: number;
  ground_truth?: { query_vector: number[]; nearest_neighbors: Hit[] }[];
}

function pick<T>(items: T[], n: number): T[] {
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}

export async function measureRecall(service: GuardedNamespaceService, ns: string, o: RecallOptions): Promise<RecallReport> {
  const filters = o.filters === undefined || o.filters === null ? {} : { filters: o.filters };
  let vectors: unknown[];
  let schema: Schema | null = null;
  if (o.vector !== undefined) vectors = [o.vector];
  else {
    const sample = await service.queryMany(
      ns,
      [{ syntax: "turbopuffer", raw: { top_k: Math.min(10_000, o.num * SAMPLE_FACTOR), include_attributes: ["vector"], ...filters } }],
      false,
    );
    const withVectors = sample.results[0].hits.filter((h) => h.vector);
    if (!sample.schema.vector) throw new InvalidArgumentError("recall: this namespace has no vectors");
    schema = sample.schema;
    vectors = pick(withVectors, o.num).map((h) => Array.from(h.vector!));
  }
  if (vectors.length === 0) return { schema: schema!, avg_recall: 1, avg_exhaustive_count: 0, avg_ann_count: 0, ...(o.includeGroundTruth ? { ground_truth: [] } : {}) };
  const inputs: QueryInput[] = vectors.flatMap((v) => [
    { syntax: "turbopuffer" as const, raw: { rank_by: ["vector", "ANN", v], top_k: o.topK, ...filters } },
    { syntax: "turbopuffer" as const, raw: { rank_by: ["vector", "kNN", v], top_k: o.topK, include_attributes: o.includeGroundTruth ? ["vector"] : false, ...filters } },
  ]);
  const r = await service.queryMany(ns, inputs, false);
  let recall = 0;
  let exhaustive = 0;
  let ann = 0;
  const truth: RecallReport["ground_truth"] = [];
  for (let q = 0; q < vectors.length; q++) {
    const approx = r.results[2 * q].hits;
    const exact = r.results[2 * q + 1].hits;
    const found = new Set(approx.map((h) => h.seq));
    recall += exact.length === 0 ? 1 : exact.filter((h) => found.has(h.seq)).length / exact.length;
    exhaustive += exact.length;
    ann += approx.length;
    if (o.includeGroundTruth) truth.push({ query_vector: vectors[q] as number[], nearest_neighbors: exact });
  }
  const n = vectors.length;
  return { schema: r.schema, avg_recall: recall / n, avg_exhaustive_count: exhaustive / n, avg_ann_count: ann / n, ...(o.includeGroundTruth ? { ground_truth: truth } : {}) };
}
