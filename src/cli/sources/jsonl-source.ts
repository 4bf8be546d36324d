/**
 * JSON Lines input: one JSON object per line, blank lines ignored. Lines are split on raw
 * bytes so that byte positions (progress) are exact; skipping to a resume row splits lines
 * without parsing them.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { RecordSource, SourceRecord } from "./record-source.ts";

const NEWLINE = 0x0a;
const decoder = new TextDecoder();

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  return true;
}

/** Yields each line's bytes (without the newline) with the byte position after it. */
async function* lines(path: string): AsyncGenerator<{ bytes: Uint8Array; end: number; line: number }> {
  let carry: Uint8Array = new Uint8Array(0);
  let position = 0;
  let line = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let buf: Uint8Array = chunk;
    if (carry.byteLength) {
      const joined = new Uint8Array(carry.byteLength + chunk.byteLength);
      joined.set(carry);
      joined.set(chunk, carry.byteLength);
      buf = joined;
    }
    let start = 0;
    for (let i = buf.indexOf(NEWLINE); i !== -1; i = buf.indexOf(NEWLINE, start)) {
      position += i + 1 - start;
      yield { bytes: buf.subarray(start, i), end: position, line: ++line };
      start = i + 1;
    }
    carry = buf.slice(start);
  }
  if (carry.byteLength) yield { bytes: carry, end: position + carry.byteLength, line: ++line };
}

export async function openJsonlSource(path: string): Promise<RecordSource> {
  const size = (await stat(path)).size;
  return {
    format: "jsonl",
    progressUnit: "bytes",
    progressTotal: size,
    totalRows: null,
    typeHints: {},
    async *records(startRow: number): AsyncGenerator<SourceRecord> {
      let row = 0;
      for await (const { bytes, end, line } of lines(path)) {
        if (isBlank(bytes)) continue;
        const index = row++;
        if (index < startRow) continue;
        let record: unknown;
        let error: string | undefined;
        try {
          record = JSON.parse(decoder.decode(bytes));
          if (typeof record !== "object" || record === null || Array.isArray(record)) {
            error = `line ${line}: expected a JSON object, got ${Array.isArray(record) ? "an array" : record === null ? "null" : typeof record}`;
          }
        } catch (err) {
          error = `line ${line}: not valid JSON (${(err as Error).message})`;
        }
        if (error) {
          yield { row: index, where: `line ${line}`, record: {}, error, progress: end };
          continue;
        }
        yield { row: index, where: `line ${line}`, record: record as Record<string, unknown>, progress: end };
      }
    },
  };
}
