/**
 * `npm run bench:write-core`: CPU per document of the write pipeline's stages that are not vector
 * encoding, in-process in Node (the same V8 as workerd; no SQLite, R2 or RPC, whose local emulation
 * costs are measured by `bench:write` through the server). The data is bench:write's: 768-d
 * vectors, attributes category / price / title, 100-document WAL entries, one flush slice of 8 MiB.
 *
 *   WAL encode     MessagePack + CRC32 of each write's entry (in the Durable Object, per write)
 *   WAL decode     CRC check + decode of the slice's entries (flush "read")
 *   resolve        last write per id (flush "read")
 *   parquet        the slice's segment through SegmentWriter (flush "parquet")
 *   full-text      the segment's BM25 index, with title as a full-text attribute (flush "fts")
 *   deletes        the deletion file of a slice that supersedes every row (flush "deletes")
 *   directory      addObject + encode of the next vector index directory at 1M vectors (flush "directory")
 *   manifest       the next manifest at 1M documents (flush "manifest-put" encodes it)
 *   merge          compaction: 4 segments streamed and rewritten into one (per merged document)
 *
 * Env: BENCH_ROUNDS (timed repetitions per stage, default 5; the median CPU time is printed).
 */
import { DeadSet } from "../src/core/segment/dead-set.ts";
import { encodeDeletes } from "../src/core/segment/deletes-file.ts";
import { type Manifest, encodeManifest } from "../src/core/segment/manifest.ts";
import { SegmentReader } from "../src/core/segment/segment-reader.ts";
import { SegmentWriter, attributesPresent, buildFullTextIndex } from "../src/core/segment/segment-writer.ts";
import { mergeSegments } from "../src/core/compaction/merge-segments.ts";
import { type IndexDirectory, addObject, encodeDirectory } from "../src/core/index/vector/index-directory.ts";
import { parseSchema } from "../src/core/schema/schema.ts";
import { resolveSlice } from "../src/core/wal/resolve-slice.ts";
import { type WalEntry, decodeWalParts, encodeWalEntry, splitIntoParts } from "../src/core/wal/wal-entry.ts";
import { normalizeUpsert, parseV1Documents } from "../src/core/wal/write-batch.ts";
import { memoryRangeReader } from "../src/storage/range-reader.ts";
import { VectorGenerator, documents } from "./lib/data.ts";
import { fmt, median, printTable } from "./lib/stats.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DIMS = 768;
const BATCH = 100;
const SLICE_DOCS = 2_700; // ≈ ELACSYM_FLUSH_SLICE_BYTES (8 MiB) of 768-d WAL entries

const declared = parseSchema({
  vector: { dimensions: DIMS, metric: "cosine" },
  attributes: { category: { type: "string" }, price: { type: "int" }, title: { type: "string", full_text: true } },
});
/** The schema once the first write fixed the id type. */
const schema = { ...declared, id_type: "u64" as const };

/**
 * Median CPU milliseconds (this process's user + system time, so other processes on a shared
 * machine count less than in wall time) of `fn` over ROUNDS runs, after one warm-up.
 */
async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  await fn();
  const ms: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.cpuUsage();
    await fn();
    const d = process.cpuUsage(t0);
    ms.push((d.user + d.system) / 1000);
  }
  return median(ms);
}

// The slice as the Durable Object logs it: 100-document entries, seqs from 1.
const gen = new VectorGenerator(DIMS, 64, 1);
const entries: WalEntry[] = [];
for (let b = 0; b * BATCH < SLICE_DOCS; b++) {
  const batch = parseV1Documents(documents(gen, b * BATCH, BATCH) as never);
  const norm = normalizeUpsert(schema, batch);
  entries.push({ seq: 1 + b * BATCH, ts: Date.now(), op: "upsert", ids: batch.ids, vectors: batch.vectors!, dims: DIMS, attrs: norm.attrs });
}
const docs = entries.length * BATCH;
const encoded = entries.map((e) => splitIntoParts(encodeWalEntry(e)));
const resolved = resolveSlice(entries.map((e, i) => decodeWalParts(e.seq, encoded[i].length, encoded[i])));
const rows = resolved.upserts;

async function writeSegment(segmentRows: typeof rows): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const writer = new SegmentWriter(schema, attributesPresent(schema, segmentRows), async (b) => void chunks.push(b));
  for (const r of segmentRows) await writer.add(r);
  await writer.finish();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

// A 1M-vector index directory: ~2,000 clusters of ~512 with 3 blocks each, ~400 cluster objects.
const NLIST = 2_000;
let dir: IndexDirectory = { nlist: NLIST, centroids: { key: "t/x/ns/y/z/vec/centroids-v1.evcl", bytes: 6_000_000 }, objects: [], blocks: [] };
for (let o = 0; o < 400; o++) {
  const locs = [];
  for (let c = Math.floor((o * NLIST) / 400); c < Math.floor(((o + 1) * NLIST) / 400); c++) {
    for (let k = 0; k < 3; k++) locs.push({ clusterId: c, count: k === 0 ? 480 : 16, scanBytes: 60_000, vectorBytes: 1_500_000, offset: k * 2_000_000 });
  }
  dir = addObject(dir, { key: `t/x/ns/y/z/vec/base-${o}-v1-a1.evco`, bytes: 8 << 20 }, locs);
}
// A flush of SLICE_DOCS vectors touches ~min(nlist, docs) clusters once or more.
const fragment = Array.from({ length: Math.min(NLIST, SLICE_DOCS) }, (_, i) => ({ clusterId: Math.floor((i * NLIST) / Math.min(NLIST, SLICE_DOCS)), count: 2, scanBytes: 300, vectorBytes: 6_144, offset: i * 6_444 }));

// A 1M-document manifest: 10 segments, 40 deletion files (flushes since the last consolidation).
const manifest: Manifest = {
  format: 1,
  version: 1234,
  wal_seq: 1_000_000,
  created_at: Date.now(),
  schema,
  segments: Array.from({ length: 10 }, (_, i) => ({ key: `t/x/ns/y/z/seg/${i * 100_000 + 1}-${(i + 1) * 100_000}-v${i}.parquet`, seq_min: i * 100_000 + 1, seq_max: (i + 1) * 100_000, rows: 100_000, bytes: 330_000_000, footer_bytes: 60_000, level: 3, fts: { key: `t/x/ns/y/z/fts/${i}.eftx`, bytes: 9_000_000 } })),
  deletes: Array.from({ length: 40 }, (_, i) => ({ key: `t/x/ns/y/z/del/${String(i).padStart(12, "0")}.bin`, count: 2_000, bytes: 6_000 })),
  stats: { rows: 1_000_000, dead: 80_000 },
  vector_index: { directory: { key: "t/x/ns/y/z/vec/dir-v1234.evdr", bytes: 220_000 }, centroids: dir.centroids, nlist: NLIST, entries: 1_000_000, nprobe: 12, calibrated_at: 1_000_000, calibrated_nlist: NLIST, calibrated_nprobe: 12 },
};

const segment = await writeSegment(rows);
const segmentInfo = (bytes: Uint8Array, seqMin: number, seqMax: number) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset + bytes.byteLength - 8, 4);
  return { key: "s", seq_min: seqMin, seq_max: seqMax, rows: rows.length, bytes: bytes.byteLength, footer_bytes: view.getUint32(0, true) + 8, level: 0 };
};
const inputs = [segment, segment, segment, segment];

const stages: [string, number, number][] = [
  ["WAL encode (per write)", await time(() => entries.map((e) => splitIntoParts(encodeWalEntry(e)))), docs],
  ["WAL decode + CRC (flush read)", await time(() => entries.map((e, i) => decodeWalParts(e.seq, encoded[i].length, encoded[i]))), docs],
  ["resolve last write per id (flush read)", await time(() => resolveSlice(entries)), docs],
  ["parquet segment (flush parquet)", await time(() => writeSegment(rows)), docs],
  ["full-text index of title (flush fts)", await time(() => buildFullTextIndex(schema, rows)), docs],
  ["deletion file, every row superseded (flush deletes)", await time(() => encodeDeletes(rows.map((r) => r.seq))), docs],
  ["index directory at 1M vectors (flush directory)", await time(() => encodeDirectory(addObject(dir, { key: "t/x/ns/y/z/vec/frag-1-v1235.evco", bytes: 9_000_000 }, fragment))), docs],
  ["manifest at 1M documents (flush manifest)", await time(() => encodeManifest(manifest)), docs],
  [
    "compaction merge of 4 segments (per merged document)",
    await time(async () => {
      const readers = await Promise.all(
        inputs.map(async (bytes, i) => {
          const r = memoryRangeReader(bytes);
          const info = segmentInfo(bytes, i * 10_000 + 1, i * 10_000 + rows.length);
          return new SegmentReader(r, info, await SegmentReader.readMetadata(r, info.footer_bytes), schema);
        }),
      );
      await mergeSegments({ schema, inputs: readers, dead: DeadSet.empty(), sink: async () => {} });
    }),
    docs * inputs.length,
  ],
];

printTable(
  `Write pipeline CPU per document, excluding vector encoding (Node ${process.version}, ${docs} docs × ${DIMS}-d per slice, median of ${ROUNDS}; directory ${dir.blocks.length} blocks / ${dir.objects.length} objects)`,
  ["stage", "ms per slice", "µs per document"],
  stages.map(([name, ms, n]) => [name, fmt(ms, 2), fmt((1000 * ms) / n, 2)]),
);
const total = stages.filter(([n]) => !n.startsWith("compaction")).reduce((a, [, ms, n]) => a + (1000 * ms) / n, 0);
console.log(`\nflush + WAL encode, total: ${fmt(total, 1)} µs per document (compaction comes on top once per merge a row takes part in)`);
