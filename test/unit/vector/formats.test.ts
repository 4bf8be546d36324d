import { describe, expect, it } from "vitest";
import { DataCorruptionError } from "../../../src/core/errors.ts";
import {
  type CentroidList,
  decodeCentroidList,
  encodeCentroidList,
} from "../../../src/core/index/vector/centroid-list.ts";
import { ClusterBlockBuilder, decodeClusterBlock } from "../../../src/core/index/vector/cluster-block.ts";
import {
  FragmentBuilder,
  encodeClusterObject,
  readBlockVectorRows,
  readBlockVectors,
  COALESCE_GAP_BYTES,
  readClusterBlock,
  readClusterBlocks,
  readClusterObjectTable,
} from "../../../src/core/index/vector/cluster-object.ts";
import { tsKernels } from "../../../src/core/index/vector/kernels.ts";
import { createRabitqEncoder } from "../../../src/core/index/vector/rabitq-encoder.ts";
import { createRng } from "../../../src/core/index/vector/seeded-rng.ts";
import { memoryRangeReader } from "../../../src/storage/range-reader.ts";

function makeBlock(clusterId: number, n: number, dim: number, exBits: number, withVectors: boolean, seed = 1): Uint8Array {
  const P = Math.ceil(dim / 128) * 128;
  const b = new ClusterBlockBuilder({ clusterId, dim, paddedDim: P, exBits, metric: "euclidean_squared", withVectors });
  const enc = createRabitqEncoder(P, exBits, "euclidean_squared", tsKernels);
  const origin = new Float32Array(P);
  const rng = createRng(seed);
  for (let i = 0; i < n; i++) {
    const r = new Float64Array(P);
    for (let d = 0; d < P; d++) r[d] = rng.nextGaussian();
    const v = new Float32Array(dim);
    for (let d = 0; d < dim; d++) v[d] = rng.nextGaussian();
    b.add(1000 * clusterId + i + (i === 1 ? 2 ** 52 : 0), enc.encode(r, origin), withVectors ? v : null);
  }
  return b.finish();
}

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const c = bytes.slice();
  c[at] ^= 0x40;
  return c;
}

describe("cluster block", () => {
  it("round-trips entries, factors, codes and vectors", () => {
    const bytes = makeBlock(7, 33, 100, 3, true);
    const b = decodeClusterBlock(bytes);
    expect(b.clusterId).toBe(7);
    expect(b.count).toBe(33);
    expect(b.dim).toBe(100);
    expect(b.paddedDim).toBe(128);
    expect(b.exBits).toBe(3);
    expect(b.seqs[0]).toBe(7000);
    expect(b.seqs[1]).toBe(7001 + 2 ** 52);
    expect(b.code1.length).toBe(33 * 16);
    expect(b.ex!.length).toBe(33 * 16 * 3);
    expect(b.vectors?.length).toBe(33 * 100);
    // re-encoding the decoded entries yields identical bytes
    const again = new ClusterBlockBuilder({ clusterId: 7, dim: 100, paddedDim: 128, exBits: 3, metric: "euclidean_squared", withVectors: true });
    for (let e = 0; e < b.count; e++) again.addFrom(b, e, null);
    expect(again.finish()).toEqual(bytes);
  });

  it("decodes the scan part alone", () => {
    const bytes = makeBlock(2, 10, 128, 2, true);
    const full = decodeClusterBlock(bytes);
    const scan = decodeClusterBlock(bytes.slice(0, full.scanBytes));
    expect(scan.vectors).toBeNull();
    expect(scan.hasVectors).toBe(true);
    expect(Array.from(scan.factors.rescaleEx)).toEqual(Array.from(full.factors.rescaleEx));
  });

  it("detects corruption anywhere in the scan and vectors parts", () => {
    const bytes = makeBlock(3, 20, 128, 4, true);
    const b = decodeClusterBlock(bytes);
    for (const at of [40, b.scanBytes - 40, b.scanBytes + 8, bytes.length - 20]) {
      expect(() => decodeClusterBlock(flip(bytes, at))).toThrow(DataCorruptionError);
    }
    expect(() => decodeClusterBlock(flip(bytes, 0))).toThrow(/magic/);
    expect(() => decodeClusterBlock(bytes.slice(0, 100))).toThrow(DataCorruptionError);
    expect(() => decodeClusterBlock(flip(bytes, 12))).toThrow(DataCorruptionError); // count
  });

  it("rejects seqs that are not unsigned integers below 2^53", () => {
    const b = new ClusterBlockBuilder({ clusterId: 0, dim: 4, paddedDim: 128, exBits: 0, metric: "cosine", withVectors: false });
    const code = createRabitqEncoder(128, 0, "cosine", tsKernels).encode(new Float64Array(128).fill(1), new Float32Array(128));
    expect(() => b.add(-1, code, null)).toThrow(/seq/);
    expect(() => b.add(2 ** 53, code, null)).toThrow(/seq/);
    expect(() => b.add(1.5, code, null)).toThrow(/seq/);
  });
});

describe("cluster object", () => {
  it("round-trips the offset table and reads blocks and vector rows by range", async () => {
    const blocks = [makeBlock(1, 5, 64, 2, true, 1), makeBlock(4, 9, 64, 2, true, 2), makeBlock(9, 1, 64, 2, true, 3)];
    const { bytes, locations } = encodeClusterObject(blocks);
    let reads = 0;
    const inner = memoryRangeReader(bytes);
    const reader = { byteLength: inner.byteLength, slice: (s: number, e?: number) => (reads++, inner.slice(s, e)) };
    const table = await readClusterObjectTable(reader);
    expect(table).toEqual(locations);
    expect(reads).toBe(1);
    const b4 = await readClusterBlock(reader, table[1]);
    expect(b4.clusterId).toBe(4);
    expect(b4.count).toBe(9);
    expect(b4.vectors).toBeNull();
    const full = decodeClusterBlock(blocks[1]);
    const rows = await readBlockVectorRows(reader, table[1], b4, [3, 4, 8, 0]);
    expect(Array.from(rows[0])).toEqual(Array.from(full.vectors!.subarray(3 * 64, 4 * 64)));
    expect(Array.from(rows[3])).toEqual(Array.from(full.vectors!.subarray(0, 64)));
    const all = await readBlockVectors(reader, table[2], 64);
    expect(all.length).toBe(64);
  });

  it("reads several blocks with one range read per run of nearby blocks", async () => {
    // Blocks 1 and 2 sit side by side; a block of more than COALESCE_GAP_BYTES separates them from 4.
    const big = Math.ceil(COALESCE_GAP_BYTES / (4 * 768)) + 1;
    const blocks = [makeBlock(1, 5, 768, 2, true, 1), makeBlock(2, 9, 768, 2, true, 2), makeBlock(3, big, 768, 2, true, 3), makeBlock(4, 3, 768, 2, true, 4)];
    const { bytes, locations } = encodeClusterObject(blocks);
    const ranges: [number, number][] = [];
    const inner = memoryRangeReader(bytes);
    const reader = { byteLength: inner.byteLength, slice: (s: number, e?: number) => (ranges.push([s, e ?? bytes.length]), inner.slice(s, e)) };
    const wanted = [locations[3], locations[0], locations[1]];
    const got = await readClusterBlocks(reader, wanted, { withVectors: true });
    expect(got.map((b) => b.clusterId)).toEqual([4, 1, 2]);
    expect(ranges).toHaveLength(2);
    for (const [i, loc] of wanted.entries()) {
      const one = await readClusterBlock(memoryRangeReader(bytes), loc, { withVectors: true });
      expect(Array.from(got[i].seqs)).toEqual(Array.from(one.seqs));
      expect(Array.from(got[i].vectors!)).toEqual(Array.from(one.vectors!));
    }
    // A table entry that does not match the block it points at is corruption, as for one block.
    await expect(readClusterBlocks(reader, [{ ...locations[0], count: 6 }])).rejects.toThrow(DataCorruptionError);
  });

  it("detects a corrupted table and rejects duplicate clusters", async () => {
    const { bytes } = encodeClusterObject([makeBlock(1, 5, 64, 1, false)]);
    await expect(readClusterObjectTable(memoryRangeReader(flip(bytes, bytes.length - 30)))).rejects.toThrow(DataCorruptionError);
    await expect(readClusterObjectTable(memoryRangeReader(flip(bytes, bytes.length - 2)))).rejects.toThrow(DataCorruptionError);
    expect(() => encodeClusterObject([makeBlock(1, 1, 64, 1, false), makeBlock(1, 2, 64, 1, false)])).toThrow(/twice/);
  });

  for (const withVectors of [true, false]) {
    it(`writes a fragment of interleaved clusters as the per-cluster builders would (vectors ${withVectors})`, () => {
      const dim = 100;
      const P = 128;
      const shape = { dim, paddedDim: P, exBits: 3, metric: "euclidean_squared" as const, withVectors };
      const enc = createRabitqEncoder(P, 3, "euclidean_squared", tsKernels);
      const rng = createRng(8);
      const fragment = new FragmentBuilder(shape);
      const builders = new Map<number, ClusterBlockBuilder>();
      for (let i = 0; i < 200; i++) {
        const c = [7, 2, 7, 40, 2, 0][i % 6] + (i % 17 === 0 ? 100 : 0);
        const x = Float64Array.from({ length: P }, () => rng.nextGaussian());
        const v = Float32Array.from({ length: dim }, () => rng.nextGaussian());
        const code = enc.encode(x, new Float32Array(P));
        fragment.addTo(c, i, code, v);
        if (!builders.has(c)) builders.set(c, new ClusterBlockBuilder({ ...shape, clusterId: c }));
        builders.get(c)!.add(i, code, v);
      }
      const blocks = [...builders.keys()].sort((a, b) => a - b).map((c) => builders.get(c)!.finish());
      const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
      const got = fragment.finishBlocks();
      expect(got.length).toBe(blocks.length);
      expect(got.every((b, i) => same(b, blocks[i]))).toBe(true);
      const object = fragment.finishObject();
      const expected = encodeClusterObject(blocks);
      expect(object.locations).toEqual(expected.locations);
      expect(same(object.bytes, expected.bytes)).toBe(true);
    });
  }

  it("reads a large table with a second range read", async () => {
    const blocks = Array.from({ length: 3000 }, (_, i) => makeBlock(i, 1, 8, 0, false, i));
    const { bytes, locations } = encodeClusterObject(blocks);
    const table = await readClusterObjectTable(memoryRangeReader(bytes));
    expect(table.length).toBe(3000);
    expect(table[2999]).toEqual(locations[2999]);
  });
});

describe("centroid list", () => {
  const list: CentroidList = {
    nlist: 3,
    dim: 100,
    paddedDim: 128,
    metric: "dot_product",
    exBits: 5,
    rotatorSeed: 0xdeadbeef,
    nprobe: 2,
    targetRecall: 0.95,
    targetClusterSize: 40,
    sizes: Uint32Array.from([10, 0, 7]),
    centroids: Float32Array.from({ length: 3 * 128 }, (_, i) => i / 7),
  };

  it("round-trips", () => {
    const d = decodeCentroidList(encodeCentroidList(list));
    expect({ ...d, sizes: Array.from(d.sizes), centroids: Array.from(d.centroids) }).toEqual({
      ...list,
      targetRecall: Math.fround(0.95),
      sizes: Array.from(list.sizes),
      centroids: Array.from(list.centroids),
    });
  });

  it("detects corruption and truncation", () => {
    const bytes = encodeCentroidList(list);
    for (const at of [9, 50, 300, bytes.length - 17]) expect(() => decodeCentroidList(flip(bytes, at))).toThrow(DataCorruptionError);
    expect(() => decodeCentroidList(bytes.slice(0, bytes.length - 16))).toThrow(DataCorruptionError);
  });
});
