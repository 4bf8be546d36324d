/**
 * `npm run soak`: load and crash soak against the local server. Several writers (upserts that
 * overwrite earlier ids, deletes) and readers run for SOAK_SECONDS with a small WAL cap, so writes
 * beyond it get 429 and retry. Every acknowledged write is recorded and verified at the end. Then
 * writers run again, the server is killed with SIGKILL mid-write, restarted on the same state, and
 * every write acknowledged before the kill is verified again.
 *
 * Env: SOAK_SECONDS (default 180), SOAK_WRITERS (4), SOAK_READERS (2), SOAK_WAL_MAX_BYTES (4 MiB).
 */
import { VectorGenerator } from "./lib/data.ts";
import { type LocalServer, call, startServer, waitIdle } from "./lib/server.ts";
import { fmt, median, mib, percentile, printTable } from "./lib/stats.ts";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const WRITERS = Number(process.env.SOAK_WRITERS ?? 4);
const READERS = Number(process.env.SOAK_READERS ?? 2);
const WAL_MAX = process.env.SOAK_WAL_MAX_BYTES ?? String(4 << 20);
const DIMS = 64;
const IDS_PER_WRITER = 20_000;
const NS = "soak";

/** What the client knows was acknowledged: id → last acknowledged value (null: deleted). */
type Ledger = Map<number, number | null>;
/** Writes sent but never acknowledged (the server died): either outcome is correct for them. */
const unacknowledged = new Map<number, Set<number | null>>();

interface Counters {
  writes: number;
  docs: number;
  throttled: number;
  errors: number;
  writeMs: number[];
  queryMs: number[];
}

function writerLoop(server: LocalServer, w: number, ledger: Ledger, c: Counters, until: () => boolean): Promise<void> {
  const gen = new VectorGenerator(DIMS, 16, w + 1);
  let version = 0;
  return (async () => {
    while (!until()) {
      version++;
      const base = w * IDS_PER_WRITER;
      // Mostly upserts over a sliding window of ids (so many overwrite), sometimes deletes.
      const del = version % 7 === 0;
      const ids = Array.from({ length: del ? 20 : 200 }, (_, i) => base + ((version * 37 + i * 13) % IDS_PER_WRITER));
      const value = w * 1_000_000 + version;
      const body = del
        ? { path: "delete", json: { ids } }
        : { path: "upsert", json: { documents: ids.map((id) => ({ id, vector: gen.next(), attributes: { v: value, w, text: `writer ${w} version ${version}` } })) } };
      const outcome = del ? null : value;
      for (const id of ids) (unacknowledged.get(id) ?? unacknowledged.set(id, new Set()).get(id)!).add(outcome);
      for (;;) {
        const r = await call(server, "POST", `/v1/namespaces/${NS}/${body.path}`, body.json).catch((err) => ({ status: 0, ms: 0, body: String(err), headers: new Headers() }));
        if (r.status === 200) {
          c.writes++;
          c.docs += ids.length;
          c.writeMs.push(r.ms);
          for (const id of ids) {
            ledger.set(id, outcome);
            unacknowledged.get(id)?.clear();
          }
          break;
        }
        if (r.status === 429) {
          c.throttled++;
          await new Promise((res) => setTimeout(res, Number(r.headers.get("retry-after-ms") ?? 200)));
          continue;
        }
        if (r.status === 0 && until()) return; // the server went away (kill phase)
        c.errors++;
        if (r.status === 0) return;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  })();
}

function readerLoop(server: LocalServer, r: number, c: Counters, until: () => boolean): Promise<void> {
  const gen = new VectorGenerator(DIMS, 16, 100 + r);
  return (async () => {
    let i = 0;
    while (!until()) {
      const body =
        i++ % 3 === 0
          ? { full_text: { query: `writer ${i % WRITERS}` }, top_k: 10 }
          : { vector: gen.next(), top_k: 10, filter: { field: "w", op: "eq", value: i % WRITERS } };
      const res = await call(server, "POST", `/v1/namespaces/${NS}/query`, body).catch(() => null);
      if (res?.status === 200) c.queryMs.push(res.body.performance.server_ms);
      else if (!until()) c.errors++;
    }
  })();
}

/** Checks every id of the ledger by fetch: value of the last acknowledged write, or absent. */
async function verify(server: LocalServer, ledger: Ledger): Promise<{ checked: number; missing: number; wrong: number; resurrected: number }> {
  const ids = [...ledger.keys()].filter((id) => ledger.get(id) !== undefined);
  let missing = 0;
  let wrong = 0;
  let resurrected = 0;
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const r = await call(server, "POST", `/v1/namespaces/${NS}/fetch`, { ids: chunk, include_attributes: ["v"] });
    if (r.status !== 200) throw new Error(`fetch: ${r.status} ${JSON.stringify(r.body)}`);
    const found = new Map<number, number>(r.body.documents.map((d: { id: number; attributes: { v: number } }) => [d.id, d.attributes.v]));
    for (const id of chunk) {
      const want = ledger.get(id)!;
      const got = found.get(id);
      // A write in flight when the server died may or may not have been applied.
      const maybe = unacknowledged.get(id);
      if (maybe?.has(got ?? null)) continue;
      if (want === null && got !== undefined) resurrected++;
      else if (want !== null && got === undefined) missing++;
      else if (want !== null && got !== want) wrong++;
    }
  }
  return { checked: ids.length, missing, wrong, resurrected };
}

const vars = { ELACSYM_WAL_MAX_BYTES: WAL_MAX, ELACSYM_FLUSH_DELAY_MS: "200" };
let server = await startServer({ vars });
const stateDir = server.stateDir;
const key = server.key;
try {
  await call(server, "PUT", `/v1/namespaces/${NS}`, {
    schema: { vector: { dimensions: DIMS, metric: "cosine" }, attributes: { v: "int", w: "int", text: { type: "string", full_text: true } } },
  });
  const ledger: Ledger = new Map();
  const c: Counters = { writes: 0, docs: 0, throttled: 0, errors: 0, writeMs: [], queryMs: [] };
  const samples: (string | number)[][] = [];
  const deadline = Date.now() + SECONDS * 1000;
  const done = () => Date.now() >= deadline;
  server.resetPeak();
  const sampler = (async () => {
    while (!done()) {
      await new Promise((r) => setTimeout(r, Math.min(15_000, SECONDS * 200)));
      const d = await call(server, "GET", `/v1/namespaces/${NS}`);
      samples.push([Math.round((SECONDS * 1000 - (deadline - Date.now())) / 1000), d.body.documents, d.body.segments, fmt(d.body.wal.bytes / 1024, 0), d.body.storage.compaction.compactions, d.body.storage.garbage.objects, mib(server.memory().rss)]);
    }
  })();
  await Promise.all([
    ...Array.from({ length: WRITERS }, (_, w) => writerLoop(server, w, ledger, c, done)),
    ...Array.from({ length: READERS }, (_, r) => readerLoop(server, r, c, done)),
    sampler,
  ]);
  const idle = await waitIdle(server, NS);
  const checked = await verify(server, ledger);
  printTable(`Namespace over time (${WRITERS} writers, ${READERS} readers, ${SECONDS} s, WAL cap ${mib(Number(WAL_MAX))})`, ["t (s)", "documents", "segments", "WAL KiB", "compactions", "garbage objects", "workerd RSS"], samples);
  printTable("Soak totals", ["acked writes", "acked docs", "docs/s", "429 retries", "errors", "write p50 ms", "write p99 ms", "query p50 ms", "query p99 ms", "peak RSS", "final segments"], [
    [c.writes, c.docs, fmt(c.docs / SECONDS, 0), c.throttled, c.errors, fmt(median(c.writeMs)), fmt(percentile(c.writeMs, 99)), fmt(median(c.queryMs)), fmt(percentile(c.queryMs, 99)), mib(server.memory().peak), idle.segments],
  ]);
  printTable("Every acknowledged write verified after the soak", ["ids checked", "missing", "wrong value", "deleted but present"], [[checked.checked, checked.missing, checked.wrong, checked.resurrected]]);

  // Crash phase: write, kill -9 mid-write, restart on the same state, verify.
  const crashDeadline = Date.now() + 15_000;
  const before = c.writes;
  const writers = Array.from({ length: WRITERS }, (_, w) => writerLoop(server, w + WRITERS, ledger, c, () => Date.now() >= crashDeadline));
  await new Promise((r) => setTimeout(r, 8_000));
  server.kill();
  await Promise.all(writers);
  const ackedBeforeKill = c.writes - before;
  server = await startServer({ vars, stateDir, key });
  const afterRestart = await verify(server, ledger);
  await waitIdle(server, NS);
  const afterFlush = await verify(server, ledger);
  printTable("SIGKILL mid-write, restart on the same state", ["writes acked in crash phase", "ids checked", "missing after restart", "wrong after restart", "missing after flush", "wrong after flush"], [
    [ackedBeforeKill, afterRestart.checked, afterRestart.missing, afterRestart.wrong, afterFlush.missing, afterFlush.wrong],
  ]);
  const ok = [checked, afterRestart, afterFlush].every((v) => v.missing + v.wrong + v.resurrected === 0);
  console.log(ok ? "\nPASS: every acknowledged write is readable" : "\nFAIL: acknowledged writes were lost or wrong");
  if (!ok) process.exitCode = 1;
} finally {
  await server.stop();
  const { rmSync } = await import("node:fs");
  rmSync(stateDir, { recursive: true, force: true });
}
