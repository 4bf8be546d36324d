/**
 * Runs a request schema (zod) and turns its first issue into the API's 400: an InvalidArgumentError
 * whose message names the offending field (`documents[3].attributes: expected an object`). Owns the
 * default wording of zod issues; schemas that need other words set their own `error`.
 */
import * as z from "zod";
import { InvalidArgumentError } from "../../core/errors.ts";

// zod compiles object parsers with `new Function` when it can. Workers forbid eval in production but
// the vitest pool allows it, so tests would run another code path than production: never compile.
z.config({ jitless: true });

const ARTICLE: Record<string, string> = {
  object: "an object",
  record: "an object",
  map: "an object",
  tuple: "an array",
  array: "an array",
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  null: "null",
};

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** `["documents", 3, "id"]` → `documents[3].id`; the root is `root` (e.g. "query", "write"). */
export function issuePath(path: readonly PropertyKey[], root: string): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out === "" ? root : out;
}

/** The allowed keys of the object schema an `unrecognized_keys` issue came from. */
function allowedKeys(issue: z.core.$ZodRawIssue): string[] {
  const def = (issue.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def;
  return def?.shape ? Object.keys(def.shape) : [];
}

/** Default wording of an issue whose schema sets no message of its own. */
function defaultMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case "invalid_type": {
      if (issue.input === undefined) return "required";
      const expected = ARTICLE[issue.expected] ?? issue.expected;
      return `expected ${expected}, got ${show(issue.input)}`;
    }
    case "unrecognized_keys": {
      const allowed = allowedKeys(issue);
      const keys = issue.keys.map((k) => `'${k}'`).join(", ");
      return `unknown field ${keys}${allowed.length ? ` (allowed: ${allowed.join(", ")})` : ""}`;
    }
    case "too_small":
      if (issue.origin === "array") return Number(issue.minimum) <= 1 ? "expected a non-empty array" : `expected at least ${issue.minimum} items`;
      if (issue.origin === "string") return Number(issue.minimum) <= 1 ? "expected a non-empty string" : `expected at least ${issue.minimum} characters`;
      return `expected a number ${issue.inclusive ? "≥" : ">"} ${issue.minimum}, got ${show(issue.input)}`;
    case "too_big":
      if (issue.origin === "array") return `at most ${issue.maximum} items per request (got ${(issue.input as unknown[]).length})`;
      if (issue.origin === "string") return `at most ${issue.maximum} characters`;
      return `expected a number ${issue.inclusive ? "≤" : "<"} ${issue.maximum}, got ${show(issue.input)}`;
    case "invalid_value":
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}, got ${show(issue.input)}`;
    case "invalid_format":
      return `expected ${issue.format === "regex" ? `a string matching ${issue.pattern}` : `a ${issue.format}`}, got ${show(issue.input)}`;
    case "invalid_union":
      return `does not match any allowed form, got ${show(issue.input)}`;
    default:
      return `invalid value ${show(issue.input)}`;
  }
}

const PARSE_OPTIONS = { reportInput: true, error: defaultMessage } as const;

/**
 * The issue to report. For a union, the issue of the first form the value had the type of (`limit:
 * 0` is a bad number, not a bad object; `{"type": "int", "filterable": 5}` a bad `filterable`), with
 * its path made absolute; the union's own message when the value has none of its forms' types.
 */
function reportedIssue(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code !== "invalid_union") return { path: issue.path, message: issue.message };
  const wrongType = (i: z.core.$ZodIssue) => i.path.length === 0 && (i.code === "invalid_type" || i.code === "invalid_value");
  const typed = issue.errors.find((branch) => branch.length > 0 && !wrongType(branch[0]));
  if (!typed) return { path: issue.path, message: issue.message };
  const inner = reportedIssue(typed[0]);
  return { path: [...issue.path, ...inner.path], message: inner.message };
}

/**
 * Validates `input` with `schema`; on failure throws InvalidArgumentError for the first issue,
 * `<path>: <message>` (the path is `root` for the whole value).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  const result = schema.safeParse(input, PARSE_OPTIONS);
  if (result.success) return result.data;
  const issue = reportedIssue(result.error.issues[0]);
  throw new InvalidArgumentError(`${issuePath(issue.path, root)}: ${issue.message}`);
}
