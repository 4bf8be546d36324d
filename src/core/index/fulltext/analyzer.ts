/**
 * The analyzer: turns a field value into index terms and a query string into weighted query terms, with the
 * same pipeline on both sides so they always agree. It owns the pipeline order, not the pieces
 * (tokenizer.ts, ascii-folding.ts, languages.ts).
 *
 * Pipeline, per token:
 *   tokenize → drop tokens longer than max_token_length UTF-8 bytes → lowercase (unless case_sensitive;
 *   Turkish dotted/dotless i by locale; Greek also folds final sigma and accents, like Lucene's
 *   GreekLowerCaseFilter) → drop stopwords (remove_stopwords; compared in lowercase even when case-sensitive)
 *   → stem (stemming) → ASCII-fold (ascii_folding; after stemming and stopwords, as turbopuffer documents).
 */

import type { FullTextConfig } from "./full-text-config.ts";
import { foldToAscii } from "./ascii-folding.ts";
import { LANGUAGES, type LanguageSpec } from "./languages.ts";
import { tokenizeSegmented, tokenizeWords } from "./tokenizer.ts";

/** One distinct query term and its weight: q·(k3+1)/(k3+q) for a term written q times (1 when q = 1). */
export interface QueryTerm {
  term: string;
  /** How many times the analyzed query holds the term. */
  count: number;
  weight: number;
}

export interface Analyzer {
  readonly config: FullTextConfig;
  /** Index-side terms of a field value, in order, duplicates kept. Arrays ([]string) are analyzed value by value. */
  terms(value: string | readonly string[] | null | undefined): string[];
  /** Query-side: distinct terms in first-seen order with their query-term-frequency weights. */
  queryTerms(text: string): QueryTerm[];
}


function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) { n += 2; i++; } // surrogate pair: 2 UTF-16 units, 4 bytes
    else n += 2;
  }
  return n;
}

const stopwordSets = new WeakMap<LanguageSpec, Set<string>>();

function stopwordSet(lang: LanguageSpec): Set<string> {
  let set = stopwordSets.get(lang);
  if (set === undefined) {
    set = new Set(lang.stopwords.map((w) => w.toLowerCase()));
    stopwordSets.set(lang, set);
  }
  return set;
}

const GREEK_MARKS = /\p{M}/gu;

function lowercaser(config: FullTextConfig): (t: string) => string {
  if (config.language === "turkish") return (t) => t.toLocaleLowerCase("tr");
  if (config.language === "greek") {
    return (t) => {
      const lower = t.toLowerCase();
      return /[\u0370-\u03ff\u1f00-\u1fff]/.test(lower)
        ? lower.normalize("NFD").replace(GREEK_MARKS, "").replace(/ς/g, "σ").normalize("NFC")
        : lower;
    };
  }
  return (t) => t.toLowerCase();
}

export function createAnalyzer(config: FullTextConfig): Analyzer {
  const lang = LANGUAGES[config.language];
  const lower = lowercaser(config);
  const stop = config.remove_stopwords ? stopwordSet(lang) : undefined;
  const stem = config.stemming ? lang.stem : undefined;
  const maxBytes = config.max_token_length;
  const stemCache = new Map<string, string>();

  function emitTerms(text: string, out: string[]): void {
    const onToken = (raw: string): void => {
      // Cheap path: 4 bytes per UTF-16 unit at most, so short tokens never need measuring.
      if (raw.length * 3 > maxBytes && utf8Length(raw) > maxBytes) return;
      let t = config.case_sensitive ? raw : lower(raw);
      if (stop !== undefined && stop.has(config.case_sensitive ? lower(t) : t)) return;
      if (stem !== undefined) {
        let s = stemCache.get(t);
        if (s === undefined) {
          s = stem(t);
          if (stemCache.size > 65536) stemCache.clear(); // bound memory on huge vocabularies
          stemCache.set(t, s);
        }
        t = s;
      }
      if (config.ascii_folding) t = foldToAscii(t);
      if (t.length > 0) out.push(t);
    };
    if (lang.segmentation === "segmenter") tokenizeSegmented(text, lang.locale, onToken);
    else tokenizeWords(text, onToken);
  }

  return {
    config,
    terms(value) {
      const out: string[] = [];
      if (value === null || value === undefined) return out;
      if (typeof value === "string") emitTerms(value, out);
      else for (const v of value) if (typeof v === "string") emitTerms(v, out);
      return out;
    },
    queryTerms(text) {
      const all: string[] = [];
      emitTerms(text, all);
      const counts = new Map<string, number>();
      for (const t of all) counts.set(t, (counts.get(t) ?? 0) + 1);
      const k3 = config.k3;
      return [...counts].map(([term, count]) => ({ term, count, weight: (count * (k3 + 1)) / (k3 + count) }));
    },
  };
}

