/**
 * The Durable Object's reads of flushed documents, for writes that depend on current values
 * (patch, conditional writes, delete by filter). Reads R2 directly; parsed footers are shared
 * with the isolate's cache.
 */
import { DeadSet } from "../src/core/segment/dead-set.ts";
import { decodeDeletes } from "../src/core/segment/deletes-file.ts";
import { type Manifest, type SegmentInfo, segmentForSeq } from "../src/core/segment/manifest.ts";
import type { FileMetadata } from "../src/core/segment/parquet-columns.ts";
import { type RowBatch, type RowData, SegmentReader } from "../src/core/segment/segment-reader.ts";
import type { Schema } from "../src/core/schema/schema.ts";
import type { BlobStore } from "../src/storage/blob-store.ts";
import { blobRangeReader } from "../src/storage/range-reader.ts";
import { parsedCache } from "../src/service/isolate-cache.ts";

export class FlushedDocuments {
  private readonly store: BlobStore;
  private readonly manifest: Manifest;
  private readonly schema: Schema;

  constructor(store: BlobStore, manifest: Manifest, schema: Schema) {
    this.store = store;
    this.manifest = manifest;
    this.schema = schema;
  }

  private async open(info: SegmentInfo): Promise<SegmentReader> {
    const reader = blobRangeReader(this.store, info.key, info.bytes);
    const cacheKey = `footer:${info.key}`;
    let metadata = parsedCache().get(cacheKey) as FileMetadata | undefined;
    if (!metadata) {
      metadata = await SegmentReader.readMetadata(reader, info.footer_bytes);
      parsedCache().set(cacheKey, metadata, info.footer_bytes * 4);
    }
    return new SegmentReader(reader, info, metadata, this.schema);
  }

  /**
   * Whole documents (all attributes and the vector) of the given flushed versions. With
   * `skipMissing`, versions no segment holds any more (compacted away) are left out.
   */
  async read(seqs: number[], skipMissing = false): Promise<Map<number, RowData>> {
    const out = new Map<number, RowData>();
    const bySegment = new Map<SegmentInfo, number[]>();
    for (const seq of seqs) {
      const seg = segmentForSeq(this.manifest, seq);
      if (!seg && skipMissing) continue;
      if (!seg) throw new Error(`documents: no segment holds version ${seq}`);
      (bySegment.get(seg) ?? bySegment.set(seg, []).get(seg)!).push(seq);
    }
    await Promise.all(
      [...bySegment].map(async ([info, wanted]) => {
        const reader = await this.open(info);
        const ordinals = await reader.locate(wanted);
        const rows = await reader.readRows([...ordinals.values()], null, true);
        for (const row of rows.values()) out.set(row.seq, row);
      }),
    );
    return out;
  }

  /** The manifest's dead versions plus `extra` (the tail's). */
  async deadSet(extra: number[]): Promise<DeadSet> {
    const parts = await Promise.all(
      this.manifest.deletes.map(async (d) => {
        const bytes = await this.store.get(d.key);
        if (!bytes) throw new Error(`storage: deletion file ${d.key} is missing`);
        return decodeDeletes(bytes, d.key);
      }),
    );
    return DeadSet.union(parts).with(extra);
  }

  /** Streams every live row of every segment, reading only `attributes` (no vectors). */
  async *scanLive(attributes: string[], dead: DeadSet): AsyncGenerator<{ batch: RowBatch; live: (row: number) => boolean }> {
    for (const info of this.manifest.segments) {
      const reader = await this.open(info);
      for await (const batch of reader.scan(attributes, false)) {
        yield { batch, live: (r) => !dead.has(batch.seqs[r]) };
      }
    }
  }
}
