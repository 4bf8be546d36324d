/**
 * Compaction's merge of several segments' full-text indexes into the index of the merged segment, dropping
 * dead documents, without re-analyzing any text. The merged segment's rows are the inputs' live rows in seq
 * order (as compaction writes them), so new ordinals are ranks in that order. It streams: dictionaries and
 * postings of each input are read front to back in large sequential chunks (their terms are sorted, so a
 * k-way merge consumes every input in order), and memory holds the fieldnorms, the ordinal maps and one
 * term's postings at a time, plus the output. Inputs indexed with other analysis options cannot be merged
 * (InvalidArgumentError): rebuild from rows with FullTextIndexWriter then.
 */

import type { RangeReader } from "../../../storage/range-reader.ts";
import { DataCorruptionError, InvalidArgumentError } from "../../errors.ts";
import { ByteWriter } from "./byte-io.ts";
import { encodeFieldnorms } from "./fieldnorms.ts";
import type { FullTextConfig } from "./full-text-config.ts";
import { type FieldDirectory, writeDirectoryAndFooter, writeHeader } from "./index-directory.ts";
import { FullTextIndexReader } from "./index-reader.ts";
import { analysisFingerprint } from "./index-writer.ts";
import { encodeTermPostings, NO_MORE_DOCS, PostingList } from "./postings-format.ts";
import { encodeSeqTable } from "./seq-table.ts";
import { decodeDictBlock, TermDictWriter, type TermInfo } from "./term-dict.ts";

/** Bytes fetched per sequential read while merging. */
export const MERGE_READ_CHUNK_BYTES = 4 * 1024 * 1024;

export interface MergeInput {
  reader: RangeReader;
  /** Dead seqs of this input (others are ignored). */
  dead?: ReadonlySet<number>;
}

/** Serves forward-only byte ranges of one object from large chunks. */
class SequentialReader {
  private chunk = new Uint8Array(0);
  private chunkStart = 0;
  private readonly rr: RangeReader;
  constructor(rr: RangeReader) {
    this.rr = rr;
  }
  async read(start: number, end: number): Promise<Uint8Array> {
    if (start < this.chunkStart || end > this.chunkStart + this.chunk.length) {
      const fetchEnd = Math.min(this.rr.byteLength, Math.max(end, start + MERGE_READ_CHUNK_BYTES));
      const buf = await this.rr.slice(start, fetchEnd);
      if (buf.byteLength !== fetchEnd - start) throw new DataCorruptionError(`fts merge: short read at ${start}`);
      this.chunk = new Uint8Array(buf);
      this.chunkStart = start;
    }
    return this.chunk.subarray(start - this.chunkStart, end - this.chunkStart);
  }
}

/** Iterates one field's dictionary of one input in term order. */
async function* termsOf(rr: RangeReader, field: FieldDirectory): AsyncGenerator<{ term: string; info: TermInfo }> {
  const seq = new SequentialReader(rr);
  for (let b = 0; b < field.blocks.length; b++) {
    const e = field.blocks[b];
    const start = field.dictBase + e.offset;
    const block = decodeDictBlock(await seq.read(start, start + e.bytes), `fts merge dictionary '${field.name}' block ${b}`);
    for (let i = 0; i < block.terms.length; i++) yield { term: block.terms[i], info: block.infos[i] };
  }
}

interface InputState {
  reader: FullTextIndexReader;
  rr: RangeReader;
  /** Old ordinal → new ordinal, −1 when dead. */
  newOrd: Int32Array;
}

export async function mergeFullTextIndexes(
  inputs: readonly MergeInput[], fields: Readonly<Record<string, FullTextConfig>>,
): Promise<Uint8Array> {
  const states: InputState[] = [];
  const live: Array<{ seq: number; input: number; ord: number }> = [];
  for (let i = 0; i < inputs.length; i++) {
    const reader = await FullTextIndexReader.open(inputs[i].reader, { postingsCacheBytes: 0 });
    const table = await reader.seqTable();
    const deadOrds = inputs[i].dead ? await reader.deadOrdinals(inputs[i].dead!) : new Int32Array(0);
    const isDead = new Uint8Array(reader.docCount);
    for (const o of deadOrds) isDead[o] = 1;
    for (let ord = 0; ord < reader.docCount; ord++) if (!isDead[ord]) live.push({ seq: table.seqAt(ord), input: i, ord });
    states.push({ reader, rr: inputs[i].reader, newOrd: new Int32Array(reader.docCount).fill(-1) });
  }
  live.sort((a, b) => a.seq - b.seq);
  for (let n = 1; n < live.length; n++) {
    if (live[n].seq === live[n - 1].seq) throw new InvalidArgumentError(`fts merge: seq ${live[n].seq} is live in two inputs`);
  }
  live.forEach((d, newOrd) => (states[d.input].newOrd[d.ord] = newOrd));

  const w = new ByteWriter(1 << 20);
  writeHeader(w);
  const dirs: FieldDirectory[] = [];
  for (const [name, config] of Object.entries(fields)) dirs.push(await mergeField(w, name, config, states, live.length));
  const seqTableOffset = w.length;
  encodeSeqTable(w, live.map((d) => d.seq), live.length);
  writeDirectoryAndFooter(w, { docCount: live.length, seqTableOffset, seqTableBytes: w.length - seqTableOffset, fields: dirs });
  return w.finish();
}

async function mergeField(
  w: ByteWriter, name: string, config: FullTextConfig, states: InputState[], docCount: number,
): Promise<FieldDirectory> {
  const fingerprint = analysisFingerprint(config);
  const lengths = new Uint32Array(docCount);
  const sources: Array<{ state: InputState; field: FieldDirectory }> = [];
  for (const s of states) {
    const f = s.reader.field(name);
    if (f === undefined) continue;
    if (f.analysis !== fingerprint) {
      throw new InvalidArgumentError(`fts merge: field '${name}' was indexed with ${f.analysis}, merge wants ${fingerprint}; rebuild from rows`);
    }
    const norms = await s.reader.fieldnorms(f);
    for (let ord = 0; ord < norms.length; ord++) if (s.newOrd[ord] >= 0) lengths[s.newOrd[ord]] = norms[ord];
    sources.push({ state: s, field: f });
  }
  let docsWithField = 0;
  let totalLength = 0;
  for (const l of lengths) if (l > 0) (docsWithField++, (totalLength += l));

  const iters = sources.map((s) => termsOf(s.state.rr, s.field));
  const postingReaders = sources.map((s) => new SequentialReader(s.state.rr));
  const heads = await Promise.all(iters.map((it) => it.next()));
  const postingsBase = w.length;
  const dictEntries: Array<{ term: string; df: number; offset: number; bytes: number }> = [];
  let ords = new Uint32Array(1024);
  let tfs = new Uint32Array(1024);
  for (;;) {
    let term: string | undefined;
    for (const h of heads) if (!h.done && (term === undefined || h.value.term < term)) term = h.value.term;
    if (term === undefined) break;
    let n = 0;
    let sorted = true;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h.done || h.value.term !== term) continue;
      const { field, state } = sources[i];
      const info = h.value.info;
      const start = field.postingsBase + info.postingsOffset;
      const what = `fts merge postings '${name}':'${term}'`;
      const list = PostingList.decode(await postingReaders[i].read(start, start + info.postingsBytes), info.df, what);
      const c = list.cursor();
      for (let d = c.next(); d !== NO_MORE_DOCS; d = c.next()) {
        const o = state.newOrd[d];
        if (o < 0) continue;
        if (n === ords.length) {
          const no = new Uint32Array(n * 2);
          no.set(ords);
          ords = no;
          const nt = new Uint32Array(n * 2);
          nt.set(tfs);
          tfs = nt;
        }
        if (n > 0 && o < ords[n - 1]) sorted = false;
        ords[n] = o;
        tfs[n++] = c.tf;
      }
      heads[i] = await iters[i].next();
    }
    if (n === 0) continue; // every holder of the term is dead
    if (!sorted) sortPairs(ords, tfs, n);
    const before = w.length;
    encodeTermPostings(w, ords, tfs, 0, n, (ord) => lengths[ord]);
    dictEntries.push({ term, df: n, offset: before - postingsBase, bytes: w.length - before });
  }
  const fieldnormsOffset = w.length;
  encodeFieldnorms(w, lengths, docCount);
  const fieldnormsBytes = w.length - fieldnormsOffset;
  const dictBase = w.length;
  const dict = new TermDictWriter(w);
  for (const e of dictEntries) dict.add(e.term, { df: e.df, postingsOffset: e.offset, postingsBytes: e.bytes });
  return {
    name, analysis: fingerprint, docsWithField, totalLength, numTerms: dictEntries.length,
    postingsBase, fieldnormsOffset, fieldnormsBytes, dictBase, blocks: dict.finish(),
  };
}

/** Sorts (ord, tf) pairs by ord; needed only when input segments' seq ranges interleave. */
function sortPairs(ords: Uint32Array, tfs: Uint32Array, n: number): void {
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => ords[a] - ords[b]);
  const o = ords.slice(0, n);
  const t = tfs.slice(0, n);
  for (let i = 0; i < n; i++) {
    ords[i] = o[idx[i]];
    tfs[i] = t[idx[i]];
  }
}
