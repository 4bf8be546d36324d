/**
 * The per-attribute full-text configuration (turbopuffer's `full_text_search` schema object): its type,
 * defaults and validation. It does not tokenize anything; `analyzer.ts` turns a resolved config into an analyzer.
 *
 * Defaults follow turbopuffer's current schema documentation: language english, no stemming, stopwords kept,
 * case-insensitive, no ASCII folding, tokens over 39 UTF-8 bytes dropped, k1 = 1.2, b = 0.75, k3 = 8.
 * (Older turbopuffer docs defaulted remove_stopwords to true; the current ones say false, and so do we.)
 */

import { InvalidArgumentError } from "../../errors.ts";

export const FULL_TEXT_LANGUAGES = [
  "arabic",
  "danish",
  "dutch",
  "english",
  "finnish",
  "french",
  "german",
  "greek",
  "hungarian",
  "italian",
  "norwegian",
  "portuguese",
  "romanian",
  "russian",
  "spanish",
  "swedish",
  "tamil",
  "turkish",
  "chinese",
  "japanese",
  "thai",
] as const;

export type FullTextLanguage = (typeof FULL_TEXT_LANGUAGES)[number];

/** What a schema may say (every field optional), or `true` for all defaults. */
export interface FullTextConfigInput {
  language?: string;
  stemming?: boolean;
  remove_stopwords?: boolean;
  case_sensitive?: boolean;
  ascii_folding?: boolean;
  max_token_length?: number;
  k1?: number;
  b?: number;
  k3?: number;
}

/** A config with every option decided. Stored in the manifest's schema so the index and queries agree. */
export interface FullTextConfig {
  language: FullTextLanguage;
  stemming: boolean;
  remove_stopwords: boolean;
  case_sensitive: boolean;
  ascii_folding: boolean;
  /** In UTF-8 bytes, 1..254; longer tokens are dropped (not truncated), as in turbopuffer and Tantivy. */
  max_token_length: number;
  k1: number;
  b: number;
  /** Query-term-frequency saturation: a term repeated q times in the query weighs q·(k3+1)/(k3+q). */
  k3: number;
}

export const DEFAULT_FULL_TEXT_CONFIG: Readonly<FullTextConfig> = Object.freeze({
  language: "english",
  stemming: false,
  remove_stopwords: false,
  case_sensitive: false,
  ascii_folding: false,
  max_token_length: 39,
  k1: 1.2,
  b: 0.75,
  k3: 8,
});

const KNOWN_KEYS = new Set(Object.keys(DEFAULT_FULL_TEXT_CONFIG));

/** Validates a schema's `full_text` value (an object or `true`) and fills in the defaults. */
export function resolveFullTextConfig(input: FullTextConfigInput | boolean | undefined): FullTextConfig {
  if (input === undefined || input === true) return { ...DEFAULT_FULL_TEXT_CONFIG };
  if (input === false || input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new InvalidArgumentError(`full_text: expected true or an object, got ${JSON.stringify(input)}`);
  }
  for (const key of Object.keys(input)) {
    if (!KNOWN_KEYS.has(key)) throw new InvalidArgumentError(`full_text: unknown option '${key}'`);
  }
  const out: FullTextConfig = { ...DEFAULT_FULL_TEXT_CONFIG };
  if (input.language !== undefined) {
    if (!(FULL_TEXT_LANGUAGES as readonly string[]).includes(input.language)) {
      throw new InvalidArgumentError(
        `full_text: unsupported language '${input.language}' (supported: ${FULL_TEXT_LANGUAGES.join(", ")})`,
      );
    }
    out.language = input.language as FullTextLanguage;
  }
  for (const key of ["stemming", "remove_stopwords", "case_sensitive", "ascii_folding"] as const) {
    const v = input[key];
    if (v === undefined) continue;
    if (typeof v !== "boolean") throw new InvalidArgumentError(`full_text: ${key} must be a boolean, got ${JSON.stringify(v)}`);
    out[key] = v;
  }
  if (input.max_token_length !== undefined) {
    const v = input.max_token_length;
    if (!Number.isInteger(v) || v < 1 || v > 254) {
      throw new InvalidArgumentError(`full_text: max_token_length must be an integer in [1, 254], got ${v}`);
    }
    out.max_token_length = v;
  }
  if (input.k1 !== undefined) out.k1 = checkNumber("k1", input.k1, (v) => v > 0, "> 0");
  if (input.b !== undefined) out.b = checkNumber("b", input.b, (v) => v >= 0 && v <= 1, "in [0, 1]");
  if (input.k3 !== undefined) out.k3 = checkNumber("k3", input.k3, (v) => v > 0, "> 0");
  return out;
}

function checkNumber(name: string, v: unknown, ok: (v: number) => boolean, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) {
    throw new InvalidArgumentError(`full_text: ${name} must be a finite number ${what}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** True when two configs produce the same tokens (scoring parameters aside): the index can be reused. */
export function sameAnalysis(a: FullTextConfig, b: FullTextConfig): boolean {
  return (
    a.language === b.language &&
    a.stemming === b.stemming &&
    a.remove_stopwords === b.remove_stopwords &&
    a.case_sensitive === b.case_sensitive &&
    a.ascii_folding === b.ascii_folding &&
    a.max_token_length === b.max_token_length
  );
}
