/**
 * ASCII folding: replaces each non-ASCII character that has an ASCII equivalent (à → a, ß → ss, ø → o) and
 * leaves every other character alone (Greek, Cyrillic and CJK stay as they are, as in Lucene's ASCIIFoldingFilter).
 * It owns only the character mapping; where folding sits in the pipeline is `analyzer.ts`'s business.
 */

/** Letters whose Unicode decomposition does not lead to ASCII but which have a conventional ASCII spelling. */
const SPECIAL: Readonly<Record<string, string>> = {
  ß: "ss", ẞ: "SS", æ: "ae", Æ: "AE", œ: "oe", Œ: "OE", ø: "o", Ø: "O", ł: "l", Ł: "L", đ: "d", Đ: "D",
  ð: "d", Ð: "D", þ: "th", Þ: "TH", ı: "i", ŋ: "n", Ŋ: "N", ĸ: "q", ſ: "s", ħ: "h", Ħ: "H", ŧ: "t", Ŧ: "T",
  ĳ: "ij", Ĳ: "IJ", ŀ: "l", Ŀ: "L", "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
};

const MARKS = /\p{M}/gu;
const foldedChars = new Map<string, string>();

function foldChar(ch: string): string {
  let out = foldedChars.get(ch);
  if (out !== undefined) return out;
  out = SPECIAL[ch];
  if (out === undefined) {
    const base = ch.normalize("NFD").replace(MARKS, "");
    // Only accept a decomposition that lands entirely in ASCII; otherwise the character has no ASCII form.
    out = base.length > 0 && /^[\x00-\x7f]+$/.test(base) ? base : ch;
    if (out === ch) {
      // Fullwidth ASCII (U+FF01..U+FF5E) folds to its halfwidth twin.
      const cp = ch.codePointAt(0)!;
      if (cp >= 0xff01 && cp <= 0xff5e) out = String.fromCharCode(cp - 0xfee0);
    }
  }
  if (foldedChars.size < 4096) foldedChars.set(ch, out);
  return out;
}

/** Folds one token; ASCII-only input is returned unchanged without allocating. */
export function foldToAscii(token: string): string {
  let i = 0;
  while (i < token.length && token.charCodeAt(i) < 0x80) i++;
  if (i === token.length) return token;
  let out = token.slice(0, i);
  for (const ch of token.slice(i)) out += ch.charCodeAt(0) < 0x80 ? ch : foldChar(ch);
  return out;
}
