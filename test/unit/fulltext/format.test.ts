import { seededRandom } from "../../helpers/random.ts";
import { describe, expect, it } from "vitest";
import { DataCorruptionError } from "../../../src/core/errors.ts";
import { bitsNeeded, pack, packedByteLength, unpack } from "../../../src/core/index/fulltext/bit-packing.ts";
import { ByteReader, ByteWriter } from "../../../src/core/index/fulltext/byte-io.ts";
import { decodeFieldnorms, encodeFieldnorms } from "../../../src/core/index/fulltext/fieldnorms.ts";
import { resolveFullTextConfig } from "../../../src/core/index/fulltext/full-text-config.ts";
import { FullTextIndexReader } from "../../../src/core/index/fulltext/index-reader.ts";
import { FullTextIndexWriter } from "../../../src/core/index/fulltext/index-writer.ts";
import { encodeTermPostings, NO_MORE_DOCS, PostingList } from "../../../src/core/index/fulltext/postings-format.ts";
import { encodeSeqTable, SeqTable } from "../../../src/core/index/fulltext/seq-table.ts";
import { decodeDictBlock, findDictBlock, lookupInBlock, TermDictWriter } from "../../../src/core/index/fulltext/term-dict.ts";
import { memoryRangeReader } from "../../../src/storage/range-reader.ts";

describe("codec pieces", () => {
  it("varints round-trip up to 2^53", () => {
    const w = new ByteWriter(4);
    const values = [0, 1, 127, 128, 16383, 16384, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER];
    for (const v of values) w.varint(v);
    w.u64(Number.MAX_SAFE_INTEGER);
    const r = new ByteReader(w.finish(), "test");
    expect(values.map(() => r.varint())).toEqual(values);
    expect(r.u64()).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => r.u8()).toThrow(DataCorruptionError);
  });

  it("bit packing round-trips every width", () => {
    const rnd = seededRandom(1);
    for (let bits = 0; bits <= 32; bits++) {
      const vals = Array.from({ length: 130 }, () => (bits === 0 ? 0 : Math.floor(rnd() * 2 ** bits)));
      const b = bitsNeeded(vals, 0, vals.length);
      const buf = new Uint8Array(packedByteLength(vals.length, b) + 8);
      pack(vals, 0, vals.length, b, buf, 3);
      const out = new Uint32Array(vals.length);
      unpack(buf, 3, vals.length, b, out);
      expect(Array.from(out)).toEqual(vals);
    }
  });
});

describe("postings region", () => {
  function build(df: number, seed: number) {
    const rnd = seededRandom(seed);
    const ords: number[] = [];
    const tfs: number[] = [];
    let d = -1;
    for (let i = 0; i < df; i++) {
      d += 1 + Math.floor(rnd() * (rnd() < 0.01 ? 100000 : 20));
      ords.push(d);
      tfs.push(1 + Math.floor(rnd() ** 4 * 300));
    }
    const dl = (ord: number) => 1 + ((ord * 7919) % 500);
    const w = new ByteWriter();
    encodeTermPostings(w, ords, tfs, 0, df, dl);
    return { ords, tfs, dl, bytes: w.finish() };
  }

  it("round-trips through next() and advance(), with valid block impacts", () => {
    for (const df of [1, 127, 128, 129, 1000]) {
      const { ords, tfs, dl, bytes } = build(df, df);
      const list = PostingList.decode(bytes, df, "t");
      const c = list.cursor();
      for (let i = 0; i < df; i++) {
        expect(c.next()).toBe(ords[i]);
        expect(c.tf).toBe(tfs[i]);
      }
      expect(c.next()).toBe(NO_MORE_DOCS);
      // advance lands on the first doc ≥ target.
      const c2 = list.cursor();
      for (let i = 0; i < df; i += 37) {
        expect(c2.advance(ords[i] - (i % 2))).toBe(i % 2 === 1 && i > 0 && ords[i - 1] === ords[i] - 1 ? ords[i - 1] : ords[i]);
        c2.advance(ords[i]);
      }
      // Every posting is dominated by an impact of its block: tf ≤ impact tf and dl ≥ impact dl.
      for (let i = 0; i < df; i++) {
        const b = Math.floor(i / 128);
        let ok = false;
        for (let j = list.impactStart[b]; j < list.impactStart[b + 1]; j++) {
          if (list.impactTf[j] >= tfs[i] && list.impactDl[j] <= dl(ords[i])) ok = true;
        }
        expect(ok).toBe(true);
      }
    }
  });

  it("detects corruption anywhere in the region", () => {
    const { bytes } = build(300, 5);
    for (const at of [0, 5, Math.floor(bytes.length / 2), bytes.length - 6, bytes.length - 1]) {
      const bad = bytes.slice();
      bad[at] ^= 0x10;
      expect(() => PostingList.decode(bad, 300, "t")).toThrow(DataCorruptionError);
    }
    expect(() => PostingList.decode(bytes, 200, "t")).toThrow(DataCorruptionError);
    // A df that keeps the block count but not the last block's size is caught when that block is decoded.
    const short = PostingList.decode(bytes, 299, "t");
    expect(() => short.cursor().advance(short.lastDocs[2])).toThrow(DataCorruptionError);
  });
});

describe("term dictionary", () => {
  it("round-trips blocks with front coding, including astral characters", () => {
    const terms = Array.from({ length: 500 }, (_, i) => `t${String(i).padStart(4, "0")}${i % 7 === 0 ? "😀" : ""}`).sort();
    const w = new ByteWriter();
    const dict = new TermDictWriter(w);
    let offset = 0;
    terms.forEach((t, i) => {
      dict.add(t, { df: i + 1, postingsOffset: offset, postingsBytes: 10 + i });
      offset += 10 + i;
    });
    const sparse = dict.finish();
    const bytes = w.finish();
    expect(sparse.length).toBeGreaterThan(1);
    let off = 0;
    terms.forEach((t, i) => {
      const b = findDictBlock(sparse, t);
      const e = sparse[b];
      const info = lookupInBlock(decodeDictBlock(bytes.subarray(e.offset, e.offset + e.bytes), "d"), t);
      expect(info).toEqual({ df: i + 1, postingsOffset: off, postingsBytes: 10 + i });
      off += 10 + i;
    });
    expect(findDictBlock(sparse, "a")).toBe(-1);
    const e = sparse[0];
    const bad = bytes.slice(e.offset, e.offset + e.bytes);
    bad[3] ^= 1;
    expect(() => decodeDictBlock(bad, "d")).toThrow(DataCorruptionError);
  });
});

describe("fieldnorms and seq table", () => {
  it("round-trip at every width and detect corruption", () => {
    for (const max of [0, 200, 60000, 100000]) {
      const lengths = Array.from({ length: 300 }, (_, i) => (max === 0 ? 0 : (i * 7919) % (max + 1)));
      const w = new ByteWriter();
      encodeFieldnorms(w, lengths, lengths.length);
      const bytes = w.finish();
      expect(Array.from(decodeFieldnorms(bytes, 300, "f"))).toEqual(lengths);
      bytes[bytes.length - 5] ^= 1;
      expect(() => decodeFieldnorms(bytes, 300, "f")).toThrow(DataCorruptionError);
    }
  });

  it("maps ordinals to seqs and back", () => {
    const rnd = seededRandom(9);
    const seqs: number[] = [];
    let s = 2 ** 40;
    for (let i = 0; i < 1000; i++) seqs.push((s += 1 + Math.floor(rnd() * (rnd() < 0.05 ? 1e6 : 3))));
    const w = new ByteWriter();
    encodeSeqTable(w, seqs, seqs.length);
    const t = SeqTable.decode(w.finish(), seqs.length, "s");
    seqs.forEach((seq, ord) => {
      expect(t.seqAt(ord)).toBe(seq);
      expect(t.ordOf(seq)).toBe(ord);
    });
    expect(t.ordOf(seqs[0] - 1)).toBe(-1);
    expect(t.ordOf(seqs[10] + 1 === seqs[11] ? -5 : seqs[10] + 1)).toBe(-1);
  });
});

describe("whole index object", () => {
  const configs = { title: resolveFullTextConfig({ stemming: true }), body: resolveFullTextConfig({}) };

  function buildObject() {
    const w = new FullTextIndexWriter(configs);
    w.addDocument(10, { title: "Running fast", body: "the runner runs" });
    w.addDocument(11, { title: null, body: ["an array", "of values"] });
    w.addDocument(15, { title: "Ran", body: "" });
    return w.finish();
  }

  it("round-trips directory, stats, dictionary, postings, fieldnorms and seqs", async () => {
    const r = await FullTextIndexReader.open(memoryRangeReader(buildObject()));
    expect(r.docCount).toBe(3);
    const title = r.field("title")!;
    const body = r.field("body")!;
    expect([title.docsWithField, title.totalLength]).toEqual([2, 3]);
    expect([body.docsWithField, body.totalLength]).toEqual([2, 7]);
    expect(JSON.parse(title.analysis)).toMatchObject({ language: "english", stemming: true });
    const [run, fast, missing] = await r.lookupTerms(title, ["run", "fast", "zzz"]);
    expect(run?.df).toBe(1);
    expect(fast?.df).toBe(1);
    expect(missing).toBeUndefined();
    const c = (await r.postings(title, "run", run!)).cursor();
    expect([c.next(), c.tf]).toEqual([0, 1]);
    expect(Array.from(await r.fieldnorms(body))).toEqual([3, 4, 0]);
    const seqs = await r.seqTable();
    expect([seqs.seqAt(0), seqs.seqAt(2), seqs.ordOf(11)]).toEqual([10, 15, 1]);
  });

  it("keeps term frequencies above 16 bits exact", async () => {
    const w = new FullTextIndexWriter({ body: configs.body });
    w.addDocument(1, { body: "x ".repeat(70000) + "y" });
    w.addDocument(2, { body: "x x" });
    const r = await FullTextIndexReader.open(memoryRangeReader(w.finish()));
    const body = r.field("body")!;
    const [x] = await r.lookupTerms(body, ["x"]);
    const c = (await r.postings(body, "x", x!)).cursor();
    expect([c.next(), c.tf, c.next(), c.tf]).toEqual([0, 70000, 1, 2]);
  });

  it("handles an empty segment", async () => {
    const r = await FullTextIndexReader.open(memoryRangeReader(new FullTextIndexWriter(configs).finish()));
    expect(r.docCount).toBe(0);
    expect(await r.lookupTerms(r.field("body")!, ["x"])).toEqual([undefined]);
    expect((await r.seqTable()).ordOf(1)).toBe(-1);
  });

  it("is deterministic: same rows, same bytes", () => {
    expect(buildObject()).toEqual(buildObject());
  });

  it("rejects rows out of seq order", () => {
    const w = new FullTextIndexWriter(configs);
    w.addDocument(5, {});
    expect(() => w.addDocument(5, {})).toThrow();
  });

  it("detects corruption and truncation of any section", async () => {
    const good = buildObject();
    // Footer / directory damage fails at open.
    for (const at of [good.length - 1, good.length - 10, good.length - 30]) {
      const bad = good.slice();
      bad[at] ^= 0x01;
      await expect(FullTextIndexReader.open(memoryRangeReader(bad))).rejects.toThrow(DataCorruptionError);
    }
    await expect(FullTextIndexReader.open(memoryRangeReader(good.slice(0, good.length - 3)))).rejects.toThrow(DataCorruptionError);
    await expect(FullTextIndexReader.open(memoryRangeReader(new Uint8Array(10)))).rejects.toThrow(DataCorruptionError);
    // Damage inside data sections fails when that section is read.
    const r0 = await FullTextIndexReader.open(memoryRangeReader(good));
    const title = r0.field("title")!;
    const info = (await r0.lookupTerms(title, ["run"]))[0]!;
    const sections: Array<[number, (r: FullTextIndexReader) => Promise<unknown>]> = [
      [title.postingsBase + info.postingsOffset + 1, (r) => r.postings(r.field("title")!, "run", info)],
      [title.fieldnormsOffset + 1, (r) => r.fieldnorms(r.field("title")!)],
      [title.dictBase + 2, (r) => r.lookupTerms(r.field("title")!, ["run"])],
      [r0.directory.seqTableOffset + 2, (r) => r.seqTable()],
    ];
    for (const [at, read] of sections) {
      const bad = good.slice();
      bad[at] ^= 0x40;
      const r = await FullTextIndexReader.open(memoryRangeReader(bad));
      await expect(read(r)).rejects.toThrow(DataCorruptionError);
    }
  });
});
