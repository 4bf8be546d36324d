// Test helpers for the full-text tests: a small Zipfian corpus generator and a RangeReader that counts
// reads. Not a test file itself.

import type { RangeReader } from "../../../src/storage/range-reader.ts";

const WORDS = [
  "search", "index", "vector", "query", "segment", "storage", "object", "cache", "durable", "worker",
  "ranking", "score", "document", "field", "token", "stemming", "language", "running", "runs", "ran",
  "cloud", "latency", "bucket", "posting", "block", "dictionary", "term", "frequency", "length", "merge",
  "compaction", "flush", "tail", "write", "ahead", "log", "manifest", "version", "namespace", "tenant",
  "the", "a", "of", "and", "to", "in", "is", "for", "on", "with",
];

/** Zipf-like draw over `vocab` (rank r has weight 1/r). */
export function zipfPicker(rnd: () => number, vocab: readonly string[] = WORDS): () => string {
  const cum: number[] = [];
  let total = 0;
  for (let r = 1; r <= vocab.length; r++) cum.push((total += 1 / r));
  return () => {
    const x = rnd() * total;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return vocab[lo];
  };
}

export function randomText(rnd: () => number, pick: () => string, minWords: number, maxWords: number): string {
  const n = minWords + Math.floor(rnd() * (maxWords - minWords + 1));
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = pick();
    words.push(rnd() < 0.1 ? w.toUpperCase() : w);
  }
  return words.join(rnd() < 0.5 ? " " : ", ");
}

export interface CountingReader extends RangeReader {
  reads: number;
  bytesRead: number;
}

export function countingReader(bytes: Uint8Array): CountingReader {
  const r: CountingReader = {
    byteLength: bytes.byteLength,
    reads: 0,
    bytesRead: 0,
    async slice(start: number, end = bytes.byteLength) {
      r.reads++;
      r.bytesRead += end - start;
      return bytes.slice(start, end).buffer as ArrayBuffer;
    },
  };
  return r;
}
