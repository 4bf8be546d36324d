/**
 * Builds one segment's full-text index object from the segment's rows (seq + text per field), at flush or
 * when compaction rebuilds. It owns in-memory accumulation and the order sections are written in; the byte
 * layout of each section is documented in its own module (index-directory.ts has the whole-object picture).
 *
 * Memory: 6 bytes per (document, distinct term) pair and 8 bytes per document and field while adding (term
 * ids and tfs in fixed-size chunks, no doubling slack), plus 6 more per pair during finish() (a counting sort by
 * term), plus the term strings and the output bytes. It grows with the segment, never with the namespace;
 * callers bound it by bounding segment size.
 */

import { InvalidArgumentError } from "../../errors.ts";
import { createAnalyzer, type Analyzer } from "./analyzer.ts";
import { ByteWriter } from "./byte-io.ts";
import { encodeFieldnorms } from "./fieldnorms.ts";
import type { FullTextConfig } from "./full-text-config.ts";
import { type FieldDirectory, writeDirectoryAndFooter, writeHeader } from "./index-directory.ts";
import { encodeTermPostings } from "./postings-format.ts";
import { encodeSeqTable } from "./seq-table.ts";
import { TermDictWriter } from "./term-dict.ts";

/** A field value as stored in a row: string, []string, or absent. */
export type TextValue = string | readonly string[] | null | undefined;

const CHUNK_SHIFT = 16;
const CHUNK = 1 << CHUNK_SHIFT;

/** Append-only array in fixed 64Ki-element chunks: no over-allocation beyond one chunk, no copy on growth. */
class ChunkedArray<T extends Uint32Array | Uint16Array> {
  readonly chunks: T[] = [];
  length = 0;
  private readonly make: (n: number) => T;
  constructor(make: (n: number) => T) {
    this.make = make;
  }
  push(v: number): void {
    const c = this.length >>> CHUNK_SHIFT;
    if (c === this.chunks.length) this.chunks.push(this.make(CHUNK));
    this.chunks[c][this.length & (CHUNK - 1)] = v;
    this.length++;
  }
  get(i: number): number {
    return this.chunks[i >>> CHUNK_SHIFT][i & (CHUNK - 1)];
  }
}

const TF_OVERFLOW = 0xffff;

/** The analysis options that decide tokens, as stored in the directory to detect config changes. */
export function analysisFingerprint(c: FullTextConfig): string {
  return JSON.stringify({
    language: c.language, stemming: c.stemming, remove_stopwords: c.remove_stopwords,
    case_sensitive: c.case_sensitive, ascii_folding: c.ascii_folding, max_token_length: c.max_token_length,
  });
}

class FieldAccumulator {
  readonly name: string;
  readonly config: FullTextConfig;
  readonly analyzer: Analyzer;
  readonly termIds = new Map<string, number>();
  readonly terms: string[] = [];
  /** Postings in document order: term id and tf; document d owns [docStart[d], docStart[d + 1]). */
  readonly postTerm = new ChunkedArray((n) => new Uint32Array(n));
  readonly postTf = new ChunkedArray((n) => new Uint16Array(n));
  /** Real tf of postings whose tf does not fit 16 bits, by posting index. */
  readonly tfOverflow = new Map<number, number>();
  readonly docStart = new ChunkedArray((n) => new Uint32Array(n));
  readonly lengths = new ChunkedArray((n) => new Uint32Array(n));
  docsWithField = 0;
  totalLength = 0;
  private readonly docTf = new Map<number, number>();

  constructor(name: string, config: FullTextConfig) {
    this.name = name;
    this.config = config;
    this.analyzer = createAnalyzer(config);
  }

  add(tokens: readonly string[]): void {
    this.docStart.push(this.postTerm.length);
    this.lengths.push(tokens.length);
    if (tokens.length === 0) return;
    this.docsWithField++;
    this.totalLength += tokens.length;
    const tf = this.docTf;
    tf.clear();
    for (const t of tokens) {
      let id = this.termIds.get(t);
      if (id === undefined) {
        id = this.terms.length;
        this.termIds.set(t, id);
        this.terms.push(t);
      }
      tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    for (const [id, n] of tf) {
      if (n >= TF_OVERFLOW) this.tfOverflow.set(this.postTerm.length, n);
      this.postTerm.push(id);
      this.postTf.push(Math.min(n, TF_OVERFLOW));
    }
  }
}

export class FullTextIndexWriter {
  private readonly fields: FieldAccumulator[];
  private readonly seqs: number[] = [];

  /** One entry per full-text attribute; field order in the object follows this record's key order. */
  constructor(fields: Readonly<Record<string, FullTextConfig>>) {
    this.fields = Object.entries(fields).map(([name, config]) => new FieldAccumulator(name, config));
    if (this.fields.length === 0) throw new InvalidArgumentError("fts writer: no full-text fields");
  }

  get docCount(): number {
    return this.seqs.length;
  }

  /** Adds the next row. Seqs must be strictly increasing (segment rows are in seq order). */
  addDocument(seq: number, values: Readonly<Record<string, TextValue>>): void {
    this.addAnalyzed(seq, this.fields.map((f) => f.analyzer.terms(values[f.name])));
  }

  /** Adds a row whose fields are already analyzed, in constructor field order. */
  addAnalyzed(seq: number, tokensByField: ReadonlyArray<readonly string[]>): void {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new InvalidArgumentError(`fts writer: seq ${seq} is not a uint < 2^53`);
    const last = this.seqs.length === 0 ? -1 : this.seqs[this.seqs.length - 1];
    if (seq <= last) throw new InvalidArgumentError(`fts writer: seq ${seq} after ${last} (rows must be in seq order)`);
    this.seqs.push(seq);
    for (let i = 0; i < this.fields.length; i++) this.fields[i].add(tokensByField[i] ?? []);
  }

  /** Encodes the index object. The writer must not be used afterwards. */
  finish(): Uint8Array {
    const w = new ByteWriter(1 << 16);
    writeHeader(w);
    const dirs: FieldDirectory[] = [];
    for (const f of this.fields) dirs.push(writeField(w, f, this.seqs.length));
    const seqTableOffset = w.length;
    encodeSeqTable(w, this.seqs, this.seqs.length);
    writeDirectoryAndFooter(w, {
      docCount: this.seqs.length,
      seqTableOffset,
      seqTableBytes: w.length - seqTableOffset,
      fields: dirs,
    });
    return w.finish();
  }
}

function writeField(w: ByteWriter, f: FieldAccumulator, docCount: number): FieldDirectory {
  const numTerms = f.terms.length;
  const n = f.postTerm.length;
  // Counting sort of postings by term id; documents are visited in order, so ordinals stay increasing per term.
  const starts = new Uint32Array(numTerms + 1);
  f.postTerm.chunks.forEach((chunk, c) => {
    const limit = Math.min(CHUNK, n - c * CHUNK);
    for (let i = 0; i < limit; i++) starts[chunk[i] + 1]++;
  });
  for (let t = 0; t < numTerms; t++) starts[t + 1] += starts[t];
  const ords = new Uint32Array(n);
  const tfs = f.tfOverflow.size > 0 ? new Uint32Array(n) : new Uint16Array(n);
  const fill = starts.slice(0, numTerms);
  for (let d = 0; d < docCount; d++) {
    const end = d + 1 < docCount ? f.docStart.get(d + 1) : n;
    for (let i = f.docStart.get(d); i < end; i++) {
      const at = fill[f.postTerm.get(i)]++;
      ords[at] = d;
      tfs[at] = f.postTf.get(i) === TF_OVERFLOW ? f.tfOverflow.get(i)! : f.postTf.get(i);
    }
  }
  f.postTerm.chunks.length = 0; // release the accumulation before encoding
  f.postTf.chunks.length = 0;
  const lengths = new Uint32Array(docCount);
  for (let d = 0; d < docCount; d++) lengths[d] = f.lengths.get(d);
  const order = Array.from({ length: numTerms }, (_, i) => i).sort((a, b) =>
    f.terms[a] < f.terms[b] ? -1 : f.terms[a] > f.terms[b] ? 1 : 0,
  );
  const postingsBase = w.length;
  const infos: Array<{ term: string; df: number; offset: number; bytes: number }> = [];
  for (const t of order) {
    const before = w.length;
    encodeTermPostings(w, ords, tfs, starts[t], starts[t + 1], (ord) => lengths[ord]);
    infos.push({ term: f.terms[t], df: starts[t + 1] - starts[t], offset: before - postingsBase, bytes: w.length - before });
  }
  const fieldnormsOffset = w.length;
  encodeFieldnorms(w, lengths, docCount);
  const fieldnormsBytes = w.length - fieldnormsOffset;
  const dictBase = w.length;
  const dict = new TermDictWriter(w);
  for (const i of infos) dict.add(i.term, { df: i.df, postingsOffset: i.offset, postingsBytes: i.bytes });
  const blocks = dict.finish();
  return {
    name: f.name,
    analysis: analysisFingerprint(f.config),
    docsWithField: f.docsWithField,
    totalLength: f.totalLength,
    numTerms,
    postingsBase,
    fieldnormsOffset,
    fieldnormsBytes,
    dictBase,
    blocks,
  };
}
