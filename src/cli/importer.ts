/**
 * Bulk import: reads an input file (sources/), maps records to documents (document-mapping.ts),
 * cuts them into upsert batches under the server limits (batch-builder.ts), sends up to
 * `concurrency` batches at once through the retrying client, and after each acknowledged batch
 * advances the checkpoint (checkpoint.ts) over the contiguous acknowledged prefix of rows.
 *
 * Counting is exactly-once per input row: a document is counted when the checkpoint moves past
 * its row, never when a request succeeds, so batches replayed after a crash or a lost response
 * do not count twice. Interrupting (the AbortSignal, wired to Ctrl-C) stops reading, waits for
 * the batches in flight and keeps the checkpoint; running the same command again continues.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { ApiError, type ElacsymClient, type NamespaceDescription } from "./api-client.ts";
import { type Batch, BatchBuilder } from "./batch-builder.ts";
import {
  CHECKPOINT_VERSION, type Checkpoint, checkpointMismatch, defaultCheckpointPath, deleteCheckpoint, mappingFingerprint, readCheckpoint, writeCheckpoint,
} from "./checkpoint.ts";
import { type CsvType, inferCsvTypes } from "./csv-types.ts";
import { type MappingOptions, RowError, createMapper } from "./document-mapping.ts";
import { ImportProgress } from "./progress-display.ts";
import { inferAttributeSchema } from "./schema-inference.ts";
import { type SourceRecord, detectFormat, openSource } from "./sources/record-source.ts";

/** Rows read ahead to infer CSV column types and the vector dimensions of a new namespace. */
export const SAMPLE_ROWS = 1000;
/** Invalid rows reported one by one with --skip-invalid; later ones are only counted. */
const MAX_REPORTED_INVALID = 10;

export interface ImportOptions {
  namespace: string;
  file: string;
  format?: string;
  delimiter?: string;
  mapping: MappingOptions;
  typeOverrides: Record<string, CsvType>;
  batchRows: number;
  batchBytes: number;
  concurrency: number;
  create: boolean;
  metric: string;
  schema?: unknown;
  skipInvalid: boolean;
  restart: boolean;
  checkpointPath?: string;
  configDir: string;
  progress: boolean;
  progressStream?: NodeJS.WriteStream;
  signal?: AbortSignal;
  warn: (message: string) => void;
}

export interface ImportSummary {
  namespace: string;
  file: string;
  format: string;
  status: "complete" | "interrupted";
  /** Input rows covered (documents imported + invalid rows skipped), all runs. */
  rows: number;
  documents_imported: number;
  documents_this_run: number;
  rows_skipped: number;
  batches: number;
  resumed_from_row: number | null;
  retries: number;
  seconds: number;
  documents_per_second: number;
  checkpoint: string | null;
}

async function describeOrNull(client: ElacsymClient, ns: string): Promise<NamespaceDescription | null> {
  try {
    return await client.describeNamespace(ns);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/** Reads up to `n` records ahead; returns them and an iterable over all records (them first). */
async function peek(source: AsyncIterable<SourceRecord>, n: number): Promise<{ sample: SourceRecord[]; all: AsyncIterable<SourceRecord> }> {
  const it = source[Symbol.asyncIterator]();
  const sample: SourceRecord[] = [];
  let ended = false;
  while (sample.length < n) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    sample.push(next.value);
  }
  async function* all(): AsyncGenerator<SourceRecord> {
    yield* sample;
    if (ended) return;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  return { sample, all: all() };
}

function describeFailure(err: unknown, batch: Batch): Error {
  const what = `rows ${batch.firstRow}–${batch.endRow - 1} (batch ${batch.index})`;
  if (err instanceof ApiError) return new Error(`import: upsert of ${what} failed: ${err.message}`);
  return new Error(`import: upsert of ${what} failed: ${(err as Error).message}`);
}

export async function runImport(client: ElacsymClient, options: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const path = resolve(options.file);
  const info = await stat(path);
  const format = detectFormat(path, options.format);
  const source = await openSource(path, format, { delimiter: options.delimiter });
  const checkpointPath = options.checkpointPath ? resolve(options.checkpointPath) : defaultCheckpointPath(options.configDir, client.endpoint, options.namespace, path);
  const expected = {
    endpoint: client.endpoint,
    namespace: options.namespace,
    input: { path, size: info.size, mtime_ms: info.mtimeMs, format },
    mapping: mappingFingerprint({ mapping: options.mapping, types: options.typeOverrides, delimiter: options.delimiter ?? null }),
  };
  let cp = options.restart ? null : readCheckpoint(checkpointPath);
  if (cp) {
    const why = checkpointMismatch(cp, expected);
    if (why) throw new Error(`import: found checkpoint ${checkpointPath} but cannot resume: ${why}. Pass --restart to import from the beginning.`);
  }
  const resumedFrom = cp ? cp.rows_done : null;
  const now = new Date().toISOString();
  cp ??= { version: CHECKPOINT_VERSION, ...expected, rows_done: 0, progress_done: 0, batches_done: 0, documents_imported: 0, rows_skipped: 0, started_at: now, updated_at: now };
  const state: Checkpoint = cp;
  const documentsBefore = state.documents_imported;

  let description = await describeOrNull(client, options.namespace);
  const { sample, all } = await peek(source.records(state.rows_done), SAMPLE_ROWS);

  let csvTypes: Record<string, CsvType> | null = null;
  if (format === "csv" || format === "tsv") {
    const declared: Record<string, CsvType> = {};
    for (const [name, attr] of Object.entries(description?.schema.attributes ?? {})) declared[name] = attr.type as CsvType;
    const columns = sample.length ? Object.keys(sample[0].record) : [];
    csvTypes = state.csv_types ?? { ...inferCsvTypes(sample.map((s) => s.record), columns), ...declared, ...options.typeOverrides };
    state.csv_types = csvTypes;
  }
  const mapper = createMapper(options.mapping, csvTypes, description?.schema.vector?.dimensions ?? null, description?.schema.id_type);

  if (!description) {
    if (!options.create) throw new Error(`import: namespace '${options.namespace}' does not exist; create it with 'elacsym ns create' or pass --create`);
    let schema = options.schema;
    if (schema === undefined) {
      const probe = createMapper(options.mapping, csvTypes, null);
      const docs = sample.flatMap((s) => {
        if (s.error) return [];
        try {
          return [probe.map(s.record, s.row, s.where)];
        } catch {
          return []; // an invalid row says nothing about the schema
        }
      });
      const attributes = inferAttributeSchema(docs, { ...source.typeHints, ...(csvTypes ?? {}) });
      schema = { ...(probe.dimensions ? { vector: { dimensions: probe.dimensions, metric: options.metric } } : {}), attributes };
    }
    description = await client.createNamespace(options.namespace, schema);
    mapper.dimensions = description.schema.vector?.dimensions ?? mapper.dimensions;
  }

  let retries = 0;
  const ttyBar = options.progress && Boolean((options.progressStream ?? process.stderr).isTTY);
  const progress = new ImportProgress({
    enabled: options.progress,
    total: source.progressTotal,
    startValue: state.progress_done,
    startRows: state.documents_imported,
    unit: source.progressUnit,
    stream: options.progressStream,
  });
  client.onRetry = (event) => {
    retries++;
    const line = `retry ${event.attempt} in ${event.delayMs} ms after ${event.reason}`;
    if (ttyBar) progress.note(line.slice(0, 80));
    else options.warn(line);
  };

  const builder = new BatchBuilder({ maxRows: options.batchRows, maxBytes: options.batchBytes, startRow: state.rows_done, startIndex: state.batches_done, startProgress: state.progress_done });
  const inflight = new Set<Promise<void>>();
  const acknowledged = new Map<number, Batch>();
  let failure: Error | null = null;
  let invalid = 0;
  let stoppedEarly = false;
  const resumeHint = () => `Rows before ${state.rows_done} are imported; fix the problem and run the same command again to continue (checkpoint ${checkpointPath}).`;

  const commit = () => {
    for (let b = acknowledged.get(state.batches_done); b; b = acknowledged.get(state.batches_done)) {
      acknowledged.delete(b.index);
      state.batches_done = b.index + 1;
      state.rows_done = b.endRow;
      state.progress_done = b.progressEnd;
      state.documents_imported += b.documents;
      state.rows_skipped += b.skipped;
      writeCheckpoint(checkpointPath, state);
      progress.update(state.progress_done, state.documents_imported);
    }
    if (ttyBar && retries > 0) progress.note("");
  };

  const dispatch = async (batch: Batch) => {
    if (batch.documents === 0) {
      acknowledged.set(batch.index, batch);
      commit();
      return;
    }
    const sent = client.upsertJson(options.namespace, batch.body).then(
      () => {
        acknowledged.set(batch.index, batch);
        commit();
      },
      (err) => {
        failure ??= describeFailure(err, batch);
      },
    );
    inflight.add(sent);
    void sent.finally(() => inflight.delete(sent));
    while (inflight.size >= options.concurrency) await Promise.race(inflight);
  };

  try {
    for await (const rec of all) {
      if (failure) break;
      if (options.signal?.aborted) {
        stoppedEarly = true;
        break;
      }
      let json: string;
      try {
        if (rec.error) throw new RowError(rec.error);
        json = JSON.stringify(mapper.map(rec.record, rec.row, rec.where));
      } catch (err) {
        if (!(err instanceof RowError) || !options.skipInvalid) throw err;
        if (++invalid <= MAX_REPORTED_INVALID) options.warn(`skipped invalid row: ${err.message}`);
        builder.skip(rec.row, rec.progress);
        continue;
      }
      const batch = builder.add(json, rec.row, rec.progress);
      if (batch) await dispatch(batch);
    }
    if (!failure && !stoppedEarly) {
      const last = builder.finish();
      if (last) await dispatch(last);
    }
  } catch (err) {
    await Promise.allSettled(inflight);
    throw new Error(`import: ${(err as Error).message.replace(/^import: /, "")}\n${resumeHint()}`);
  } finally {
    await Promise.allSettled(inflight);
    progress.stop();
    client.onRetry = undefined;
  }
  if (failure) throw new Error(`${(failure as Error).message}\n${resumeHint()}`);
  if (invalid > MAX_REPORTED_INVALID) options.warn(`… ${invalid - MAX_REPORTED_INVALID} more invalid rows skipped`);

  const interrupted = stoppedEarly;
  if (!interrupted) deleteCheckpoint(checkpointPath);
  const seconds = (Date.now() - started) / 1000;
  const thisRun = state.documents_imported - documentsBefore;
  return {
    namespace: options.namespace,
    file: path,
    format,
    status: interrupted ? "interrupted" : "complete",
    rows: state.rows_done,
    documents_imported: state.documents_imported,
    documents_this_run: thisRun,
    rows_skipped: state.rows_skipped,
    batches: state.batches_done,
    resumed_from_row: resumedFrom,
    retries,
    seconds: Math.round(seconds * 100) / 100,
    documents_per_second: seconds > 0 ? Math.round(thisRun / seconds) : thisRun,
    checkpoint: interrupted ? checkpointPath : null,
  };
}
