/**
 * The manifest: one immutable JSON object per version naming everything a reader needs — the
 * schema, the segments, the deletion files and the WAL position they cover. The namespace Durable
 * Object holds the current version; readers may keep using an older one (objects outlive it by a grace period).
 */
import { DataCorruptionError } from "../errors.ts";
import { CLUSTER_BLOCK_VERSION } from "../index/vector/cluster-block.ts";
import type { Schema } from "../schema/schema.ts";

export const MANIFEST_FORMAT = 1;

export interface SegmentInfo {
  /** Object key of the Parquet file. */
  key: string;
  /** Rows hold versions with seq in [seq_min, seq_max]; ranges of different segments never overlap. */
  seq_min: number;
  seq_max: number;
  rows: number;
  bytes: number;
  /** Bytes of the Parquet footer (metadata + 8), so a reader fetches it with one exact range. */
  footer_bytes: number;
  /** Compaction tier: 0 for flushed segments. */
  level: number;
  /** The segment's full-text index (absent when the schema has no full-text attribute). */
  fts?: { key: string; bytes: number };
}

export interface DeletesInfo {
  key: string;
  count: number;
  bytes: number;
}

/** The namespace-level vector index (IVF + RaBitQ): see src/core/index/vector/index-directory.ts. */
export interface VectorIndexInfo {
  /** Where each cluster's blocks are. */
  directory: { key: string; bytes: number };
  centroids: { key: string; bytes: number };
  nlist: number;
  /** Entries the index holds (dead versions included until maintenance drops them). */
  entries: number;
  /** Default clusters probed per query, kept for the recall target as the index grows. */
  nprobe: number;
  /** Live vectors when nprobe was last calibrated. */
  calibrated_at: number;
  /** nlist and nprobe the build calibrated (absent in manifests written before 2026-12). */
  calibrated_nlist?: number;
  calibrated_nprobe?: number;
  /** Format of its cluster blocks (absent: 1, from before block heads had their own checksum). */
  block_format?: number;
}

/**
 * The manifest's vector index if queries and maintenance can use it: an index whose blocks are of
 * an older format is rebuilt by the Durable Object's alarm, and searched exactly until then.
 */
export function currentVectorIndex(m: Manifest): VectorIndexInfo | undefined {
  return m.vector_index?.block_format === CLUSTER_BLOCK_VERSION ? m.vector_index : undefined;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: number;
  /** Every write with seq ≤ wal_seq is in the segments below (or dead). */
  wal_seq: number;
  created_at: number;
  schema: Schema;
  segments: SegmentInfo[];
  deletes: DeletesInfo[];
  /** Rows in segments, and how many of them are dead. */
  stats: { rows: number; dead: number };
  /** Absent until the namespace has enough vectors to index. */
  vector_index?: VectorIndexInfo;
}

export function emptyManifest(schema: Schema, createdAt: number): Manifest {
  return {
    format: MANIFEST_FORMAT,
    version: 0,
    wal_seq: 0,
    created_at: createdAt,
    schema,
    segments: [],
    deletes: [],
    stats: { rows: 0, dead: 0 },
  };
}

export function encodeManifest(m: Manifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m));
}

export function decodeManifest(bytes: Uint8Array, key: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
  } catch {
    throw new DataCorruptionError(`manifest: ${key} is not valid JSON`);
  }
  if (m?.format !== MANIFEST_FORMAT || !Array.isArray(m.segments)) {
    throw new DataCorruptionError(`manifest: ${key} has an unexpected format`);
  }
  return m;
}

/** The segment holding row version `seq`, by binary search over the disjoint seq ranges. */
export function segmentForSeq(m: Manifest, seq: number): SegmentInfo | undefined {
  const segs = m.segments;
  let lo = 0;
  let hi = segs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = segs[mid];
    if (seq < s.seq_min) hi = mid - 1;
    else if (seq > s.seq_max) lo = mid + 1;
    else return s;
  }
  return undefined;
}
