/**
 * Groups serialized documents into upsert request bodies that stay under the server's limits:
 * at most `maxRows` documents and `maxBytes` bytes of JSON per request. Each batch remembers the
 * input rows it covers, so the importer can checkpoint "every row before endRow is stored".
 */

/** The server's limits (src/core/wal/write-batch.ts MAX_BATCH_DOCUMENTS, src/config.ts maxBodyBytes). */
export const SERVER_MAX_BATCH_DOCUMENTS = 10_000;
export const SERVER_MAX_BODY_BYTES = 32 << 20;
export const DEFAULT_BATCH_ROWS = 1000;
export const DEFAULT_BATCH_BYTES = 8 << 20;

const PREFIX = '{"documents":[';
const SUFFIX = "]}";
const FRAME_BYTES = PREFIX.length + SUFFIX.length;

export interface Batch {
  /** 0-based position of the batch in this input (continues across resumes). */
  index: number;
  firstRow: number;
  /** One past the last input row covered (documents sent or rows skipped as invalid). */
  endRow: number;
  documents: number;
  /** Invalid rows skipped inside the batch's row range. */
  skipped: number;
  /** Source progress position after endRow (bytes or rows). */
  progressEnd: number;
  /** The request body `{"documents":[...]}`; empty when the batch has no documents. */
  body: string;
  bytes: number;
}

export class BatchBuilder {
  private readonly maxRows: number;
  private readonly maxBytes: number;
  private docs: string[] = [];
  private bytes = FRAME_BYTES;
  private firstRow: number;
  private endRow: number;
  private skipped = 0;
  private progressEnd: number;
  private nextIndex: number;

  constructor(options: { maxRows: number; maxBytes: number; startRow: number; startIndex: number; startProgress: number }) {
    if (!Number.isInteger(options.maxRows) || options.maxRows < 1 || options.maxRows > SERVER_MAX_BATCH_DOCUMENTS) {
      throw new Error(`import: --batch-rows must be from 1 to ${SERVER_MAX_BATCH_DOCUMENTS}`);
    }
    if (!Number.isInteger(options.maxBytes) || options.maxBytes < 1024 || options.maxBytes > SERVER_MAX_BODY_BYTES) {
      throw new Error(`import: --batch-bytes must be from 1024 to ${SERVER_MAX_BODY_BYTES}`);
    }
    this.maxRows = options.maxRows;
    this.maxBytes = options.maxBytes;
    this.firstRow = options.startRow;
    this.endRow = options.startRow;
    this.progressEnd = options.startProgress;
    this.nextIndex = options.startIndex;
  }

  /** Adds one document; returns the batch it completes, if adding it would overflow the current one. */
  add(json: string, row: number, progress: number): Batch | null {
    const size = Buffer.byteLength(json) + 1;
    if (FRAME_BYTES + size > this.maxBytes) {
      throw new Error(`row ${row}: the document is ${size} bytes of JSON, more than one request may carry (${this.maxBytes}); raise --batch-bytes (max ${SERVER_MAX_BODY_BYTES})`);
    }
    let done: Batch | null = null;
    if (this.docs.length >= this.maxRows || this.bytes + size > this.maxBytes) done = this.cut();
    this.docs.push(json);
    this.bytes += size;
    this.endRow = row + 1;
    this.progressEnd = progress;
    return done;
  }

  /** Records an invalid row that was skipped: it is covered by the current batch's range. */
  skip(row: number, progress: number): void {
    this.skipped++;
    this.endRow = row + 1;
    this.progressEnd = progress;
  }

  /** The last, partial batch (null when nothing is pending). */
  finish(): Batch | null {
    return this.docs.length > 0 || this.skipped > 0 ? this.cut() : null;
  }

  private cut(): Batch {
    const body = this.docs.length > 0 ? PREFIX + this.docs.join(",") + SUFFIX : "";
    const batch: Batch = {
      index: this.nextIndex++,
      firstRow: this.firstRow,
      endRow: this.endRow,
      documents: this.docs.length,
      skipped: this.skipped,
      progressEnd: this.progressEnd,
      body,
      bytes: this.bytes - (this.docs.length > 0 ? 1 : 0),
    };
    this.docs = [];
    this.bytes = FRAME_BYTES;
    this.skipped = 0;
    this.firstRow = this.endRow;
    return batch;
  }
}
