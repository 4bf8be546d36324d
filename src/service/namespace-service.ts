/**
 * The Worker's side of every namespace operation, shared by both HTTP APIs: routes calls to the
 * namespace's Durable Object, keeps the catalog in step, and runs the segment half of queries and
 * fetches through the caches. Knows nothing about HTTP.
 */
import type { FetchSnapshot, MultiQuerySnapshot, NamespaceDescription, NamespaceDO, WriteRequestOutcome, WriteResult } from "../../durable-objects/namespace-do.ts";
import type { WriteRequest } from "../../durable-objects/write-request.ts";
import { unwrap, type Result } from "../../durable-objects/rpc-result.ts";
import { D1Catalog } from "../catalog/d1-catalog.ts";
import { type EngineConfig, readConfig } from "../config.ts";
import { EngineError, InvalidArgumentError, NamespaceNotFoundError } from "../core/errors.ts";
import type { Hit, TailAnswer } from "../core/query/hit.ts";
import type { AggregateResult } from "../core/query/order.ts";
import type { QueryPlan } from "../core/query/plan.ts";
import { type QueryInput, planQueryInput } from "../core/query/query-input.ts";
import { type SegmentHit, materializeSegmentHits, searchSegments } from "../core/query/segment-search.ts";
import { checkNamespaceName } from "../core/schema/names.ts";
import type { Schema } from "../core/schema/schema.ts";
import { type Manifest, currentVectorIndex, decodeManifest, segmentForSeq } from "../core/segment/manifest.ts";
import type { DocId } from "../core/types.ts";
import type { PatchBatch, UpsertBatch } from "../core/wal/write-batch.ts";
import type { Env } from "../env.ts";
import { CacheApiEdge } from "../storage/cache-api-edge.ts";
import { type IoStats, cacheHitRatio, newIoStats, storageRoundTrips } from "../storage/io-stats.ts";
import { type NamespaceRef, manifestKey, manifestListPrefix, versionFromManifestKey } from "../storage/keys.ts";
import { ObjectCache } from "../storage/object-cache.ts";
import { R2BlobStore } from "../storage/r2-blob-store.ts";
import { EntryLru, blockCache } from "./isolate-cache.ts";
import { executeQuery, warmFullTextIndexes } from "./query-executor.ts";
import { CachedSegmentSource } from "./segment-source.ts";
import { searchVectorIndex, warmVectorIndex } from "./vector-search.ts";

/** The Durable Object's RPC surface as the Worker calls it. */
export type NamespaceRpc = Pick<
  NamespaceDO,
  "create" | "describe" | "upsert" | "patch" | "deleteIds" | "deleteByFilter" | "write" | "query" | "queryMany" | "materializeTail" | "fetchIds" | "drop" | "flush"
>;

interface KnownManifest {
  token: string;
  ref: NamespaceRef;
  manifest: Manifest;
  fetchedAt: number;
}

/** Segment footers read at once when warming the caches. */
const WARM_CONCURRENCY = 8;

/** The newest manifest this isolate has seen per namespace (strong reads refresh it for free). */
const knownManifests = new EntryLru<KnownManifest>(1024);

export interface QueryPerformance {
  server_ms: number;
  tail_ms: number;
  segments_ms: number;
  consistency: "strong" | "eventual";
  manifest_version: number;
  segments_scanned: number;
  exhaustive_search_count: number;
  index_candidates: number;
  clusters_probed: number;
  object_reads: number;
  bytes_read: number;
  cache_hit_ratio: number;
  /** Sequential storage round trips (0 when everything came from the caches). */
  storage_round_trips: number;
  cache: { memory_hits: number; edge_hits: number; storage_reads: number; storage_bytes: number };
}

export interface MultiQueryOutcome {
  /** `aggregate` is set for aggregate queries. */
  results: { plan: QueryPlan; hits: Hit[]; aggregate: AggregateResult | null }[];
  schema: Schema;
  /** Live documents in the snapshot (approximate for eventual reads: flushed rows only). */
  documents: number;
  performance: QueryPerformance;
}


export interface RecallOptions {
  num: number;
  topK: number;
  /** A query (either API's syntax) whose filter, and vector if it has one, the searches use. */
  probe?: QueryInput;
  /** Return each query's exact neighbours. */
  groundTruth?: boolean;
}

export interface RecallReport {
  avg_recall: number;
  /** Documents scored by the exact search per query. */
  avg_exhaustive_count: number;
  /** Entries scored through the index per query. */
  avg_ann_count: number;
  queries: number;
  /** The schema the searches ran with (to render rows). */
  schema: Schema;
  ground_truth?: { query_vector: number[]; nearest_neighbors: Hit[] }[];
}

/** Queries `_debug/recall` runs at most (each also runs an exhaustive search). */
export const MAX_RECALL_QUERIES = 100;

export interface QueryOutcome {
  hits: Hit[];
  /** Set for aggregate queries. */
  aggregate: AggregateResult | null;
  schema: Schema;
  performance: QueryPerformance;
}

export class NamespaceService {
  private readonly env: Env;
  private readonly tenant: string;
  private readonly config: EngineConfig;
  private readonly catalog: D1Catalog;
  private readonly defer: (p: Promise<unknown>) => void;

  constructor(env: Env, tenant: string, defer?: (p: Promise<unknown>) => void) {
    this.env = env;
    this.tenant = tenant;
    this.config = readConfig(env);
    this.catalog = new D1Catalog(env.DB);
    this.defer = defer ?? ((p) => void p.catch(() => {}));
  }

  private stub(ns: string): NamespaceRpc {
    checkNamespaceName(ns);
    const id = this.env.NAMESPACE.idFromName(`${this.tenant}/${ns}`);
    // RPC results are structured clones of plain values, so the class's own signatures describe them.
    return this.env.NAMESPACE.get(id) as unknown as NamespaceRpc;
  }

  /** Unwraps a Durable Object result, naming the namespace in not-found errors. */
  private async call<T>(ns: string, result: Promise<Result<T>>): Promise<T> {
    try {
      return unwrap(await result);
    } catch (err) {
      if (err instanceof EngineError && err.code === "NAMESPACE_NOT_FOUND") throw new NamespaceNotFoundError(ns);
      throw err;
    }
  }

  private objectCache(): ObjectCache {
    return new ObjectCache({
      store: new R2BlobStore(this.env.BUCKET),
      memory: blockCache(this.config.isolateCacheBytes),
      edge: this.config.edgeCache && typeof caches !== "undefined" ? new CacheApiEdge((caches as unknown as { default: Cache }).default) : null,
      defer: this.defer,
    });
  }

  private cacheKey(ns: string): string {
    return `${this.tenant}/${ns}`;
  }

  /** Resolves the manifest a Durable Object snapshot names, caching it for later requests. */
  private rememberManifest(ns: string, snap: { manifest: Manifest | null; manifestToken: string; ref: NamespaceRef }): Manifest {
    const key = this.cacheKey(ns);
    const known = knownManifests.get(key);
    if (snap.manifest) {
      knownManifests.set(key, { token: snap.manifestToken, ref: snap.ref, manifest: snap.manifest, fetchedAt: Date.now() });
      return snap.manifest;
    }
    if (!known || known.token !== snap.manifestToken) throw new Error("query: manifest token mismatch");
    known.fetchedAt = Date.now();
    return known.manifest;
  }

  async create(ns: string, schema: unknown): Promise<{ created: boolean; description: NamespaceDescription }> {
    const r = await this.call(ns, this.stub(ns).create({ tenant: this.tenant, name: ns, schema }));
    await this.catalog.upsertNamespace(this.tenant, { name: ns, incarnation: r.incarnation, created_at: Date.parse(r.description.created_at) });
    return { created: r.created, description: r.description };
  }

  async describe(ns: string): Promise<NamespaceDescription> {
    return this.call(ns, this.stub(ns).describe());
  }

  async list(options: { prefix?: string; cursor?: string; limit: number }) {
    return this.catalog.listNamespaces(this.tenant, options);
  }

  async drop(ns: string): Promise<void> {
    await this.call(ns, this.stub(ns).drop());
    await this.catalog.deleteNamespace(this.tenant, ns);
    knownManifests.delete(this.cacheKey(ns));
  }

  async upsert(ns: string, batch: UpsertBatch, condition?: unknown): Promise<WriteResult> {
    return this.call(ns, this.stub(ns).upsert(batch, condition));
  }

  async patch(ns: string, batch: PatchBatch, condition?: unknown): Promise<WriteResult> {
    return this.call(ns, this.stub(ns).patch(batch, condition));
  }

  async deleteIds(ns: string, ids: DocId[], condition?: unknown): Promise<WriteResult> {
    return this.call(ns, this.stub(ns).deleteIds(ids, condition));
  }

  async deleteByFilter(ns: string, filter: unknown): Promise<WriteResult> {
    return this.call(ns, this.stub(ns).deleteByFilter(filter));
  }

  /**
   * A multi-part write (turbopuffer's). With `create`, a missing namespace is created by the same
   * Durable Object call, and the catalog learns of it here.
   */
  async write(ns: string, request: WriteRequest, create: boolean): Promise<WriteRequestOutcome> {
    const r = await this.call(ns, this.stub(ns).write(request, create ? { tenant: this.tenant, name: ns } : undefined));
    if (r.created) await this.catalog.upsertNamespace(this.tenant, { name: ns, incarnation: r.incarnation, created_at: r.created_at });
    return r;
  }

  /** The current schema: one light call to the Durable Object (no storage reads, unlike describe). */
  async schema(ns: string): Promise<Schema> {
    const known = knownManifests.get(this.cacheKey(ns));
    const snap = await this.call(ns, this.stub(ns).queryMany([], known?.token ?? ""));
    this.rememberManifest(ns, snap);
    return snap.schema;
  }

  /**
   * Loads what a query of the namespace reads first into the caches: the current manifest, the
   * deletion files (merged), the vector index's directory and centroids, every segment's Parquet
   * footer (parsed, in the isolate), and the full-text indexes' directories, dictionaries and field
   * lengths (bytes, into the block caches).
   */
  async warm(ns: string): Promise<{ segments: number; full_text_indexes: number; vector_index: boolean; object_reads: number; bytes_read: number }> {
    const stats = newIoStats();
    const cache = this.objectCache();
    const segments = new CachedSegmentSource(cache, stats);
    const known = knownManifests.get(this.cacheKey(ns));
    const snap = await this.call(ns, this.stub(ns).queryMany([], known?.token ?? ""));
    const manifest = this.rememberManifest(ns, snap);
    await segments.deadSet(manifest, snap.manifestToken);
    const index = currentVectorIndex(manifest);
    if (index) await warmVectorIndex(cache, index, stats);
    // Footers a few at a time (each is one or two range reads), then full-text indexes within half
    // the isolate cache: memory stays bounded whatever the number of segments.
    for (let i = 0; i < manifest.segments.length; i += WARM_CONCURRENCY) {
      await Promise.all(manifest.segments.slice(i, i + WARM_CONCURRENCY).map((info) => segments.open(info, manifest.schema)));
    }
    const fullText = await warmFullTextIndexes(manifest, cache, stats, this.config.isolateCacheBytes / 2);
    return { segments: manifest.segments.length, full_text_indexes: fullText, vector_index: index !== undefined, object_reads: stats.objectReads, bytes_read: stats.bytesRead };
  }

  /** Documents by id in the order asked; ids that do not exist are left out. Strongly consistent. */
  async fetch(ns: string, ids: DocId[], include: { vector: boolean; attributes: string[] | null }): Promise<{ documents: Hit[]; schema: Schema }> {
    const known = knownManifests.get(this.cacheKey(ns));
    const snap: FetchSnapshot = await this.call(ns, this.stub(ns).fetchIds(ids, include, known?.token ?? ""));
    const manifest = this.rememberManifest(ns, snap);
    const stats = newIoStats();
    const source = new CachedSegmentSource(this.objectCache(), stats);
    const found = new Array<Hit | undefined>(ids.length);
    for (const t of snap.tail) found[t.index] = t.hit;

    const bySegment = new Map<string, { index: number; id: DocId; seq: number }[]>();
    for (const f of snap.flushed) {
      const seg = segmentForSeq(manifest, f.seq);
      if (!seg) throw new Error(`fetch: no segment holds version ${f.seq}`);
      (bySegment.get(seg.key) ?? bySegment.set(seg.key, []).get(seg.key)!).push(f);
    }
    await Promise.all(
      [...bySegment.values()].map(async (group) => {
        const info = segmentForSeq(manifest, group[0].seq)!;
        const reader = await source.open(info, manifest.schema);
        const ordinals = await reader.locate(group.map((g) => g.seq));
        const hits: SegmentHit[] = group.map((g) => ({ id: g.id, seq: g.seq, score: 0, segment: info, ordinal: ordinals.get(g.seq)! }));
        await materializeSegmentHits({ includeAttributes: include.attributes, includeVector: include.vector }, manifest.schema, hits, source);
        group.forEach((g, i) => (found[g.index] = hits[i]));
      }),
    );
    return { documents: found.filter((h): h is Hit => h !== undefined), schema: snap.schema };
  }

  /** Finds the newest manifest without the Durable Object (eventual consistency). */
  private async eventualManifest(ns: string, cache: ObjectCache, stats: IoStats): Promise<KnownManifest> {
    const key = this.cacheKey(ns);
    const known = knownManifests.get(key);
    if (known && Date.now() - known.fetchedAt < this.config.eventualStalenessMs) return known;
    let ref = known?.ref;
    if (!ref) {
      checkNamespaceName(ns);
      const row = await this.catalog.getNamespace(this.tenant, ns);
      if (!row) throw new NamespaceNotFoundError(ns);
      ref = { tenant: this.tenant, namespace: ns, incarnation: row.incarnation };
    }
    const store = new R2BlobStore(this.env.BUCKET);
    let newest = known ? known.manifest.version : -1;
    let cursor: string | undefined;
    const startAfter = known ? manifestKey(ref, known.manifest.version) : undefined;
    do {
      const page = await store.list(manifestListPrefix(ref), { cursor, startAfter: cursor ? undefined : startAfter });
      for (const o of page.objects) newest = Math.max(newest, versionFromManifestKey(o.key));
      cursor = page.cursor;
    } while (cursor);
    if (newest < 0) throw new NamespaceNotFoundError(ns);
    let entry: KnownManifest;
    if (known && newest === known.manifest.version) {
      entry = { ...known, fetchedAt: Date.now() };
    } else {
      const mkey = manifestKey(ref, newest);
      const bytes = await cache.getObject(mkey, stats);
      if (!bytes) throw new NamespaceNotFoundError(ns);
      entry = { token: `${ref.incarnation}:${newest}`, ref, manifest: decodeManifest(bytes, mkey), fetchedAt: Date.now() };
    }
    knownManifests.set(key, entry);
    return entry;
  }

  async query(ns: string, raw: unknown): Promise<QueryOutcome> {
    const eventual = typeof raw === "object" && raw !== null && (raw as Record<string, unknown>).consistency === "eventual";
    const r = await this.queryMany(ns, [{ syntax: "v1", raw }], eventual);
    return { hits: r.results[0].hits, aggregate: r.results[0].aggregate, schema: r.schema, performance: r.performance };
  }

  /**
   * Several queries (of either API's syntax) on one snapshot: one call to the Durable Object for
   * strong consistency (none for eventual), then each plan runs over the same manifest.
   */
  async queryMany(ns: string, inputs: QueryInput[], eventual: boolean): Promise<MultiQueryOutcome> {
    const started = Date.now();
    const stats = newIoStats();
    const cache = this.objectCache();
    const segments = new CachedSegmentSource(cache, stats);

    let snap: Pick<MultiQuerySnapshot, "plans" | "tails" | "schema" | "documents">;
    let manifest: Manifest;
    let manifestId: string;
    if (eventual) {
      const known = await this.eventualManifest(ns, cache, stats);
      manifest = known.manifest;
      manifestId = known.token;
      const plans = inputs.map((input) => planQueryInput(input, manifest.schema));
      const tails = plans.map((): TailAnswer => ({ hits: [], fullText: null, aggregate: null, deadSeqs: [], scanned: 0 }));
      snap = { plans, tails, schema: manifest.schema, documents: manifest.stats.rows - manifest.stats.dead };
    } else {
      const known = knownManifests.get(this.cacheKey(ns));
      const s = await this.call(ns, this.stub(ns).queryMany(inputs, known?.token ?? ""));
      manifest = this.rememberManifest(ns, s);
      manifestId = s.manifestToken;
      snap = s;
    }
    const tailDone = Date.now();

    const results = await Promise.all(
      snap.plans.map(async (plan, i) => {
        const tail = snap.tails[i];
        const dead = (await segments.deadSet(manifest, manifestId)).with(tail.deadSeqs);
        const include = { vector: plan.includeVector, attributes: plan.includeAttributes };
        const { hits, counts, aggregate } = await executeQuery({
          plan,
          manifest,
          manifestId,
          tail,
          dead,
          segments,
          cache,
          stats,
          materializeTail: (seqs) => this.call(ns, this.stub(ns).materializeTail(seqs, include)),
        });
        return { plan, counts, aggregate, hits: hits.map(({ id, seq, score, vector, attributes }) => ({ id, seq, score, vector, attributes })) };
      }),
    );
    const done = Date.now();
    const total = { segmentsScanned: 0, rowsScanned: 0, indexCandidates: 0, clustersProbed: 0 };
    for (const r of results) {
      total.segmentsScanned += r.counts.segmentsScanned;
      total.rowsScanned += r.counts.rowsScanned;
      total.indexCandidates += r.counts.indexCandidates;
      total.clustersProbed += r.counts.clustersProbed;
    }

    return {
      results: results.map(({ plan, hits, aggregate }) => ({ plan, hits, aggregate })),
      schema: snap.schema,
      documents: snap.documents,
      performance: {
        server_ms: done - started,
        tail_ms: tailDone - started,
        segments_ms: done - tailDone,
        consistency: eventual ? "eventual" : "strong",
        manifest_version: manifest.version,
        segments_scanned: total.segmentsScanned,
        exhaustive_search_count: total.rowsScanned,
        index_candidates: total.indexCandidates,
        clusters_probed: total.clustersProbed,
        object_reads: stats.objectReads,
        bytes_read: stats.bytesRead,
        cache_hit_ratio: cacheHitRatio(stats),
        storage_round_trips: storageRoundTrips(stats),
        cache: { memory_hits: stats.memoryHits, edge_hits: stats.edgeHits, storage_reads: stats.storageReads, storage_bytes: stats.storageBytes },
      },
    };
  }

  /**
   * The recall of the approximate vector path against exact search (turbopuffer's `_debug/recall`,
   * served to both APIs), over `num` vectors sampled from the namespace's flushed documents — or the
   * one vector of `probe` — used as queries. `probe` (a query of either syntax) may also carry a
   * filter, applied to both searches. With `groundTruth`, the exact neighbours (with vectors) of each
   * query come back too.
   */
  async recall(ns: string, options: RecallOptions): Promise<RecallReport> {
    const { num, topK } = options;
    if (!Number.isInteger(num) || num < 1 || num > MAX_RECALL_QUERIES) throw new InvalidArgumentError(`num: expected an integer from 1 to ${MAX_RECALL_QUERIES}`);
    if (!Number.isInteger(topK) || topK < 1 || topK > 1000) throw new InvalidArgumentError("top_k: expected an integer from 1 to 1000");
    const known = knownManifests.get(this.cacheKey(ns));
    const probe: QueryInput = options.probe ?? { syntax: "v1", raw: { top_k: 1, include_attributes: false } };
    const snap = await this.call(ns, this.stub(ns).queryMany([probe], known?.token ?? ""));
    const manifest = this.rememberManifest(ns, snap);
    if (!manifest.schema.vector) throw new InvalidArgumentError("recall: this namespace has no vectors");
    const stats = newIoStats();
    const cache = this.objectCache();
    const segments = new CachedSegmentSource(cache, stats);
    const [base] = snap.plans;
    const dead = (await segments.deadSet(manifest, snap.manifestToken)).with(snap.tails[0].deadSeqs);
    const queries = base.vector ? [base.vector] : await sampleVectors(manifest, segments, num);
    let recall = 0;
    let exhaustive = 0;
    let ann = 0;
    const truths: RecallReport["ground_truth"] = [];
    for (const vector of queries) {
      const plan: QueryPlan = {
        ...base,
        topK,
        armDepth: topK,
        vector,
        metric: manifest.schema.vector.metric,
        includeAttributes: [],
        includeVector: false,
        exact: true,
      };
      const exact = await searchSegments(plan, manifest, dead, segments);
      exhaustive += exact.stats.rowsScanned;
      const truth = new Set(exact.hits.map((h) => h.seq));
      let found = exact.hits;
      if (currentVectorIndex(manifest)) {
        const r = await searchVectorIndex({ plan: { ...plan, exact: false }, manifest, dead, segments, cache, stats });
        ann += r.candidates;
        found = r.hits;
      }
      recall += truth.size === 0 ? 1 : found.filter((h) => truth.has(h.seq)).length / truth.size;
      if (options.groundTruth) {
        await materializeSegmentHits({ includeAttributes: [], includeVector: true }, manifest.schema, exact.hits, segments);
        truths.push({ query_vector: Array.from(vector), nearest_neighbors: exact.hits.map(({ id, seq, score, vector: v }) => ({ id, seq, score, vector: v })) });
      }
    }
    const n = Math.max(1, queries.length);
    return {
      avg_recall: recall / n,
      avg_exhaustive_count: exhaustive / n,
      avg_ann_count: ann / n,
      queries: queries.length,
      schema: manifest.schema,
      ...(options.groundTruth ? { ground_truth: truths } : {}),
    };
  }
}

/** Vectors of up to `num` documents spread evenly over the flushed rows (deterministic). */
async function sampleVectors(manifest: Manifest, source: CachedSegmentSource, num: number): Promise<Float32Array[]> {
  const total = manifest.segments.reduce((n, s) => n + s.rows, 0);
  if (total === 0) return [];
  const out: Float32Array[] = [];
  const step = Math.max(1, Math.floor(total / num));
  let offset = Math.floor(step / 2);
  for (const info of manifest.segments) {
    const ordinals: number[] = [];
    for (; offset < info.rows && out.length + ordinals.length < num; offset += step) ordinals.push(offset);
    offset -= info.rows;
    if (ordinals.length === 0) continue;
    const reader = await source.open(info, manifest.schema);
    const rows = await reader.readRows(ordinals, [], true);
    for (const o of ordinals) {
      const v = rows.get(o)?.vector;
      if (v) out.push(v.slice());
    }
  }
  return out;
}
