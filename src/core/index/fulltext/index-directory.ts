/**
 * The layout of one segment's full-text index object, its directory (what the reader keeps in memory) and
 * footer. It owns where sections are, not what is inside them (postings-format.ts, term-dict.ts,
 * fieldnorms.ts, seq-table.ts each document their own section).
 *
 *   ┌──────────────────────────────────────────────────────────────────────────┐
 *   │ header: u32 magic "EFTX" │ u16 formatVersion                             │
 *   ├──────────────────────────────────────────────────────────────────────────┤
 *   │ field 0: postings regions, in term order (postingsBase = start)          │
 *   │          fieldnorms section                                              │
 *   │          dictionary blocks (dictBase = start)                            │
 *   │ field 1: …                                                               │
 *   ├──────────────────────────────────────────────────────────────────────────┤
 *   │ seq table (ordinal → seq)                                                │
 *   ├──────────────────────────────────────────────────────────────────────────┤
 *   │ directory:                                                               │
 *   │   varint docCount │ u64 seqTableOffset │ varint seqTableBytes            │
 *   │   varint numFields, then per field:                                      │
 *   │     string name │ string analysis (JSON of the analysis options)         │
 *   │     varint docsWithField │ varint totalLength │ varint numTerms          │
 *   │     u64 postingsBase │ u64 fieldnormsOffset │ varint fieldnormsBytes     │
 *   │     u64 dictBase │ varint numBlocks │ (string firstTerm, varint bytes) × │
 *   ├──────────────────────────────────────────────────────────────────────────┤
 *   │ footer (24 bytes): u64 directoryOffset │ u32 directoryBytes │            │
 *   │   u32 crc32(directory) │ u16 formatVersion │ u16 0 │ u32 magic "EFTX"    │
 *   └──────────────────────────────────────────────────────────────────────────┘
 *
 * Every section carries its own crc32, so each range read is verified on its own (a whole-object checksum
 * could not be checked by a reader that fetches only a few ranges).
 */

import { DataCorruptionError } from "../../errors.ts";
import { ByteReader, ByteWriter } from "./byte-io.ts";
import { crc32 } from "../../codec/crc32.ts";
import type { SparseEntry } from "./term-dict.ts";

export const FTS_MAGIC = 0x58544645; // "EFTX" little-endian
export const FTS_FORMAT_VERSION = 1;
export const FTS_HEADER_BYTES = 6;
export const FTS_FOOTER_BYTES = 24;

export interface FieldDirectory {
  name: string;
  /** JSON of the analysis options the field was indexed with (language, stemming, …). */
  analysis: string;
  docsWithField: number;
  totalLength: number;
  numTerms: number;
  postingsBase: number;
  fieldnormsOffset: number;
  fieldnormsBytes: number;
  dictBase: number;
  blocks: SparseEntry[];
}

export interface IndexDirectory {
  docCount: number;
  seqTableOffset: number;
  seqTableBytes: number;
  fields: FieldDirectory[];
}

export function writeHeader(w: ByteWriter): void {
  w.u32(FTS_MAGIC);
  w.u16(FTS_FORMAT_VERSION);
}

/** Appends directory and footer. */
export function writeDirectoryAndFooter(w: ByteWriter, dir: IndexDirectory): void {
  const start = w.length;
  w.varint(dir.docCount);
  w.u64(dir.seqTableOffset);
  w.varint(dir.seqTableBytes);
  w.varint(dir.fields.length);
  for (const f of dir.fields) {
    w.string(f.name);
    w.string(f.analysis);
    w.varint(f.docsWithField);
    w.varint(f.totalLength);
    w.varint(f.numTerms);
    w.u64(f.postingsBase);
    w.u64(f.fieldnormsOffset);
    w.varint(f.fieldnormsBytes);
    w.u64(f.dictBase);
    w.varint(f.blocks.length);
    for (const b of f.blocks) {
      w.string(b.firstTerm);
      w.varint(b.bytes);
    }
  }
  const bytes = w.length - start;
  const crc = crc32(w.written().subarray(start, w.length));
  w.u64(start);
  w.u32(bytes);
  w.u32(crc);
  w.u16(FTS_FORMAT_VERSION);
  w.u16(0);
  w.u32(FTS_MAGIC);
}

export interface FooterInfo {
  directoryOffset: number;
  directoryBytes: number;
  directoryCrc: number;
}

/** Parses the footer from the last FTS_FOOTER_BYTES of an object of `objectBytes` bytes. */
export function readFooter(tail: Uint8Array, objectBytes: number): FooterInfo {
  if (tail.length < FTS_FOOTER_BYTES || objectBytes < FTS_HEADER_BYTES + FTS_FOOTER_BYTES) {
    throw new DataCorruptionError(`fts index: object of ${objectBytes} bytes is too small`);
  }
  const r = new ByteReader(tail, "fts footer", tail.length - FTS_FOOTER_BYTES);
  const directoryOffset = r.u64();
  const directoryBytes = r.u32();
  const directoryCrc = r.u32();
  const version = r.u16();
  r.u16();
  const magic = r.u32();
  if (magic !== FTS_MAGIC) throw new DataCorruptionError(`fts index: bad magic 0x${magic.toString(16)}`);
  if (version !== FTS_FORMAT_VERSION) {
    throw new DataCorruptionError(`fts index: unsupported format version ${version} (this build reads ${FTS_FORMAT_VERSION})`);
  }
  if (directoryOffset + directoryBytes + FTS_FOOTER_BYTES !== objectBytes) {
    throw new DataCorruptionError(
      `fts index: directory [${directoryOffset}, +${directoryBytes}) does not end at the footer of a ${objectBytes}-byte object`,
    );
  }
  return { directoryOffset, directoryBytes, directoryCrc };
}

export function decodeDirectory(bytes: Uint8Array, footer: FooterInfo): IndexDirectory {
  const actual = crc32(bytes);
  if (actual !== footer.directoryCrc) {
    throw new DataCorruptionError(`fts index: directory crc mismatch (expected ${footer.directoryCrc}, got ${actual})`);
  }
  const r = new ByteReader(bytes, "fts directory");
  const docCount = r.varint();
  const seqTableOffset = r.u64();
  const seqTableBytes = r.varint();
  const numFields = r.varint();
  const fields: FieldDirectory[] = [];
  for (let i = 0; i < numFields; i++) {
    const name = r.string();
    const analysis = r.string();
    const docsWithField = r.varint();
    const totalLength = r.varint();
    const numTerms = r.varint();
    const postingsBase = r.u64();
    const fieldnormsOffset = r.u64();
    const fieldnormsBytes = r.varint();
    const dictBase = r.u64();
    const numBlocks = r.varint();
    const blocks: SparseEntry[] = [];
    let offset = 0;
    for (let b = 0; b < numBlocks; b++) {
      const firstTerm = r.string();
      const len = r.varint();
      blocks.push({ firstTerm, offset, bytes: len });
      offset += len;
    }
    fields.push({
      name, analysis, docsWithField, totalLength, numTerms, postingsBase, fieldnormsOffset, fieldnormsBytes, dictBase, blocks,
    });
  }
  if (r.pos !== r.end) throw new DataCorruptionError(`fts directory: ${r.end - r.pos} trailing bytes`);
  return { docCount, seqTableOffset, seqTableBytes, fields };
}
