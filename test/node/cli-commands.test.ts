/**
 * The CLI's other commands against the local Worker (config, ns, query, import options), and
 * its pure modules (retry timing, batching, CSV types, document mapping, query bodies).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BatchBuilder } from "../../src/cli/batch-builder.ts";
import { coerceCsvValue, inferCsvType } from "../../src/cli/csv-types.ts";
import { RowError, createMapper } from "../../src/cli/document-mapping.ts";
import { buildQueryBody, parseFieldWeights } from "../../src/cli/query-request.ts";
import { DEFAULT_RETRY_POLICY, retryAfterFromHeaders, retryDelayMs } from "../../src/cli/retry-policy.ts";
import { inferAttributeSchema } from "../../src/cli/schema-inference.ts";
import { type LocalWorker, startLocalWorker } from "./helpers/local-worker.ts";
import { type CliEnv, runCli } from "./helpers/run-cli.ts";

describe("CLI modules", () => {
  it("backs off exponentially with full jitter and honours retry-after-ms", () => {
    const p = { ...DEFAULT_RETRY_POLICY, baseMs: 100, capMs: 1000 };
    expect(retryDelayMs(p, 0, null, () => 0.999)).toBeLessThanOrEqual(100);
    expect(retryDelayMs(p, 3, null, () => 0.999)).toBe(799);
    expect(retryDelayMs(p, 10, null, () => 1)).toBe(1000);
    expect(retryDelayMs(p, 0, null, () => 0)).toBe(0);
    expect(retryDelayMs(p, 5, 300, () => 0)).toBe(300);
    expect(retryDelayMs(p, 5, 300, () => 1)).toBe(360);
    expect(retryAfterFromHeaders(new Headers({ "retry-after-ms": "250" }))).toBe(250);
    expect(retryAfterFromHeaders(new Headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryAfterFromHeaders(new Headers())).toBeNull();
  });

  it("cuts batches by rows and by bytes and tracks the rows they cover", () => {
    const doc = (i: number) => JSON.stringify({ id: i, attributes: { s: "x".repeat(300) } }); // 332 bytes with its comma
    const byRows = new BatchBuilder({ maxRows: 3, maxBytes: 1 << 20, startRow: 10, startIndex: 2, startProgress: 0 });
    expect([10, 11, 12].map((i) => byRows.add(doc(i), i, i))).toEqual([null, null, null]);
    const full = byRows.add(doc(13), 13, 13)!;
    expect(full).toMatchObject({ index: 2, firstRow: 10, endRow: 13, documents: 3, skipped: 0, progressEnd: 12 });
    expect(JSON.parse(full.body).documents.map((d: { id: number }) => d.id)).toEqual([10, 11, 12]);
    expect(full.bytes).toBe(Buffer.byteLength(full.body));
    byRows.skip(14, 14);
    expect(byRows.finish()).toMatchObject({ index: 3, firstRow: 13, endRow: 15, documents: 1, skipped: 1, progressEnd: 14 });
    expect(byRows.finish()).toBeNull();

    const byBytes = new BatchBuilder({ maxRows: 100, maxBytes: 1024, startRow: 0, startIndex: 0, startProgress: 0 });
    expect([0, 1, 2].map((i) => byBytes.add(doc(i), i, i))).toEqual([null, null, null]);
    const cut = byBytes.add(doc(3), 3, 3)!;
    expect(cut.documents).toBe(3);
    expect(cut.bytes).toBeLessThanOrEqual(1024);
    expect(() => byBytes.add(JSON.stringify({ id: 9, attributes: { s: "y".repeat(2000) } }), 4, 4)).toThrow(/--batch-bytes/);
  });

  it("types CSV columns and converts cells", () => {
    expect(inferCsvType(["1", "2", ""])).toBe("int");
    expect(inferCsvType(["1", "2.5"])).toBe("float");
    expect(inferCsvType(["true", "FALSE"])).toBe("bool");
    expect(inferCsvType(["[1,2]", "[]"])).toBe("json");
    expect(inferCsvType(["007", "x"])).toBe("string");
    expect(coerceCsvValue("[]string", "a|b", "c", "|")).toEqual(["a", "b"]);
    expect(coerceCsvValue("[]int", "[1,2]", "c", "|")).toEqual([1, 2]);
    expect(coerceCsvValue("float", "", "c", "|")).toBeNull();
    expect(() => coerceCsvValue("int", "1.5", "line 3: n", "|")).toThrow(/line 3: n: expected an integer/);
  });

  it("maps flat and v1-shaped records, and names the line of a bad one", () => {
    const m = createMapper({ idField: "id", vectorField: "vector", autoId: false, include: null, exclude: ["skip"], arraySeparator: "|" }, null, null);
    expect(m.map({ id: 1, vector: [1, 2], a: "x", skip: 1, n: null }, 0, "line 1")).toEqual({ id: 1, vector: [1, 2], attributes: { a: "x" } });
    expect(m.map({ id: "k", attributes: { a: 1 } }, 1, "line 2")).toEqual({ id: "k", attributes: { a: 1 } });
    expect(m.dimensions).toBe(2);
    expect(() => m.map({ id: 2, vector: [1, 2, 3] }, 2, "line 3")).toThrow(/line 3: vector: has 3 dimensions, expected 2/);
    expect(() => m.map({ vector: [1, 2] }, 3, "line 4")).toThrow(RowError);
    const auto = createMapper({ idField: "id", vectorField: "emb", autoId: true, include: ["t"], exclude: [], arraySeparator: ";" }, { t: "string", emb: "string" }, null);
    expect(auto.map({ emb: "1;2", t: "x", other: "y" }, 41, "line 43")).toEqual({ id: 41, vector: [1, 2], attributes: { t: "x" } });
    expect(inferAttributeSchema([{ id: 1, attributes: { p: 0, t: "a", g: [1, 2.5], b: true } }, { id: 2, attributes: { p: 1.5, t: 3 } }], {})).toEqual({ p: { type: "float" }, g: { type: "[]float" }, b: { type: "bool" } });
  });

  it("builds query bodies for vector, full-text and hybrid queries", () => {
    expect(parseFieldWeights("title:2, body")).toEqual({ title: 2, body: 1 });
    expect(buildQueryBody({ vector: "[1,2]", topK: "3", filter: '{"field":"a","op":"eq","value":1}' })).toEqual({ vector: [1, 2], top_k: 3, filter: { field: "a", op: "eq", value: 1 } });
    expect(buildQueryBody({ text: "hello", fields: "title" })).toEqual({ full_text: { field: "title", query: "hello" } });
    expect(buildQueryBody({ text: "hello" })).toEqual({ full_text: { query: "hello" } });
    expect(buildQueryBody({ vector: "[1]", text: "x", fields: "t:2", rrfK: "10", textWeight: "0.5", attributes: "a,b", includeVector: true })).toEqual({
      vector: [1], full_text: { query: "x", fields: { t: 2 } }, hybrid: { method: "rrf", k: 10, full_text_weight: 0.5 }, include_vector: true, include_attributes: ["a", "b"],
    });
    expect(() => buildQueryBody({ vector: "[1, \"a\"]" })).toThrow(/array of numbers/);
  });
});

describe("CLI commands against the local Worker", () => {
  let worker: LocalWorker;
  let dir: string;
  let env: CliEnv;

  beforeAll(async () => {
    worker = await startLocalWorker();
    dir = mkdtempSync(join(tmpdir(), "elacsym-cli-cmd-"));
    env = { endpoint: worker.url, apiKey: worker.apiKey, configDir: join(dir, "config") };
  });

  afterAll(async () => {
    await worker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("saves the endpoint and key in the config file, with flags and env taking precedence", async () => {
    const bare: CliEnv = { endpoint: "", apiKey: "", configDir: join(dir, "cfg-only") };
    expect((await runCli(["config", "set", "endpoint", `${worker.url}/`], bare)).code).toBe(0);
    expect((await runCli(["config", "set", "key", worker.apiKey], bare)).code).toBe(0);
    expect(statSync(join(dir, "cfg-only", "config.json")).mode & 0o777).toBe(0o600);
    const shown = await runCli(["config", "get"], bare);
    expect(shown.stdout).toContain(`endpoint  ${worker.url}`);
    expect(shown.stdout).toContain(`${worker.apiKey.slice(0, 4)}…${worker.apiKey.slice(-4)}`);
    expect(shown.stdout).not.toContain(worker.apiKey);
    // The saved settings work on their own…
    expect((await runCli(["ns", "list"], bare)).code).toBe(0);
    // …and a flag overrides them.
    const flagged = await runCli(["--api-key", "elk_wrong", "ns", "list"], bare);
    expect(flagged.code).toBe(1);
    expect(flagged.stderr).toContain("401");
    expect(flagged.stderr).toContain("elacsym config get");
  });

  it("creates, lists, describes and deletes namespaces", async () => {
    const schema = JSON.stringify({ attributes: { title: { type: "string", full_text: { language: "english" } } } });
    const created = await runCli(["ns", "create", "cmd-ns", "--dimensions", "3", "--metric", "cosine", "--schema", schema, "--json"], env);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).schema.vector).toEqual({ dimensions: 3, metric: "cosine" });
    expect(JSON.parse(created.stdout).schema.attributes.title.full_text.language).toBe("english");
    await runCli(["ns", "create", "cmd-other", "--schema", '{"attributes": {"title": {"type": "string"}}}'], env);

    const list = await runCli(["ns", "list"], env);
    expect(list.stdout).toMatch(/namespace\s+created/);
    expect(list.stdout).toContain("cmd-ns");
    const stats = JSON.parse((await runCli(["ns", "list", "--stats", "--prefix", "cmd-", "--json"], env)).stdout);
    expect(stats.namespaces.map((n: any) => n.name)).toEqual(["cmd-ns", "cmd-other"]);
    expect(stats.namespaces[0].documents).toBe(0);
    const paged = JSON.parse((await runCli(["ns", "list", "--prefix", "cmd-", "--limit", "1", "--all", "--json"], env)).stdout);
    expect(paged.namespaces.map((n: any) => n.name)).toEqual(["cmd-ns", "cmd-other"]);

    const described = await runCli(["ns", "describe", "cmd-other"], env);
    expect(described.stdout).toMatch(/documents\s+0/);
    expect(described.stdout).toMatch(/title\s+string\s+yes/);

    const refused = await runCli(["ns", "delete", "cmd-other"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--yes");
    expect((await runCli(["ns", "delete", "cmd-other", "--yes"], env)).stdout).toContain("deleted cmd-other");
    const gone = await runCli(["ns", "describe", "cmd-other"], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("404");
  });

  it("imports with --skip-invalid and column options, then queries as a table and as JSON", async () => {
    const file = join(dir, "mixed.jsonl");
    writeFileSync(file, [
      JSON.stringify({ key: "a", emb: [1, 0, 0], title: "first", secret: "s" }),
      "{not json",
      JSON.stringify({ key: "b", emb: [0, 1, 0], title: "second", secret: "s" }),
      JSON.stringify({ key: "c", emb: [0, 1], title: "bad dims" }),
      JSON.stringify({ key: "d", emb: [0, 0, 1], title: "third" }),
    ].join("\n"));
    const stopped = await runCli(["import", "cmd-ns", file, "--id", "key", "--vector", "emb", "--no-progress"], env);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain("line 2: not valid JSON");

    const r = await runCli(["import", "cmd-ns", file, "--id", "key", "--vector", "emb", "--exclude", "secret", "--skip-invalid", "--no-progress", "--json"], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "complete", documents_imported: 3, rows_skipped: 2, rows: 5 });
    expect(r.stderr).toContain("skipped invalid row: line 2: not valid JSON");
    expect(r.stderr).toContain("skipped invalid row: line 4: emb: has 2 dimensions, expected 3");
    expect(r.stderr).not.toMatch(/docs\/s/);

    const table = await runCli(["query", "cmd-ns", "--vector", "[0, 1, 0.1]", "--top-k", "2"], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/#\s+id\s+score\s+title/);
    expect(table.stdout.split("\n")[2]).toMatch(/^1\s+b\s/);
    expect(table.stdout).toMatch(/2 results in \d+ ms\s+\(server_ms=/);

    writeFileSync(join(dir, "q.json"), "[1, 0, 0]");
    const json = JSON.parse((await runCli(["query", "cmd-ns", "--vector", `@${join(dir, "q.json")}`, "--filter", '{"field":"title","op":"ne","value":"first"}', "--json"], env)).stdout);
    expect(json.results.map((x: any) => x.id)).toEqual(["b", "d"]);
    expect(json.results[0].attributes).toEqual({ title: "second" });
    expect(typeof json.took_ms).toBe("number");

    const browse = JSON.parse((await runCli(["query", "cmd-ns", "--filter", '{"field":"id","op":"gt","value":"a"}', "--json"], env)).stdout);
    expect(browse.results.map((x: any) => x.id)).toEqual(["b", "d"]);

    // Full text (BM25) and hybrid (RRF) queries.
    const text = await runCli(["query", "cmd-ns", "--text", "second", "--fields", "title", "--show-request", "--json"], env);
    expect(text.stderr).toContain('"full_text":{"field":"title","query":"second"}');
    expect(text.code).toBe(0);
    expect(JSON.parse(text.stdout).results.map((x: any) => x.id)).toEqual(["b"]);
    const allFields = JSON.parse((await runCli(["query", "cmd-ns", "--text", "third", "--json"], env)).stdout);
    expect(allFields.results.map((x: any) => x.id)).toEqual(["d"]);
    const hybrid = await runCli(["query", "cmd-ns", "--vector", "[1, 0, 0]", "--text", "third", "--rrf-k", "10", "--top-k", "3"], env);
    expect(hybrid.code).toBe(0);
    const ranked = hybrid.stdout.split("\n").slice(2, 5).map((line) => line.split(/\s+/)[1]);
    expect(ranked.slice(0, 2).sort()).toEqual(["a", "d"]);
    const missing = await runCli(["query", "cmd-ns", "--text", "x", "--fields", "nope"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/elacsym: 400 INVALID_ARGUMENT: .*nope/);
  });
});
