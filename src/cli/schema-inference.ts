/**
 * The schema `import --create` declares for a new namespace: vector dimensions from the data and
 * attribute types from a sample of mapped documents. Declaring types matters because JSON has no
 * float/int distinction: left to infer from the first write, the server would type a price
 * column whose first value is 0 as int and then reject 1.5. A column is float when any sampled
 * value has a fraction, or when the input says so (CSV `--types`, Parquet FLOAT/DOUBLE).
 * Columns whose sampled values disagree are left out for the server to decide.
 */
import type { MappedDocument } from "./document-mapping.ts";

type Kind = "string" | "int" | "float" | "bool" | null;

function kindOf(value: unknown): Kind | "mixed" {
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  return "mixed";
}

function merge(a: Kind | "mixed", b: Kind | "mixed"): Kind | "mixed" {
  if (a === null) return b;
  if (a === b) return a;
  if ((a === "int" && b === "float") || (a === "float" && b === "int")) return "float";
  return "mixed";
}

/** `hints` are known types (e.g. "float") that win over what the values suggest. */
export function inferAttributeSchema(docs: MappedDocument[], hints: Record<string, string> = {}): Record<string, { type: string }> {
  const seen = new Map<string, { kind: Kind | "mixed"; array: boolean | "mixed" }>();
  for (const doc of docs) {
    for (const [name, value] of Object.entries(doc.attributes ?? {})) {
      const isArray = Array.isArray(value);
      const entry = seen.get(name) ?? { kind: null, array: isArray };
      if (entry.array !== isArray) entry.array = "mixed";
      for (const v of isArray ? (value as unknown[]) : [value]) entry.kind = merge(entry.kind, kindOf(v));
      seen.set(name, entry);
    }
  }
  const attributes: Record<string, { type: string }> = {};
  for (const [name, { kind, array }] of seen) {
    const hint = hints[name];
    if (hint && hint !== "json") {
      attributes[name] = { type: hint };
      continue;
    }
    if (kind === null || kind === "mixed" || array === "mixed") continue;
    attributes[name] = { type: array ? `[]${kind}` : kind };
  }
  return attributes;
}
