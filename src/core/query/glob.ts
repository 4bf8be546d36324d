/**
 * Unix-style glob matching (`*`, `?`, `[abc]`, `[a-z]`, `[!x]`, `\` escapes) in linear-ish time,
 * without building a RegExp (user patterns must not be able to trigger catastrophic backtracking).
 */

type Token = { kind: "star" } | { kind: "any" } | { kind: "char"; c: string } | { kind: "class"; negate: boolean; ranges: [string, string][] };

export function compileGlob(pattern: string, caseInsensitive = false): Token[] {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const chars = Array.from(p);
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === "*") {
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
    } else if (c === "?") tokens.push({ kind: "any" });
    else if (c === "\\" && i + 1 < chars.length) tokens.push({ kind: "char", c: chars[++i] });
    else if (c === "[") {
      let j = i + 1;
      let negate = false;
      if (chars[j] === "!" || chars[j] === "^") {
        negate = true;
        j++;
      }
      const ranges: [string, string][] = [];
      let first = true;
      while (j < chars.length && (chars[j] !== "]" || first)) {
        first = false;
        const lo = chars[j];
        if (chars[j + 1] === "-" && j + 2 < chars.length && chars[j + 2] !== "]") {
          ranges.push([lo, chars[j + 2]]);
          j += 3;
        } else {
          ranges.push([lo, lo]);
          j++;
        }
      }
      if (j >= chars.length) tokens.push({ kind: "char", c: "[" });
      else {
        tokens.push({ kind: "class", negate, ranges });
        i = j;
      }
    } else tokens.push({ kind: "char", c });
  }
  return tokens;
}

function matchOne(t: Token, c: string): boolean {
  switch (t.kind) {
    case "any":
      return true;
    case "char":
      return t.c === c;
    case "class": {
      const inside = t.ranges.some(([lo, hi]) => c >= lo && c <= hi);
      return inside !== t.negate;
    }
    default:
      return false;
  }
}

/** Greedy matching with a single backtrack point per star: O(n·m) worst case, no exponential blow-up. */
export function globMatch(tokens: Token[], text: string, caseInsensitive = false): boolean {
  const s = Array.from(caseInsensitive ? text.toLowerCase() : text);
  let ti = 0;
  let si = 0;
  let starTi = -1;
  let starSi = 0;
  while (si < s.length) {
    const t = tokens[ti];
    if (t && t.kind === "star") {
      starTi = ti++;
      starSi = si;
    } else if (t && matchOne(t, s[si])) {
      ti++;
      si++;
    } else if (starTi >= 0) {
      ti = starTi + 1;
      si = ++starSi;
    } else return false;
  }
  while (tokens[ti]?.kind === "star") ti++;
  return ti === tokens.length;
}
