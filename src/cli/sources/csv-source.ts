/**
 * CSV / TSV input through csv-parse: the first line names the columns, every value arrives as a
 * string (csv-types.ts gives them types), quoted fields may span lines, a UTF-8 BOM is dropped.
 */
import { parse } from "csv-parse";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { InputFormat, RecordSource, SourceRecord } from "./record-source.ts";

export async function openCsvSource(path: string, format: InputFormat, delimiter: string): Promise<RecordSource> {
  const size = (await stat(path)).size;
  return {
    format,
    progressUnit: "bytes",
    progressTotal: size,
    totalRows: null,
    typeHints: {},
    async *records(startRow: number): AsyncGenerator<SourceRecord> {
      const parser = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(
        parse({ columns: true, bom: true, delimiter, skip_empty_lines: true, info: true, relax_quotes: format === "tsv" }),
      );
      let row = 0;
      try {
        for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; bytes: number } }>) {
          const index = row++;
          if (index < startRow) continue;
          yield { row: index, where: `line ${item.info.lines}`, record: item.record, progress: Math.min(size, item.info.bytes) };
        }
      } catch (err) {
        throw new Error(`csv: ${(err as Error).message}`);
      } finally {
        parser.destroy();
      }
    },
  };
}
