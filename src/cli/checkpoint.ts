/**
 * Import checkpoints: what a resumed import needs to continue where the last one stopped.
 *
 * A checkpoint records the contiguous prefix of input rows whose batches the server has
 * acknowledged (`rows_done`), with the counts for the summary. Batches after it may also have
 * been stored (several are in flight at once, and a kill can land between an acknowledgement
 * and the checkpoint write); a resume sends them again, which is harmless because upserts
 * replace documents by id, and counts them once because counts only grow with `rows_done`.
 *
 * It lives in `<config dir>/checkpoints/<hash of endpoint, namespace, input path>.json` unless
 * `--checkpoint` names a file, is replaced atomically (write + rename) after every
 * acknowledged batch, and is deleted when the import completes. It refuses to resume when the
 * input file changed (size or mtime) or the column mapping differs.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CsvType } from "./csv-types.ts";

export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  version: number;
  endpoint: string;
  namespace: string;
  input: { path: string; size: number; mtime_ms: number; format: string };
  /** Hash of the options that decide what each row becomes (see mappingFingerprint). */
  mapping: string;
  csv_types?: Record<string, CsvType>;
  rows_done: number;
  progress_done: number;
  batches_done: number;
  documents_imported: number;
  rows_skipped: number;
  started_at: string;
  updated_at: string;
}

export function defaultCheckpointPath(configDir: string, endpoint: string, namespace: string, inputPath: string): string {
  const key = createHash("sha256").update(`${endpoint}\n${namespace}\n${inputPath}`).digest("hex").slice(0, 24);
  return join(configDir, "checkpoints", `${key}.json`);
}

export function mappingFingerprint(options: unknown): string {
  return createHash("sha256").update(JSON.stringify(options)).digest("hex").slice(0, 16);
}

export function readCheckpoint(path: string): Checkpoint | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  let cp: Checkpoint;
  try {
    cp = JSON.parse(text) as Checkpoint;
  } catch (err) {
    throw new Error(`import: checkpoint ${path} is not valid JSON (${(err as Error).message}); pass --restart to start over`);
  }
  if (cp.version !== CHECKPOINT_VERSION) throw new Error(`import: checkpoint ${path} has version ${cp.version}, expected ${CHECKPOINT_VERSION}; pass --restart`);
  return cp;
}

export function writeCheckpoint(path: string, cp: Checkpoint): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...cp, updated_at: new Date().toISOString() }, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
}

export function deleteCheckpoint(path: string): void {
  rmSync(path, { force: true });
}

/** Why `cp` cannot continue this import, or null when it can. */
export function checkpointMismatch(cp: Checkpoint, expected: Pick<Checkpoint, "endpoint" | "namespace" | "input" | "mapping">): string | null {
  if (cp.endpoint !== expected.endpoint) return `it was written for endpoint ${cp.endpoint}`;
  if (cp.namespace !== expected.namespace) return `it was written for namespace '${cp.namespace}'`;
  if (cp.input.path !== expected.input.path) return `it was written for ${cp.input.path}`;
  if (cp.input.size !== expected.input.size || cp.input.mtime_ms !== expected.input.mtime_ms) return "the input file changed since (size or modification time)";
  if (cp.input.format !== expected.input.format) return `it was written for format ${cp.input.format}`;
  if (cp.mapping !== expected.mapping) return "the column mapping options differ (--id, --vector, --attributes, --exclude, --types, --auto-id, --array-separator, --delimiter)";
  return null;
}
