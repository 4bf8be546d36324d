/** Generated text corpora: words drawn from a Zipfian vocabulary, like natural language. */
import { rng } from "./data.ts";

export const VOCAB = 200_000;
export const ZIPF_S = 1.07;

export function zipfSampler(rnd: () => number, vocab = VOCAB, s = ZIPF_S): () => number {
  const cum = new Float64Array(vocab);
  let total = 0;
  for (let r = 0; r < vocab; r++) cum[r] = total += 1 / Math.pow(r + 1, s);
  return () => {
    const x = rnd() * total;
    let lo = 0;
    let hi = vocab - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export const word = (rank: number) => "w" + rank.toString(36);

/** Documents of 10–90 words. */
export class TextGenerator {
  private readonly rnd: () => number;
  private readonly zipf: () => number;
  constructor(seed: number) {
    this.rnd = rng(seed);
    this.zipf = zipfSampler(this.rnd);
  }
  document(): string {
    const len = 10 + Math.floor(this.rnd() * 81);
    const words: string[] = new Array(len);
    for (let j = 0; j < len; j++) words[j] = word(this.zipf());
    return words.join(" ");
  }
  /** A query of 1–4 terms with log-uniform ranks (mixes common and rare terms). */
  query(): string {
    const n = 1 + Math.floor(this.rnd() * 4);
    return Array.from({ length: n }, () => word(Math.floor(Math.exp(this.rnd() * Math.log(VOCAB))) - 1)).join(" ");
  }
}
