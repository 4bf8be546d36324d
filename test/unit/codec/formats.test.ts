import { describe, expect, it } from "vitest";
import { crc32 } from "../../../src/core/codec/crc32.ts";
import { idFromKey, idKey, parseDocId } from "../../../src/core/codec/id-key.ts";
import { DeadSet } from "../../../src/core/segment/dead-set.ts";
import { decodeDeletes, encodeDeletes } from "../../../src/core/segment/deletes-file.ts";
import { WAL_PART_BYTES, decodeWalParts, encodeWalEntry, splitIntoParts } from "../../../src/core/wal/wal-entry.ts";

describe("crc32", () => {
  it("matches the standard check values", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    // A CRC can be continued across pieces through its seed.
    const digits = new TextEncoder().encode("123456789");
    expect(crc32(digits.subarray(4), crc32(digits.subarray(0, 4)))).toBe(0xcbf43926);
    const big = new Uint8Array(1000).map((_, i) => i * 31);
    // Slicing-by-8 and the byte-at-a-time tail agree with a one-byte-per-step reference.
    let ref = 0xffffffff;
    for (const b of big) {
      ref ^= b;
      for (let k = 0; k < 8; k++) ref = ref & 1 ? 0xedb88320 ^ (ref >>> 1) : ref >>> 1;
    }
    expect(crc32(big)).toBe((ref ^ 0xffffffff) >>> 0);
  });
});

describe("WAL entry", () => {
  const entry = {
    seq: 42,
    ts: 1700000000000,
    op: "upsert" as const,
    ids: [1, 2, 3],
    dims: 2,
    vectors: new Float32Array([1, 2, 3, 4, 5, 6]),
    attrs: { title: ["a", null, "c"], tags: [["x"], null, []] },
  };

  it("round-trips", () => {
    const parts = splitIntoParts(encodeWalEntry(entry));
    expect(parts).toHaveLength(1);
    const back = decodeWalParts(42, 1, parts);
    expect(back.ids).toEqual([1, 2, 3]);
    expect(Array.from(back.vectors!)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.attrs).toEqual(entry.attrs);
  });

  it("splits large payloads across parts and joins them", () => {
    const n = 1000;
    const big = { ...entry, ids: Array.from({ length: n }, (_, i) => i), dims: 768, vectors: new Float32Array(n * 768).map((_, i) => i % 97), attrs: {} };
    const parts = splitIntoParts(encodeWalEntry(big));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((p) => p.bytes.byteLength <= WAL_PART_BYTES)).toBe(true);
    const back = decodeWalParts(42, parts.length, parts);
    expect(back.vectors!.length).toBe(n * 768);
    expect(back.vectors![768 * 500 + 3]).toBe((768 * 500 + 3) % 97);
  });

  it("detects a flipped byte, a missing part and a wrong header", () => {
    const parts = splitIntoParts(encodeWalEntry(entry));
    const bad = parts.map((p) => ({ ...p, bytes: new Uint8Array(p.bytes) }));
    bad[0].bytes[5] ^= 1;
    expect(() => decodeWalParts(42, 1, bad)).toThrow(/crc mismatch in entry 42/);
    expect(() => decodeWalParts(42, 2, parts)).toThrow(/1 of 2 parts/);
    expect(() => decodeWalParts(43, 1, parts)).toThrow(/unexpected header/);
  });
});

describe("deletion file", () => {
  it("round-trips sorted seqs, including large ones", () => {
    const seqs = [5, 1, 2 ** 52 + 7, 300, 128, 127];
    expect(Array.from(decodeDeletes(encodeDeletes(seqs)))).toEqual([...seqs].sort((a, b) => a - b));
    expect(Array.from(decodeDeletes(encodeDeletes([])))).toEqual([]);
  });
  it("detects corruption", () => {
    const bytes = encodeDeletes([1, 2, 3]);
    bytes[10] ^= 1;
    expect(() => decodeDeletes(bytes, "d")).toThrow(/crc mismatch/);
    expect(() => decodeDeletes(new Uint8Array(20))).toThrow(/not a deletion file/);
  });
  it("dead set answers membership across parts and extras", () => {
    const set = DeadSet.union([new Float64Array([1, 5, 9]), new Float64Array([2, 5])]).with([100]);
    expect([1, 2, 5, 9, 100].every((s) => set.has(s))).toBe(true);
    expect([0, 3, 99, 101].some((s) => set.has(s))).toBe(false);
    expect(set.size).toBe(5);
  });
});

describe("document ids", () => {
  it("orders keys like the ids: numbers numerically, then UUIDs, then strings", () => {
    const ids = [10, 2, 2 ** 53 - 1, 0, "b", "a", "3f1c4c4e-0000-4000-8000-000000000000"];
    const sorted = [...ids].map(idKey).sort().map(idFromKey);
    expect(sorted).toEqual([0, 2, 10, 2 ** 53 - 1, "3f1c4c4e-0000-4000-8000-000000000000", "a", "b"]);
  });
  it("normalizes UUIDs and rejects bad ids", () => {
    expect(parseDocId("3F1C4C4E-0000-4000-8000-00000000000A")).toEqual({ id: "3f1c4c4e-0000-4000-8000-00000000000a", type: "uuid" });
    expect(() => parseDocId("")).toThrow(/empty/);
    expect(() => parseDocId(2 ** 53)).toThrow(/2\^53/);
    expect(() => parseDocId("é".repeat(33))).toThrow(/64 bytes/);
  });
});
