/**
 * Reads one segment's full-text index object through a RangeReader, fetching only what a query needs:
 * the footer + directory on open (one read of the object's tail, usually), then per query the dictionary
 * blocks of its terms, the postings regions of the terms found, the fieldnorms of its fields and the seq table
 * (all independent, so a query costs open + 2 rounds of parallel reads). Decoded sections are kept in the
 * reader (postings in a byte-bounded LRU), so a reader kept across queries serves warm queries from memory.
 * It does not score (segment-search.ts).
 */

import type { RangeReader } from "../../../storage/range-reader.ts";
import { DataCorruptionError } from "../../errors.ts";
import { decodeFieldnorms } from "./fieldnorms.ts";
import {
  decodeDirectory, type FieldDirectory, type IndexDirectory, readFooter,
} from "./index-directory.ts";
import { PostingList } from "./postings-format.ts";
import { SeqTable } from "./seq-table.ts";
import { decodeDictBlock, type DictBlock, findDictBlock, lookupInBlock, type TermInfo } from "./term-dict.ts";

/** First read on open: the object's last bytes, which usually hold footer and directory together. */
export const INITIAL_TAIL_FETCH_BYTES = 64 * 1024;
/** Budget of decoded postings kept per reader (bytes of encoded regions). */
export const DEFAULT_POSTINGS_CACHE_BYTES = 32 * 1024 * 1024;

export interface ReaderOptions {
  postingsCacheBytes?: number;
}

async function readRange(rr: RangeReader, start: number, end: number, what: string): Promise<Uint8Array> {
  if (start < 0 || end > rr.byteLength || start > end) {
    throw new DataCorruptionError(`${what}: range [${start}, ${end}) outside object of ${rr.byteLength} bytes`);
  }
  const buf = await rr.slice(start, end);
  if (buf.byteLength !== end - start) throw new DataCorruptionError(`${what}: short read (${buf.byteLength} of ${end - start} bytes)`);
  return new Uint8Array(buf);
}

export class FullTextIndexReader {
  readonly directory: IndexDirectory;
  private readonly rr: RangeReader;
  private readonly fieldsByName = new Map<string, FieldDirectory>();
  private readonly dictBlocks = new Map<string, Promise<DictBlock>>();
  private readonly postingsCache = new Map<string, Promise<PostingList>>();
  private readonly postingsBytes = new Map<string, number>();
  private cachedPostingsBytes = 0;
  private readonly postingsCacheBytes: number;
  private readonly fieldnormsCache = new Map<string, Promise<Uint8Array | Uint16Array | Uint32Array>>();
  private seqTablePromise?: Promise<SeqTable>;
  /** Encoded bytes of the dictionary blocks, fieldnorms and seq table fetched so far (kept for the reader's life). */
  private retainedBytes = 0;
  /** Per dead-seq set: sorted dead ordinals of this segment (identity-keyed, so a new set recomputes). */
  private readonly deadOrdsCache = new WeakMap<ReadonlySet<number>, Promise<Int32Array>>();
  /** Per dead-seq set: dead documents holding "field\u0000term". */
  readonly deadDfCache = new WeakMap<ReadonlySet<number>, Map<string, number>>();

  private constructor(rr: RangeReader, directory: IndexDirectory, options: ReaderOptions) {
    this.rr = rr;
    this.directory = directory;
    for (const f of directory.fields) this.fieldsByName.set(f.name, f);
    this.postingsCacheBytes = options.postingsCacheBytes ?? DEFAULT_POSTINGS_CACHE_BYTES;
  }

  static async open(rr: RangeReader, options: ReaderOptions = {}): Promise<FullTextIndexReader> {
    const size = rr.byteLength;
    const tailStart = Math.max(0, size - INITIAL_TAIL_FETCH_BYTES);
    const tail = await readRange(rr, tailStart, size, "fts index footer");
    const footer = readFooter(tail, size);
    const dirBytes =
      footer.directoryOffset >= tailStart
        ? tail.subarray(footer.directoryOffset - tailStart, footer.directoryOffset - tailStart + footer.directoryBytes)
        : await readRange(rr, footer.directoryOffset, footer.directoryOffset + footer.directoryBytes, "fts directory");
    return new FullTextIndexReader(rr, decodeDirectory(dirBytes, footer), options);
  }

  /**
   * Approximate bytes this reader holds: cached postings regions (LRU-bounded), dictionary blocks,
   * fieldnorms and the seq table (decoded skip data adds about 10% to postings). For isolate-level budgets.
   */
  get memoryBytes(): number {
    return this.cachedPostingsBytes + this.retainedBytes;
  }

  get docCount(): number {
    return this.directory.docCount;
  }

  field(name: string): FieldDirectory | undefined {
    return this.fieldsByName.get(name);
  }

  /** Looks terms up, reading each needed dictionary block once (in parallel). */
  async lookupTerms(field: FieldDirectory, terms: readonly string[]): Promise<Array<TermInfo | undefined>> {
    return Promise.all(
      terms.map(async (term) => {
        const b = findDictBlock(field.blocks, term);
        if (b < 0) return undefined;
        return lookupInBlock(await this.dictBlock(field, b), term);
      }),
    );
  }

  private dictBlock(field: FieldDirectory, b: number): Promise<DictBlock> {
    const key = `${field.name}\u0000${b}`;
    let p = this.dictBlocks.get(key);
    if (p === undefined) {
      const e = field.blocks[b];
      const start = field.dictBase + e.offset;
      const what = `fts dictionary '${field.name}' block ${b}`;
      p = readRange(this.rr, start, start + e.bytes, what).then((bytes) => {
        this.retainedBytes += bytes.length;
        return decodeDictBlock(bytes, what);
      });
      p.catch(() => this.dictBlocks.delete(key));
      this.dictBlocks.set(key, p);
    }
    return p;
  }

  /** The postings of a term found in the dictionary (one range read, then cached). */
  postings(field: FieldDirectory, term: string, info: TermInfo): Promise<PostingList> {
    const key = `${field.name}\u0000${term}`;
    let p = this.postingsCache.get(key);
    if (p !== undefined) {
      // LRU touch.
      this.postingsCache.delete(key);
      this.postingsCache.set(key, p);
      return p;
    }
    const start = field.postingsBase + info.postingsOffset;
    const what = `fts postings '${field.name}':'${term}'`;
    p = readRange(this.rr, start, start + info.postingsBytes, what).then((bytes) => PostingList.decode(bytes, info.df, what));
    p.catch(() => this.evict(key));
    this.postingsCache.set(key, p);
    this.postingsBytes.set(key, info.postingsBytes);
    this.cachedPostingsBytes += info.postingsBytes;
    while (this.cachedPostingsBytes > this.postingsCacheBytes && this.postingsCache.size > 1) {
      const oldest = this.postingsCache.keys().next().value as string;
      if (oldest === key) break;
      this.evict(oldest);
    }
    return p;
  }

  private evict(key: string): void {
    if (!this.postingsCache.delete(key)) return;
    this.cachedPostingsBytes -= this.postingsBytes.get(key) ?? 0;
    this.postingsBytes.delete(key);
  }

  /** Exact field lengths by ordinal. */
  fieldnorms(field: FieldDirectory): Promise<Uint8Array | Uint16Array | Uint32Array> {
    let p = this.fieldnormsCache.get(field.name);
    if (p === undefined) {
      const what = `fts fieldnorms '${field.name}'`;
      p = readRange(this.rr, field.fieldnormsOffset, field.fieldnormsOffset + field.fieldnormsBytes, what).then((b) => {
        const norms = decodeFieldnorms(b, this.directory.docCount, what);
        this.retainedBytes += norms.byteLength;
        return norms;
      });
      p.catch(() => this.fieldnormsCache.delete(field.name));
      this.fieldnormsCache.set(field.name, p);
    }
    return p;
  }

  seqTable(): Promise<SeqTable> {
    if (this.seqTablePromise === undefined) {
      const d = this.directory;
      const p = readRange(this.rr, d.seqTableOffset, d.seqTableOffset + d.seqTableBytes, "fts seq table").then((b) => {
        this.retainedBytes += b.length;
        return SeqTable.decode(b, d.docCount, "fts seq table");
      });
      p.catch(() => (this.seqTablePromise = undefined));
      this.seqTablePromise = p;
    }
    return this.seqTablePromise;
  }

  /** Sorted ordinals of this segment whose seq is in `dead` (seqs of other segments are ignored). */
  deadOrdinals(dead: ReadonlySet<number>): Promise<Int32Array> {
    let p = this.deadOrdsCache.get(dead);
    if (p === undefined) {
      p = this.seqTable().then((table) => {
        const ords: number[] = [];
        for (const seq of dead) {
          const ord = table.ordOf(seq);
          if (ord >= 0) ords.push(ord);
        }
        return Int32Array.from(ords).sort();
      });
      this.deadOrdsCache.set(dead, p);
    }
    return p;
  }
}
