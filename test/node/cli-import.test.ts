/**
 * `elacsym import` end to end: a few thousand rows from JSONL, CSV and Parquet into the local
 * Worker through a proxy that injects a 429, a lost answer (503 after the write) and a dropped
 * connection; then resuming after a SIGKILL and after Ctrl-C. Every row must be stored, and
 * acknowledged and counted exactly once.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultProxy } from "./helpers/fault-proxy.ts";
import { DIMS, type Row, makeRows, writeCsv, writeJsonl, writeParquet } from "./helpers/datasets.ts";
import { type LocalWorker, startLocalWorker } from "./helpers/local-worker.ts";
import { type CliEnv, runCli, startCli } from "./helpers/run-cli.ts";

const ROWS = 3000;
const BATCH = "250";
const PROGRESS_LINE = /\d+% \| [\d,]+ docs \| [\d,]+ docs\/s \| ETA /;

let worker: LocalWorker;
let proxy: FaultProxy;
let dir: string;
let rows: Row[];
let env: CliEnv;

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(worker.url + path, {
    method,
    headers: { authorization: `Bearer ${worker.apiKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Every row is in the namespace, with its vector and attributes (spot checks). */
async function expectAllRows(ns: string): Promise<void> {
  const d = await api("GET", `/v1/namespaces/${ns}`);
  expect(d.documents).toBe(ROWS);
  const ids = [0, 97, 1234, ROWS - 1];
  const fetched = await api("POST", `/v1/namespaces/${ns}/fetch`, { ids, include_vector: true });
  expect(fetched.documents.map((doc: any) => doc.id)).toEqual(ids);
  for (const doc of fetched.documents) {
    const row = rows[doc.id];
    expect(doc.vector).toEqual(row.vector);
    expect(doc.attributes.title).toBe(row.title);
    expect(doc.attributes.price).toBe(row.price);
    expect(doc.attributes.category).toBe(row.category);
    expect(doc.attributes.tags).toEqual(row.tags);
  }
}

function expectEachIdOnce(ids: unknown[]): void {
  expect(ids.length).toBe(ROWS);
  expect(new Set(ids).size).toBe(ROWS);
}

function summaryOf(stdout: string): any {
  return JSON.parse(stdout);
}

function checkpointFiles(): string[] {
  try {
    return readdirSync(join(dir, "config", "checkpoints")).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  worker = await startLocalWorker();
  proxy = await new FaultProxy(worker.url).start();
  dir = mkdtempSync(join(tmpdir(), "elacsym-cli-"));
  rows = makeRows(ROWS);
  writeJsonl(join(dir, "rows.jsonl"), rows);
  writeCsv(join(dir, "rows.csv"), rows);
  writeParquet(join(dir, "rows.parquet"), rows);
  env = { endpoint: proxy.url, apiKey: worker.apiKey, configDir: join(dir, "config") };
});

afterAll(async () => {
  await proxy?.close();
  await worker?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("import through 429, a lost answer and a dropped connection", () => {
  const cases = [
    { format: "jsonl", file: "rows.jsonl", extra: [] as string[] },
    { format: "csv", file: "rows.csv", extra: ["--types", "tags:[]string"] },
    { format: "parquet", file: "rows.parquet", extra: [] as string[] },
  ];
  for (const c of cases) {
    it(`imports every ${c.format} row exactly once`, async () => {
      const ns = `import-${c.format}`;
      proxy.reset();
      proxy.faults = { 3: "429", 5: "503-after", 8: "reset" };
      const r = await runCli(["import", ns, join(dir, c.file), "--create", "--metric", "euclidean_squared", "--batch-rows", BATCH, "--json", ...c.extra], env);
      expect(r.stderr).not.toContain("elacsym: import:");
      expect(r.code).toBe(0);
      const s = summaryOf(r.stdout);
      expect(s).toMatchObject({ status: "complete", format: c.format, rows: ROWS, documents_imported: ROWS, documents_this_run: ROWS, rows_skipped: 0, batches: ROWS / 250, resumed_from_row: null });
      expect(s.retries).toBeGreaterThanOrEqual(3);
      // Progress bar lines (non-TTY mode: one line at start, periodically and at the end) and retry notes.
      expect(r.stderr).toMatch(PROGRESS_LINE);
      expect(r.stderr).toContain("100% | 3,000 docs");
      expect(r.stderr).toMatch(/retry \d+ in \d+ ms after 429 BACKPRESSURE/);
      expect(r.stderr).toMatch(/retry \d+ in \d+ ms after 503 UNAVAILABLE/);
      expect(r.stderr).toMatch(/retry \d+ in \d+ ms after network error/);
      // The client saw each document acknowledged once; the lost answer made the server store one batch twice.
      expectEachIdOnce(proxy.acknowledgedIds);
      expect(proxy.storedIds.length).toBe(ROWS + 250);
      await expectAllRows(ns);
      const d = await api("GET", `/v1/namespaces/${ns}`);
      expect(d.schema.vector).toEqual({ dimensions: DIMS, metric: "euclidean_squared" });
      expect(d.schema.attributes.price.type).toBe("float");
      expect(d.schema.attributes.tags.type).toBe("[]string");
      expect(checkpointFiles()).toEqual([]);
    });
  }
});

describe("resume", () => {
  it("continues after the process is killed, counting each row once", async () => {
    const ns = "resume-kill";
    const args = ["import", ns, join(dir, "rows.parquet"), "--create", "--batch-rows", BATCH, "--json"];
    proxy.reset();
    proxy.holdAfter = 4;
    const first = startCli(args, env);
    await waitFor("held upserts and a checkpoint at batch 4", () => {
      if (proxy.held.length === 0 || checkpointFiles().length === 0) return false;
      const cp = JSON.parse(readFileSync(join(dir, "config", "checkpoints", checkpointFiles()[0]), "utf8"));
      return cp.batches_done >= 4;
    });
    first.child.kill("SIGKILL");
    const killed = await first.done;
    expect(killed.signal).toBe("SIGKILL");
    await proxy.release(false);
    await proxy.idle();
    const cp = JSON.parse(readFileSync(join(dir, "config", "checkpoints", checkpointFiles()[0]), "utf8"));
    expect(cp.namespace).toBe(ns);
    expect(cp.rows_done).toBeGreaterThanOrEqual(1000);
    expect(cp.rows_done).toBeLessThan(ROWS);
    expect(cp.rows_done % 250).toBe(0);
    expect(cp.documents_imported).toBe(cp.rows_done);

    proxy.reset();
    const second = await runCli(args, env);
    expect(second.code).toBe(0);
    expect(summaryOf(second.stdout)).toMatchObject({ status: "complete", resumed_from_row: cp.rows_done, documents_imported: ROWS, documents_this_run: ROWS - cp.rows_done, batches: ROWS / 250 });
    // Only the rows after the checkpoint were sent again, each acknowledged once.
    expect(proxy.acknowledgedIds.length).toBe(ROWS - cp.rows_done);
    expect(new Set(proxy.acknowledgedIds).size).toBe(ROWS - cp.rows_done);
    expect(Math.min(...(proxy.acknowledgedIds as number[]))).toBe(cp.rows_done);
    expect(checkpointFiles()).toEqual([]);
    await expectAllRows(ns);
  });

  it("stops cleanly on Ctrl-C after the batches in flight and continues on the next run", async () => {
    const ns = "resume-sigint";
    const args = ["import", ns, join(dir, "rows.jsonl"), "--create", "--batch-rows", BATCH, "--json"];
    proxy.reset();
    proxy.holdAfter = 3;
    const first = startCli(args, env);
    await waitFor("held upserts", () => proxy.held.length > 0);
    first.child.kill("SIGINT");
    await waitFor("the stop notice", () => first.stderr().includes("stopping after the batches in flight"));
    await proxy.release(true); // the batches in flight complete
    const stopped = await first.done;
    await proxy.idle();
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain("stopping after the batches in flight");
    const s1 = summaryOf(stopped.stdout);
    expect(s1.status).toBe("interrupted");
    expect(s1.documents_imported).toBe(s1.rows);
    expect(s1.documents_imported).toBeGreaterThanOrEqual(750);
    expect(s1.documents_imported).toBeLessThan(ROWS);
    expect(checkpointFiles().length).toBe(1);

    proxy.reset();
    const second = await runCli(args, env);
    expect(second.code).toBe(0);
    const s2 = summaryOf(second.stdout);
    expect(s2).toMatchObject({ status: "complete", resumed_from_row: s1.rows, documents_imported: ROWS, documents_this_run: ROWS - s1.rows });
    expect(checkpointFiles()).toEqual([]);
    await expectAllRows(ns);
  });

  it("refuses to resume when the input changed, until --restart", async () => {
    const ns = "resume-changed";
    const file = join(dir, "small.jsonl");
    writeJsonl(file, rows.slice(0, 600));
    proxy.reset();
    proxy.holdAfter = 1;
    const first = startCli(["import", ns, file, "--create", "--batch-rows", "200", "--json"], env);
    await waitFor("a checkpoint", () => proxy.held.length > 0 && checkpointFiles().length > 0);
    first.child.kill("SIGKILL");
    await first.done;
    await proxy.release(false);
    await proxy.idle();
    proxy.reset();
    writeJsonl(file, rows.slice(0, 700));
    const refused = await runCli(["import", ns, file, "--batch-rows", "200", "--json"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("the input file changed");
    const restarted = await runCli(["import", ns, file, "--batch-rows", "200", "--json", "--restart"], env);
    expect(restarted.code).toBe(0);
    expect(summaryOf(restarted.stdout)).toMatchObject({ status: "complete", documents_imported: 700, resumed_from_row: null });
  });
});
