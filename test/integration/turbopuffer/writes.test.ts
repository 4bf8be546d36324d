/**
 * Writes through the official turbopuffer client: every kind (rows, columns, patches, deletes,
 * delete by filter, conditional writes with $ref_new), implicit namespace creation, schema in
 * writes, distance metrics, base64 vectors and return_affected_ids.
 */
import { describe, expect, it } from "vitest";
import { makeTenant } from "../../helpers/api.ts";
import { tpufClient } from "../../helpers/turbopuffer.ts";

function b64(values: number[]): string {
  const bytes = new Uint8Array(new Float32Array(values).buffer);
  return btoa(String.fromCharCode(...bytes));
}

async function all(ns: ReturnType<ReturnType<typeof tpufClient>["namespace"]>) {
  const r = await ns.query({ top_k: 1000, include_attributes: true });
  return r.rows!;
}

describe("turbopuffer writes", () => {
  it("creates the namespace on the first write and upserts rows", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("first");
    expect(await ns.exists()).toBe(false);
    const w = await ns.write({
      upsert_rows: [
        { id: 1, vector: [1, 0], title: "red shoes", price: 40 },
        { id: 2, vector: [0, 1], title: "blue hat", price: 15 },
      ],
      distance_metric: "euclidean_squared",
    });
    expect(w.status).toBe("OK");
    expect(w.rows_affected).toBe(2);
    expect(w.rows_upserted).toBe(2);
    expect(w.billing).toBeDefined();
    expect(w.performance?.server_total_ms).toBeGreaterThanOrEqual(0);
    expect(await ns.exists()).toBe(true);
    const schema = await ns.schema();
    expect(schema.vector).toEqual({ type: "[2]f32", ann: { distance_metric: "euclidean_squared" } });
    expect(schema.title).toMatchObject({ type: "string", filterable: true });
    expect(schema.price).toMatchObject({ type: "int" });
    expect(await all(ns)).toEqual([
      { id: 1, vector: [1, 0], title: "red shoes", price: 40 },
      { id: 2, vector: [0, 1], title: "blue hat", price: 15 },
    ]);
  });

  it("upserts columns, with vectors as numbers, per-row base64 or one base64 string", async () => {
    const t = await makeTenant();
    const client = tpufClient(t.key);
    const a = client.namespace("cols-a");
    await a.write({ upsert_columns: { id: [1, 2], vector: [[1, 2], [3, 4]], tag: ["x", null] }, distance_metric: "cosine_distance" });
    expect(await all(a)).toEqual([
      { id: 1, vector: [1, 2], tag: "x" },
      { id: 2, vector: [3, 4] },
    ]);
    const b = client.namespace("cols-b");
    await b.write({ upsert_columns: { id: ["a", "b"], vector: [b64([1, 2]), b64([3, 4])] }, distance_metric: "cosine_distance" });
    await b.write({ upsert_rows: [{ id: "c", vector: b64([5, 6]) }] });
    const c = client.namespace("cols-c");
    await c.write({ upsert_columns: { id: [7, 8], vector: b64([1, 2, 3, 4]) }, distance_metric: "cosine_distance" });
    expect((await all(b)).map((r) => r.vector)).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect((await all(c)).map((r) => r.vector)).toEqual([[1, 2], [3, 4]]);
    const enc = await c.query({ top_k: 10, include_attributes: ["vector"], vector_encoding: "base64" });
    expect(enc.rows!.map((r) => r.vector)).toEqual([b64([1, 2]), b64([3, 4])]);
  });

  it("patches rows and columns, ignoring missing ids, and null removes an attribute", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("patch");
    await ns.write({ upsert_rows: [{ id: 1, a: 1, b: "x" }, { id: 2, a: 2, b: "y" }] });
    const p = await ns.write({ patch_rows: [{ id: 1, a: 10 }, { id: 99, a: 5 }], return_affected_ids: true });
    expect(p.rows_patched).toBe(1);
    expect(p.patched_ids).toEqual([1]);
    await ns.write({ patch_columns: { id: [1, 2], b: [null, "z"] } });
    expect(await all(ns)).toEqual([
      { id: 1, a: 10 },
      { id: 2, a: 2, b: "z" },
    ]);
  });

  it("deletes by id and by filter, in one request with upserts", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("del");
    await ns.write({ upsert_rows: [1, 2, 3, 4, 5].map((id) => ({ id, n: id, kind: id % 2 ? "odd" : "even" })) });
    const d = await ns.write({ deletes: [1, 42], return_affected_ids: true });
    expect(d.rows_deleted).toBe(1);
    expect(d.deleted_ids).toEqual([1]);
    const f = await ns.write({ delete_by_filter: ["kind", "Eq", "even"], upsert_rows: [{ id: 6, n: 6, kind: "even" }], return_affected_ids: true });
    // delete_by_filter runs before the upsert of the same request.
    expect(f.rows_deleted).toBe(2);
    expect(f.deleted_ids).toEqual(expect.arrayContaining([2, 4]));
    expect(f.rows_upserted).toBe(1);
    expect((await all(ns)).map((r) => r.id)).toEqual([3, 5, 6]);
  });

  it("patches by filter, partially when allowed", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("pbf");
    await ns.write({ upsert_rows: Array.from({ length: 10 }, (_, i) => ({ id: i, k: i % 2 ? "odd" : "even", v: i })) });
    const r = await ns.write({ patch_by_filter: { filters: ["k", "Eq", "odd"], patch: { v: -1, flag: true } }, return_affected_ids: true });
    expect(r.rows_patched).toBe(5);
    expect(r.rows_remaining).toBe(false);
    expect(r.patched_ids).toEqual(expect.arrayContaining([1, 3, 5, 7, 9]));
    const rows = await all(ns);
    expect(rows.filter((x) => x.flag === true).map((x) => x.id)).toEqual([1, 3, 5, 7, 9]);
    expect(rows.find((x) => x.id === 3)).toEqual({ id: 3, k: "odd", v: -1, flag: true });
    expect(rows.find((x) => x.id === 2)).toEqual({ id: 2, k: "even", v: 2 });
    const bad = await ns.write({ patch_by_filter: { filters: ["k", "Eq", "odd"], patch: { v: "x" } } }).catch((e) => e);
    expect(bad.status).toBe(400);

    // More matches than one request patches: a 400, or with allow_partial a first part and rows_remaining.
    const big = tpufClient(t.key).namespace("pbf-big");
    for (let b = 0; b < 2; b++) {
      await big.write({ upsert_columns: { id: Array.from({ length: 5001 }, (_, i) => b * 5001 + i) }, schema: { done: { type: "bool" } } });
    }
    const filter = ["done", "NotEq", true] as const;
    const refused = await big.write({ patch_by_filter: { filters: filter as never, patch: { done: true } } }).catch((e) => e);
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/matches more than 10000 documents/);
    const first = await big.write({ patch_by_filter: { filters: filter as never, patch: { done: true } }, patch_by_filter_allow_partial: true });
    expect(first.rows_patched).toBe(10_000);
    expect(first.rows_remaining).toBe(true);
    const second = await big.write({ patch_by_filter: { filters: filter as never, patch: { done: true } }, patch_by_filter_allow_partial: true });
    expect(second.rows_patched).toBe(2);
    expect(second.rows_remaining).toBe(false);
  });

  it("applies conditional upserts, patches and deletes with $ref_new", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("cond");
    await ns.write({ upsert_rows: [{ id: 1, v: 5, name: "a" }, { id: 2, v: 5, name: "b" }] });
    const u = await ns.write({
      upsert_rows: [{ id: 1, v: 6, name: "a2" }, { id: 2, v: 4, name: "b2" }, { id: 3, v: 1, name: "c" }],
      upsert_condition: ["v", "Lt", { $ref_new: "v" }],
      return_affected_ids: true,
    });
    // id 1 is newer, id 2 is older (skipped), id 3 is new (conditions pass for new ids).
    expect(u.upserted_ids).toEqual([1, 3]);
    const p = await ns.write({ patch_rows: [{ id: 1, name: "p" }, { id: 2, name: "p" }], patch_condition: ["name", "Eq", "b"], return_affected_ids: true });
    expect(p.patched_ids).toEqual([2]);
    const d = await ns.write({ deletes: [1, 2, 3], delete_condition: ["Or", [["v", "Gte", 6], ["name", "Glob", "c*"]]], return_affected_ids: true });
    expect(d.deleted_ids).toEqual([1, 3]);
    expect(await all(ns)).toEqual([{ id: 2, v: 5, name: "p" }]);
  });

  it("takes the schema of a write: uuid ids, full-text attributes (not filterable by default)", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("schema-write");
    const id = "0b7b6c1e-3f0e-4c8e-9a55-2f1d4c3b2a10";
    await ns.write({
      upsert_rows: [{ id, text: "the quick brown fox" }],
      schema: { id: { type: "uuid" }, text: { type: "string", full_text_search: { language: "english", stemming: true } } },
    });
    const schema = await ns.schema();
    expect(schema.id).toEqual({ type: "uuid" });
    expect(schema.text).toMatchObject({ type: "string", filterable: false, full_text_search: { language: "english", stemming: true } });
    // The same schema again is a no-op.
    await ns.write({ upsert_rows: [{ id, text: "jumps" }], schema: { text: { type: "string", full_text_search: { language: "english", stemming: true } } } });
  });

  it("rejects bad writes with 400s naming the field, and creates nothing", async () => {
    const t = await makeTenant();
    const client = tpufClient(t.key);
    const ns = client.namespace("bad");
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ upsert_rows: [{ id: 1, vector: [1, Number.NaN] }] }, /upsert_rows/],
      [{ upsert_rows: [{ id: -1 }] }, /upsert_rows\.id\[0\]/],
      [{ upsert_columns: { id: [1, 2], price: [1] } }, /upsert_columns\.price: expected 2 values/],
      [{ upsert_rows: [{ id: 1 }], upsert_condition: ["nope", "Eq", 1] }, /upsert_condition.*unknown attribute 'nope'/],
      [{ upsert_rows: [{ id: 1, x: 1 }], distance_metric: "manhattan" }, /distance_metric/],
      [{ patch_rows: [{ id: 1, vector: [1] }] }, /patch_rows\[0\]\.vector/],
      [{ copy_from_namespace: "x" }, /copy_from_namespace: not supported/],
      [{ patch_by_filter: { filters: ["a", "Eq", 1] } }, /patch_by_filter\.patch/],
      [{ upserts: [] }, /unknown field 'upserts'/],
      [{ upsert_rows: [{ id: 1, v: 1 }], schema: { v: { type: "[3]f32" } } }, /schema\.v/],
    ];
    for (const [body, message] of cases) {
      const err = await ns.write(body as never).catch((e) => e);
      expect(err?.status, JSON.stringify(body)).toBe(400);
      expect(err.message).toMatch(message);
    }
    expect(await ns.exists()).toBe(false);
  });

  it("rejects a metric or type that contradicts the namespace", async () => {
    const t = await makeTenant();
    const ns = tpufClient(t.key).namespace("contradict");
    await ns.write({ upsert_rows: [{ id: 1, vector: [1, 0], n: 1 }], distance_metric: "cosine_distance" });
    const m = await ns.write({ upsert_rows: [{ id: 2, vector: [1, 0] }], distance_metric: "euclidean_squared" }).catch((e) => e);
    expect(m.status).toBe(400);
    expect(m.message).toMatch(/distance_metric: this namespace uses cosine_distance/);
    const ty = await ns.write({ upsert_rows: [{ id: 2, vector: [1, 0], n: "one" }] }).catch((e) => e);
    expect(ty.status).toBe(400);
    expect(ty.message).toMatch(/upsert_rows\[0\]\.n \(int\): expected an integer/);
    const col = await ns.write({ upsert_columns: { id: [3, 4], vector: [[1, 0], [0, 1]], n: [1, true] } }).catch((e) => e);
    expect(col.message).toMatch(/upsert_columns\.n\[1\] \(int\)/);
    const patch = await ns.write({ patch_rows: [{ id: 1, n: "x" }] }).catch((e) => e);
    expect(patch.message).toMatch(/patch_rows\[0\]\.n \(int\)/);
  });
});
