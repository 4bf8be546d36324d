/**
 * Types for CSV / TSV values, which arrive as strings. A column's type comes from, in order:
 * `--types col:type`, the namespace schema, or inference over a sample of the first rows (all
 * integers → int, all numbers → float, all true/false → bool, all JSON arrays → json, else
 * string). The chosen types are kept in the import checkpoint so a resumed import converts
 * exactly as the first run did.
 */

export type CsvType = "string" | "int" | "uint" | "float" | "bool" | "datetime" | "uuid" | "json" | `[]${string}`;

const INT = /^[+-]?\d+$/;
const BOOL = /^(true|false)$/i;

export const CSV_TYPES = ["string", "int", "uint", "float", "bool", "datetime", "uuid", "json"];

export function isCsvType(t: string): t is CsvType {
  return CSV_TYPES.includes(t) || (t.startsWith("[]") && CSV_TYPES.includes(t.slice(2)) && t !== "[]json");
}

function isNumber(text: string): boolean {
  return text.trim() !== "" && Number.isFinite(Number(text));
}

function isJsonArray(text: string): boolean {
  if (!text.startsWith("[")) return false;
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}

/** Infers one column's type from sample values (empty cells say nothing). */
export function inferCsvType(values: string[]): CsvType {
  const present = values.filter((v) => v !== "");
  if (present.length === 0) return "string";
  if (present.every((v) => INT.test(v) && Number.isSafeInteger(Number(v)))) return "int";
  if (present.every(isNumber)) return "float";
  if (present.every((v) => BOOL.test(v))) return "bool";
  if (present.every(isJsonArray)) return "json";
  return "string";
}

export function inferCsvTypes(sample: Record<string, unknown>[], columns: string[]): Record<string, CsvType> {
  const types: Record<string, CsvType> = {};
  for (const column of columns) types[column] = inferCsvType(sample.map((r) => String(r[column] ?? "")));
  return types;
}

function scalar(type: string, text: string, where: string): unknown {
  switch (type) {
    case "int":
    case "uint": {
      const n = Number(text);
      if (!INT.test(text.trim()) || !Number.isSafeInteger(n) || (type === "uint" && n < 0)) throw new Error(`${where}: expected ${type === "uint" ? "an unsigned integer" : "an integer"}, got '${text}'`);
      return n;
    }
    case "float": {
      const n = Number(text);
      if (!isNumber(text)) throw new Error(`${where}: expected a number, got '${text}'`);
      return n;
    }
    case "bool": {
      const t = text.trim().toLowerCase();
      if (t === "true" || t === "1" || t === "yes") return true;
      if (t === "false" || t === "0" || t === "no") return false;
      throw new Error(`${where}: expected true or false, got '${text}'`);
    }
    case "json":
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new Error(`${where}: expected JSON (${(err as Error).message})`);
      }
    default:
      return text;
  }
}

/**
 * Converts one cell. Empty → null (the attribute is left out). Arrays are a JSON array
 * (`["a","b"]`) or values joined by `separator` (`a|b`).
 */
export function coerceCsvValue(type: CsvType, text: string, where: string, separator: string): unknown {
  if (text === "") return null;
  if (!type.startsWith("[]")) return scalar(type, text, where);
  const element = type.slice(2);
  const parts = text.startsWith("[") ? (scalar("json", text, where) as unknown[]) : text.split(separator);
  if (!Array.isArray(parts)) throw new Error(`${where}: expected an array`);
  return parts.map((p, i) => (typeof p === "string" ? scalar(element, p, `${where}[${i}]`) : p));
}
