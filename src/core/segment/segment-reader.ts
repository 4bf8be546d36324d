/**
 * Reading one Parquet segment through a RangeReader: its footer, streaming it one row group at a
 * time (memory bounded by the row group), locating rows by seq, and reading single rows.
 */
import type { RangeReader } from "../../storage/range-reader.ts";
import type { Schema } from "../schema/schema.ts";
import type { Attributes, DocId } from "../types.ts";
import type { SegmentInfo } from "./manifest.ts";
import {
  ID_COLUMN,
  SEQ_COLUMN,
  VECTOR_COLUMN,
  type FileMetadata,
  columnNames,
  decodeAttributeColumn,
  decodeIdColumn,
  decodeSeqColumn,
  decodeVectorColumn,
  readColumns,
  readParquetMetadata,
  rowGroupRanges,
  rowGroupSeqBounds,
} from "./parquet-columns.ts";

/** Rows this close together are read as one run rather than separately. */
const READ_RUN_GAP_ROWS = 64;
/** readRows of at most this many rows goes through the point reader. */
const POINT_READ_MAX_ROWS = 256;
/** readRowsBySeq reads row groups of at most this many rows whole, in one round. */
const ONE_PASS_MAX_ROWS = 16_384;

export interface RowBatch {
  /** Ordinal of the first row in the segment. */
  start: number;
  ids: DocId[];
  seqs: Float64Array;
  vectors: (Float32Array | null)[] | null;
  /** Decoded attribute columns that exist in this segment. */
  attributes: Record<string, ReturnType<typeof decodeAttributeColumn>>;
}

export interface RowData {
  id: DocId;
  seq: number;
  vector: Float32Array | null;
  attributes: Attributes;
}

export class SegmentReader {
  readonly info: SegmentInfo;
  readonly metadata: FileMetadata;
  private readonly reader: RangeReader;
  /** For reads of a few rows (locate, readRows); scans use `reader`. */
  private readonly pointReader: RangeReader;
  private readonly schema: Schema;
  private readonly present: Set<string>;
  private readonly groups: { start: number; end: number }[];
  private readonly seqBounds: { min: number; max: number }[];

  /**
   * `pointReader` serves the reads of a few rows (a query's hits) when the caller caches those
   * differently from whole-row-group scans (the query path reads them as exact ranges).
   */
  constructor(reader: RangeReader, info: SegmentInfo, metadata: FileMetadata, schema: Schema, pointReader: RangeReader = reader) {
    this.reader = reader;
    this.pointReader = pointReader;
    this.info = info;
    this.metadata = metadata;
    this.schema = schema;
    this.present = columnNames(metadata);
    this.groups = rowGroupRanges(metadata);
    this.seqBounds = rowGroupSeqBounds(metadata);
  }

  static async readMetadata(reader: RangeReader, footerBytes?: number): Promise<FileMetadata> {
    return readParquetMetadata(reader, footerBytes);
  }

  get rowGroups(): number {
    return this.groups.length;
  }

  /** Attribute names of `wanted` that this segment stores (the others are null for all its rows). */
  presentAttributes(wanted: Iterable<string>): string[] {
    return [...wanted].filter((n) => this.present.has(n) && this.schema.attributes[n]);
  }

  private async readBatch(start: number, end: number, attributes: string[], withVectors: boolean, reader = this.reader): Promise<RowBatch> {
    const cols = [ID_COLUMN, SEQ_COLUMN, ...attributes];
    const vectors = withVectors && this.present.has(VECTOR_COLUMN);
    if (vectors) cols.push(VECTOR_COLUMN);
    const raw = await readColumns(reader, this.metadata, cols, start, end);
    const idType = this.schema.id_type ?? "string";
    const decoded: RowBatch["attributes"] = {};
    for (const name of attributes) decoded[name] = decodeAttributeColumn(this.schema.attributes[name].type, raw[name]);
    return {
      start,
      ids: decodeIdColumn(idType, raw[ID_COLUMN]),
      seqs: decodeSeqColumn(raw[SEQ_COLUMN]),
      vectors: vectors ? decodeVectorColumn(raw[VECTOR_COLUMN]) : null,
      attributes: decoded,
    };
  }

  /** Streams the segment one row group at a time, reading only the named columns. */
  async *scan(attributes: Iterable<string>, withVectors: boolean): AsyncGenerator<RowBatch> {
    const attrs = this.presentAttributes(attributes);
    for (const g of this.groups) yield await this.readBatch(g.start, g.end, attrs, withVectors);
  }

  /** One row group (index < rowGroups), reading only the named columns. */
  readRowGroup(index: number, attributes: Iterable<string>, withVectors: boolean): Promise<RowBatch> {
    const g = this.groups[index];
    return this.readBatch(g.start, g.end, this.presentAttributes(attributes), withVectors);
  }

  /** The wanted seqs by the row group whose seq range holds them (others are left out). */
  private groupsOf(seqs: number[]): Map<number, number[]> {
    const byGroup = new Map<number, number[]>();
    for (const seq of seqs) {
      const g = this.seqBounds.findIndex((b) => seq >= b.min && seq <= b.max);
      if (g >= 0) (byGroup.get(g) ?? byGroup.set(g, []).get(g)!).push(seq);
    }
    return byGroup;
  }

  /** Ordinals of the given seqs (absent seqs are left out), reading only the row groups that can hold them. */
  async locate(seqs: number[]): Promise<Map<number, number>> {
    const found = new Map<number, number>();
    await Promise.all(
      [...this.groupsOf(seqs)].map(async ([g, wanted]) => {
        const { start, end } = this.groups[g];
        const raw = await readColumns(this.pointReader, this.metadata, [SEQ_COLUMN], start, end);
        const col = decodeSeqColumn(raw[SEQ_COLUMN]);
        for (const seq of wanted) {
          const r = indexOfSeq(col, seq);
          if (r >= 0) found.set(seq, start + r);
        }
      }),
    );
    return found;
  }

  /**
   * The rows of the given seqs with their ordinals (absent seqs are left out). A row group of at
   * most ONE_PASS_MAX_ROWS rows is read whole — seq, id and the wanted attribute columns, a few KiB
   * each — in one round, instead of locating first and reading the rows' pages second (one storage
   * round trip less for a cold query). Larger groups, and vectors, take the two steps.
   */
  async readRowsBySeq(seqs: number[], attributes: string[] | null, withVector: boolean): Promise<Map<number, RowData & { ordinal: number }>> {
    const attrs = this.presentAttributes(attributes ?? Object.keys(this.schema.attributes));
    const out = new Map<number, RowData & { ordinal: number }>();
    const twoStep: number[] = [];
    await Promise.all(
      [...this.groupsOf(seqs)].map(async ([g, wanted]) => {
        const { start, end } = this.groups[g];
        if (withVector || end - start > ONE_PASS_MAX_ROWS) {
          twoStep.push(...wanted);
          return;
        }
        const batch = await this.readBatch(start, end, attrs, false, this.pointReader);
        for (const seq of wanted) {
          const r = indexOfSeq(batch.seqs, seq);
          if (r >= 0) out.set(seq, { ordinal: start + r, ...rowOf(batch, r, attrs) });
        }
      }),
    );
    if (twoStep.length > 0) {
      const ordinals = await this.locate(twoStep);
      const rows = await this.readRows([...ordinals.values()], attributes, withVector);
      for (const [seq, ordinal] of ordinals) out.set(seq, { ordinal, ...rows.get(ordinal)! });
    }
    return out;
  }

  /**
   * Reads rows by ordinal. Ordinals close together in one row group are read as one run (pages
   * are fetched once, not per row); far apart ones as separate single-row reads.
   */
  async readRows(ordinals: number[], attributes: string[] | null, withVector: boolean): Promise<Map<number, RowData>> {
    const attrs = this.presentAttributes(attributes ?? Object.keys(this.schema.attributes));
    const out = new Map<number, RowData>();
    const sorted = [...new Set(ordinals)].sort((a, b) => a - b);
    // many rows (an exact search over a filter's matches) touch most pages: read them in blocks
    const reader = sorted.length <= POINT_READ_MAX_ROWS ? this.pointReader : this.reader;
    const runs: { start: number; end: number; wanted: number[] }[] = [];
    for (const ord of sorted) {
      const last = runs[runs.length - 1];
      if (last && ord - last.end < READ_RUN_GAP_ROWS && this.groupOf(ord) === this.groupOf(last.start)) {
        last.end = ord + 1;
        last.wanted.push(ord);
      } else runs.push({ start: ord, end: ord + 1, wanted: [ord] });
    }
    await Promise.all(
      runs.map(async (run) => {
        const batch = await this.readBatch(run.start, run.end, attrs, withVector, reader);
        for (const ord of run.wanted) out.set(ord, rowOf(batch, ord - run.start, attrs));
      }),
    );
    return out;
  }

  private groupOf(ordinal: number): number {
    let lo = 0;
    let hi = this.groups.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.groups[mid].start <= ordinal) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** Row r of a batch as a document (attributes that are null left out). */
function rowOf(batch: RowBatch, r: number, attrs: string[]): RowData {
  const attributes: Attributes = {};
  for (const name of attrs) {
    const v = batch.attributes[name][r];
    if (v !== null) attributes[name] = v;
  }
  return { id: batch.ids[r], seq: batch.seqs[r], vector: batch.vectors?.[r] ?? null, attributes };
}

/** Index of `seq` in an ascending seq column, or -1. */
function indexOfSeq(col: ArrayLike<number>, seq: number): number {
  let lo = 0;
  let hi = col.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (col[mid] === seq) return mid;
    if (col[mid] < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
