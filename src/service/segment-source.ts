/**
 * The query path's view of segments and deletion files, read through the object cache with the
 * parsed forms (Parquet footers, merged dead sets) kept in the isolate between requests.
 */
import { DeadSet } from "../core/segment/dead-set.ts";
import { decodeDeletes } from "../core/segment/deletes-file.ts";
import type { Manifest, SegmentInfo } from "../core/segment/manifest.ts";
import type { FileMetadata } from "../core/segment/parquet-columns.ts";
import { SegmentReader } from "../core/segment/segment-reader.ts";
import type { SegmentSource } from "../core/query/segment-search.ts";
import type { Schema } from "../core/schema/schema.ts";
import type { IoStats } from "../storage/io-stats.ts";
import type { ObjectCache } from "../storage/object-cache.ts";
import type { RangeReader } from "../storage/range-reader.ts";
import { parsedCache } from "./isolate-cache.ts";

export class CachedSegmentSource implements SegmentSource {
  private readonly cache: ObjectCache;
  private readonly stats: IoStats;
  constructor(cache: ObjectCache, stats: IoStats) {
    this.cache = cache;
    this.stats = stats;
  }

  async open(info: SegmentInfo, schema: Schema): Promise<SegmentReader> {
    const reader = this.cache.rangeReader(info.key, info.bytes, this.stats);
    const metadata = await this.metadata(info, reader);
    // A query's hits are scattered rows: read (and cache) just their pages, not 512 KiB around each.
    return new SegmentReader(reader, info, metadata, schema, this.cache.exactRangeReader(info.key, info.bytes, this.stats));
  }

  /** Reads the footers of those segments not parsed in this isolate yet (nothing when all are). */
  async prefetch(infos: SegmentInfo[]): Promise<void> {
    const missing = infos.filter((info) => !parsedCache().get(`footer:${info.key}`));
    await Promise.all(missing.map((info) => this.metadata(info, this.cache.rangeReader(info.key, info.bytes, this.stats))));
  }

  private async metadata(info: SegmentInfo, reader: RangeReader): Promise<FileMetadata> {
    const parsed = parsedCache();
    const cacheKey = `footer:${info.key}`;
    const hit = parsed.get(cacheKey) as FileMetadata | undefined;
    if (hit) {
      this.stats.memoryHits++;
      return hit;
    }
    const metadata = await SegmentReader.readMetadata(reader, info.footer_bytes);
    // Parsed thrift objects take a few times their encoded size.
    parsed.set(cacheKey, metadata, info.footer_bytes * 4);
    return metadata;
  }

  /** The dead versions a manifest's deletion files name, merged once per manifest version. */
  async deadSet(manifest: Manifest, manifestId: string): Promise<DeadSet> {
    if (manifest.deletes.length === 0) return DeadSet.empty();
    const parsed = parsedCache();
    const cacheKey = `dead:${manifestId}`;
    const hit = parsed.get(cacheKey) as DeadSet | undefined;
    if (hit) return hit;
    const parts = await Promise.all(
      manifest.deletes.map(async (d) => {
        const bytes = await this.cache.getObject(d.key, this.stats);
        if (!bytes) throw new Error(`storage: deletion file ${d.key} is missing`);
        return decodeDeletes(bytes, d.key);
      }),
    );
    const set = DeadSet.union(parts);
    parsed.set(cacheKey, set, set.byteSize + 64);
    return set;
  }
}
