/**
 * Splits text into raw word tokens: Unicode letter/digit runs for most languages (each ideograph on its own,
 * like turbopuffer's word_v2 tokenizer), Intl.Segmenter word boundaries for Chinese, Japanese and Thai.
 * It does not lowercase, stem or filter; `analyzer.ts` does that.
 *
 * Intl.Segmenter slows down badly on long strings, so text is fed to it in chunks of at most
 * SEGMENTER_CHUNK_CHARS, cut at whitespace or punctuation where possible so that words are not split.
 */

/** A run of letters, marks or digits. */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
/** Splits a run that holds ideographs: each ideograph alone, other letters/digits in runs. */
const IDEOGRAPH_SPLIT = /\p{Ideographic}|(?:(?!\p{Ideographic})[\p{L}\p{M}\p{N}])+/gu;

export const SEGMENTER_CHUNK_CHARS = 1024;

/** Calls `emit` with each token of `text` in order. */
export function tokenizeWords(text: string, emit: (token: string) => void): void {
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    const run = m[0];
    if (!mayHoldIdeograph(run)) {
      emit(run);
      continue;
    }
    IDEOGRAPH_SPLIT.lastIndex = 0;
    for (let n = IDEOGRAPH_SPLIT.exec(run); n !== null; n = IDEOGRAPH_SPLIT.exec(run)) emit(n[0]);
  }
}

/** Cheap pre-check: every ideograph lies at or above U+2E80 (or in a surrogate pair). */
function mayHoldIdeograph(run: string): boolean {
  for (let i = 0; i < run.length; i++) if (run.charCodeAt(i) >= 0x2e80) return true;
  return false;
}

const segmenters = new Map<string, Intl.Segmenter>();

function segmenterFor(locale: string): Intl.Segmenter {
  let s = segmenters.get(locale);
  if (s === undefined) {
    s = new Intl.Segmenter(locale, { granularity: "word" });
    segmenters.set(locale, s);
  }
  return s;
}

/** Where to cut a chunk that would otherwise end at `limit`: after the last space or punctuation, else at `limit`. */
function chunkEnd(text: string, start: number, limit: number): number {
  if (limit >= text.length) return text.length;
  for (let i = limit; i > start + (limit - start) / 2; i--) {
    const c = text.charCodeAt(i - 1);
    if (c <= 0x20 || c === 0x3000 || c === 0x3001 || c === 0x3002 || c === 0xff0c || c === 0xff01 || c === 0xff1f ||
        c === 0x2e || c === 0x2c || c === 0x0a) return i;
  }
  // No break nearby: cut, but never between the two halves of a surrogate pair.
  const c = text.charCodeAt(limit - 1);
  return c >= 0xd800 && c <= 0xdbff ? limit - 1 : limit;
}

/** Intl.Segmenter words of `text` (only word-like segments), each split further by the word regex. */
export function tokenizeSegmented(text: string, locale: string, emit: (token: string) => void): void {
  const segmenter = segmenterFor(locale);
  for (let start = 0; start < text.length; ) {
    const end = chunkEnd(text, start, start + SEGMENTER_CHUNK_CHARS);
    for (const seg of segmenter.segment(text.slice(start, end))) {
      if (!seg.isWordLike) continue;
      // Keep letters/digits only; ideographs stay together, the segmenter decided the word boundaries.
      const word = seg.segment;
      WORD.lastIndex = 0;
      for (let m = WORD.exec(word); m !== null; m = WORD.exec(word)) emit(m[0]);
    }
    start = end;
  }
}
