/** `elacsym import <namespace> <file>`: options → importer.ts, Ctrl-C → graceful stop, summary. */
import { type Command, InvalidArgumentError } from "commander";
import { DEFAULT_BATCH_BYTES, DEFAULT_BATCH_ROWS, SERVER_MAX_BATCH_DOCUMENTS, SERVER_MAX_BODY_BYTES } from "../batch-builder.ts";
import { clientFor, integerOption, printJson } from "../command-context.ts";
import { configDir } from "../config-store.ts";
import { type CsvType, isCsvType } from "../csv-types.ts";
import { type ImportSummary, runImport } from "../importer.ts";
import { parseJsonArgument } from "../query-request.ts";

interface ImportFlags {
  format?: string;
  delimiter?: string;
  id: string;
  vector: string;
  autoId?: boolean;
  attributes?: string;
  exclude?: string;
  types?: string;
  arraySeparator: string;
  batchRows: number;
  batchBytes: number;
  concurrency: number;
  create?: boolean;
  metric: string;
  schema?: string;
  skipInvalid?: boolean;
  restart?: boolean;
  checkpoint?: string;
  progress: boolean;
  json?: boolean;
}

function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

/** `price:float,tags:[]string` → {price: "float", tags: "[]string"}. */
export function parseTypes(spec: string | undefined): Record<string, CsvType> {
  const types: Record<string, CsvType> = {};
  for (const part of list(spec)) {
    const i = part.lastIndexOf(":");
    const name = part.slice(0, i);
    const type = part.slice(i + 1);
    if (i <= 0 || !isCsvType(type)) throw new InvalidArgumentError(`--types expects column:type,… with types string, int, uint, float, bool, datetime, uuid, json or []type (got '${part}')`);
    types[name] = type;
  }
  return types;
}

function summaryText(s: ImportSummary): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const head = s.status === "complete"
    ? `imported ${n(s.documents_imported)} documents into '${s.namespace}' from ${s.file} (${s.format})`
    : `interrupted: ${n(s.documents_imported)} documents of ${s.file} imported into '${s.namespace}' so far`;
  const details = [
    `${n(s.documents_this_run)} this run in ${s.seconds} s (${n(s.documents_per_second)} docs/s)`,
    s.resumed_from_row !== null ? `resumed at row ${n(s.resumed_from_row)}` : null,
    `${n(s.batches)} ${s.batches === 1 ? "batch" : "batches"}`,
    s.retries ? `${n(s.retries)} retries` : null,
    s.rows_skipped ? `${n(s.rows_skipped)} invalid rows skipped` : null,
  ].filter(Boolean).join(", ");
  const tail = s.status === "interrupted" ? `\nrun the same command again to continue (checkpoint ${s.checkpoint})` : "";
  return `${head}\n  ${details}${tail}`;
}

export function registerImportCommand(program: Command): void {
  program
    .command("import <namespace> <file>")
    .description("bulk import documents from JSONL, CSV/TSV or Parquet; resumable (re-run the same command after an interruption)")
    .option("--format <format>", "jsonl | csv | tsv | parquet (default: from the file extension)")
    .option("--delimiter <char>", "CSV field delimiter (default , and tab for .tsv)")
    .option("--id <column>", "column holding the document id", "id")
    .option("--vector <column>", "column holding the vector", "vector")
    .option("--auto-id", "use the 0-based row number as the id")
    .option("--attributes <columns>", "import only these attribute columns (comma-separated)")
    .option("--exclude <columns>", "do not import these columns (comma-separated)")
    .option("--types <spec>", "CSV column types, e.g. price:float,tags:[]string,meta:json (default: schema, else inferred)")
    .option("--array-separator <sep>", "separator of CSV array cells and vectors not written as JSON", "|")
    .option("--batch-rows <n>", `documents per request (max ${SERVER_MAX_BATCH_DOCUMENTS})`, integerOption(1, SERVER_MAX_BATCH_DOCUMENTS), DEFAULT_BATCH_ROWS)
    .option("--batch-bytes <n>", `bytes of JSON per request (max ${SERVER_MAX_BODY_BYTES})`, integerOption(1024, SERVER_MAX_BODY_BYTES), DEFAULT_BATCH_BYTES)
    .option("--concurrency <n>", "requests in flight", integerOption(1, 64), 2)
    .option("--create", "create the namespace if it does not exist (vector dimensions from the data)")
    .option("--metric <metric>", "distance metric of a namespace created by --create", "cosine")
    .option("--schema <json>", "schema of a namespace created by --create (JSON, @file or -)")
    .option("--skip-invalid", "skip rows that cannot be imported (counted and reported) instead of stopping")
    .option("--restart", "ignore any checkpoint and import from the first row")
    .option("--checkpoint <path>", "checkpoint file (default: in the config directory)")
    .option("--no-progress", "do not show the progress bar")
    .option("--json", "print the summary as JSON")
    .action(async (namespace: string, file: string, flags: ImportFlags, cmd: Command) => {
      const client = clientFor(cmd);
      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = () => {
        if (++interrupts > 1) process.exit(130);
        process.stderr.write("\nelacsym: stopping after the batches in flight (Ctrl-C again to quit at once; the checkpoint keeps what is acknowledged)\n");
        controller.abort();
      };
      process.on("SIGINT", onSigint);
      process.on("SIGTERM", onSigint);
      try {
        const summary = await runImport(client, {
          namespace,
          file,
          format: flags.format,
          delimiter: flags.delimiter,
          mapping: {
            idField: flags.id,
            vectorField: flags.vector,
            autoId: Boolean(flags.autoId),
            include: flags.attributes ? list(flags.attributes) : null,
            exclude: list(flags.exclude),
            arraySeparator: flags.arraySeparator,
          },
          typeOverrides: parseTypes(flags.types),
          batchRows: flags.batchRows ?? DEFAULT_BATCH_ROWS,
          batchBytes: flags.batchBytes ?? DEFAULT_BATCH_BYTES,
          concurrency: flags.concurrency,
          create: Boolean(flags.create),
          metric: flags.metric,
          schema: flags.schema ? parseJsonArgument(flags.schema, "--schema") : undefined,
          skipInvalid: Boolean(flags.skipInvalid),
          restart: Boolean(flags.restart),
          checkpointPath: flags.checkpoint,
          configDir: configDir(),
          progress: flags.progress,
          signal: controller.signal,
          warn: (message) => process.stderr.write(`elacsym: ${message}\n`),
        });
        if (flags.json) printJson(summary);
        else console.log(summaryText(summary));
        if (summary.status === "interrupted") process.exitCode = 130;
      } finally {
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigint);
      }
    });
}
