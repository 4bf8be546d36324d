import { SELF, runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";

let t: TestTenant;
const ns = "bad-input";
beforeAll(async () => {
  t = await makeTenant();
  await api("PUT", `/v1/namespaces/${ns}`, t.key, {
    schema: { vector: { dimensions: 3, metric: "cosine" }, attributes: { title: { type: "string" }, n: { type: "int" }, tags: { type: "[]string" }, when: { type: "datetime" } } },
  });
  await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 1, vector: [1, 0, 0], attributes: { title: "one", n: 1 } }] });
  // Flush now: a flush alarm firing between a case's before and after snapshots would look like a change.
  while (await runDurableObjectAlarm(namespaceStub(t.id, ns))) {
    // drain
  }
});

const v = [1, 2, 3];
const long = "x".repeat(65);
/** [name, method, path, body, expected status, message fragment] */
const cases: [string, string, string, unknown, number, string][] = [
  ["wrong dimension", "POST", "upsert", { documents: [{ id: 2, vector: [1, 2] }] }, 400, "3 dimensions"],
  ["NaN in vector (as string)", "POST", "upsert", { documents: [{ id: 2, vector: [1, "NaN", 3] }] }, 400, "finite number"],
  ["null in vector", "POST", "upsert", { documents: [{ id: 2, vector: [1, null, 3] }] }, 400, "finite number"],
  ["zero vector under cosine", "POST", "upsert", { documents: [{ id: 2, vector: [0, 0, 0] }] }, 400, "zero vector"],
  ["negative id", "POST", "upsert", { documents: [{ id: -1, vector: v }] }, 400, "integers from 0"],
  ["fractional id", "POST", "upsert", { documents: [{ id: 1.5, vector: v }] }, 400, "integers from 0"],
  ["id beyond 2^53", "POST", "upsert", { documents: [{ id: 2 ** 60, vector: v }] }, 400, "2^53"],
  ["boolean id", "POST", "upsert", { documents: [{ id: true, vector: v }] }, 400, "ids must be"],
  ["missing id", "POST", "upsert", { documents: [{ vector: v }] }, 400, "missing id"],
  ["string id over 64 bytes", "POST", "upsert", { documents: [{ id: long, vector: v }] }, 400, "64 bytes"],
  ["string id in a u64 namespace", "POST", "upsert", { documents: [{ id: "abc", vector: v }] }, 400, "u64 ids"],
  ["mixed id kinds", "POST", "upsert", { documents: [{ id: 5, vector: v }, { id: "x", vector: v }] }, 400, "mixes"],
  ["wrong attribute type", "POST", "upsert", { documents: [{ id: 2, vector: v, attributes: { n: "seven" } }] }, 400, "integer"],
  ["float into int attribute", "POST", "upsert", { documents: [{ id: 2, vector: v, attributes: { n: 1.5 } }] }, 400, "integer"],
  ["scalar into array attribute", "POST", "upsert", { documents: [{ id: 2, vector: v, attributes: { tags: "a" } }] }, 400, "array"],
  ["bad datetime", "POST", "upsert", { documents: [{ id: 2, vector: v, attributes: { when: "yesterday" } }] }, 400, "datetime"],
  ["reserved attribute name", "POST", "upsert", { documents: [{ id: 2, vector: v, attributes: { vector: 1 } }] }, 400, "reserved"],
  ["nested object attribute", "POST", "upsert", { documents: [{ id: 2, vector: v, attributes: { obj: { a: 1 } } }] }, 400, "string, number"],
  ["missing vector", "POST", "upsert", { documents: [{ id: 2, attributes: { title: "t" } }] }, 400, "needs one"],
  ["unknown document field", "POST", "upsert", { documents: [{ id: 2, vector: v, extra: 1 }] }, 400, "unknown field"],
  ["empty documents", "POST", "upsert", { documents: [] }, 400, "non-empty"],
  ["oversize batch", "POST", "upsert", { documents: Array.from({ length: 10_001 }, (_, i) => ({ id: i, vector: v })) }, 400, "at most 10000"],
  ["bad JSON", "POST", "upsert", "{not json", 400, "not valid JSON"],
  ["query with wrong dimension", "POST", "query", { vector: [1, 2] }, 400, "3 dimensions"],
  ["query top_k zero", "POST", "query", { vector: v, top_k: 0 }, 400, "top_k"],
  ["query top_k too large", "POST", "query", { vector: v, top_k: 10_001 }, 400, "top_k"],
  ["filter on unknown attribute", "POST", "query", { vector: v, filter: { field: "nope", op: "eq", value: 1 } }, 400, "unknown attribute"],
  ["filter with unknown op", "POST", "query", { vector: v, filter: { field: "n", op: "between", value: 1 } }, 400, "unknown operator"],
  ["filter value of wrong type", "POST", "query", { vector: v, filter: { field: "n", op: "gt", value: "ten" } }, 400, "integer"],
  ["filter 'in' without array", "POST", "query", { vector: v, filter: { field: "n", op: "in", value: 3 } }, 400, "array of values"],
  ["filter 'and' empty", "POST", "query", { vector: v, filter: { and: [] } }, 400, "non-empty array"],
  ["filter shape", "POST", "query", { vector: v, filter: ["n", "Eq", 1] }, 400, "expected an object"],
  ["contains on scalar attribute", "POST", "query", { vector: v, filter: { field: "title", op: "contains", value: "a" } }, 400, "array attribute"],
  ["unknown query field", "POST", "query", { vector: v, rank: 1 }, 400, "unknown field"],
  ["bad consistency", "POST", "query", { vector: v, consistency: "maybe" }, 400, "consistency"],
  ["delete with no ids", "POST", "delete", { ids: [] }, 400, "non-empty"],
  ["fetch with bad ids", "POST", "fetch", { ids: [{}] }, 400, "ids must be"],
];

describe("bad input gets a 4xx with a clear message and changes nothing", () => {
  it.each(cases)("%s", async (_name, method, route, body, status, fragment) => {
    const before = await api("GET", `/v1/namespaces/${ns}`, t.key);
    const res = await api(method, `/v1/namespaces/${ns}/${route}`, t.key, body);
    expect(res.status).toBe(status);
    expect(res.body.error.message).toContain(fragment);
    expect(res.body.error.code).toBe("INVALID_ARGUMENT");
    const after = await api("GET", `/v1/namespaces/${ns}`, t.key);
    expect(after.body.wal).toEqual(before.body.wal);
    expect(after.body.documents).toBe(before.body.documents);
    expect(after.body.schema).toEqual(before.body.schema);
  });

  it("rejects missing and bad API keys", async () => {
    const none = await api("GET", "/v1/namespaces", null);
    expect(none.status).toBe(401);
    expect(none.body.error.message).toContain("missing API key");
    const bad = await api("GET", "/v1/namespaces", "elk_not_a_key");
    expect(bad.status).toBe(401);
    const malformed = await SELF.fetch("http://x/v1/namespaces", { headers: { authorization: "Basic abc" } });
    expect(malformed.status).toBe(401);
  });

  it("answers 404 for an unknown namespace, on every route", async () => {
    for (const [method, route, body] of [
      ["GET", "", undefined],
      ["POST", "/upsert", { documents: [{ id: 1, vector: v }] }],
      ["POST", "/query", { vector: v }],
      ["POST", "/fetch", { ids: [1] }],
      ["POST", "/delete", { ids: [1] }],
      ["DELETE", "", undefined],
    ] as const) {
      const res = await api(method, `/v1/namespaces/does-not-exist${route}`, t.key, body);
      expect(res.status, `${method} ${route}`).toBe(404);
      expect(res.body.error.message).toContain("does-not-exist");
    }
  });

  it("rejects bad namespace names and schemas", async () => {
    for (const name of ["..", ".", "a%2Fb", "x".repeat(129), "sp%20ace"]) {
      const res = await api("PUT", `/v1/namespaces/${name}`, t.key, { schema: {} });
      expect([400, 404], name).toContain(res.status);
    }
    expect((await api("PUT", "/v1/namespaces/ok-name", t.key, { schema: { vector: { dimensions: 0 } } })).status).toBe(400);
    expect((await api("PUT", "/v1/namespaces/ok-name", t.key, { schema: { attributes: { a: { type: "decimal" } } } })).status).toBe(400);
    expect((await api("PUT", "/v1/namespaces/ok-name", t.key, { schema: { vector: { dimensions: 3, metric: "manhattan" } } })).status).toBe(400);
    expect((await api("PUT", "/v1/namespaces/ok-name", t.key, { schema: {}, extra: 1 })).status).toBe(400);
    // A conflicting schema for an existing namespace is 409 and changes nothing.
    const conflict = await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: 4 } } });
    expect(conflict.status).toBe(409);
  });

  it("rejects bodies over the size limit with 413", async () => {
    const res = await SELF.fetch(`http://x/v1/namespaces/${ns}/upsert`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.key}`, "content-length": String(64 << 20) },
      body: "{}",
    });
    expect(res.status).toBe(413);
  });
});
