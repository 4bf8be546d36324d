import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeTenant, namespaceStub, type TestTenant } from "../helpers/api.ts";

let t: TestTenant;
beforeAll(async () => {
  t = await makeTenant();
});

async function setup(ns: string): Promise<void> {
  await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: { vector: { dimensions: 2 } } });
  await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 1, vector: [1, 0] }] });
  await api("POST", `/v1/namespaces/${ns}/upsert`, t.key, { documents: [{ id: 2, vector: [0, 1] }] });
}

/** Flips one byte of the WAL entry starting at `seq`, as a bad disk would. */
async function corrupt(ns: string, seq: number): Promise<void> {
  await runInDurableObject(namespaceStub(t.id, ns), (_instance, state) => {
    const row = state.storage.sql.exec<{ bytes: ArrayBuffer }>("SELECT bytes FROM wal WHERE seq = ? AND part = 0", seq).one();
    const bytes = new Uint8Array(row.bytes);
    bytes[bytes.length - 1] ^= 0xff;
    state.storage.sql.exec("UPDATE wal SET bytes = ? WHERE seq = ? AND part = 0", bytes, seq);
  });
}

async function expectUnavailable(ns: string): Promise<void> {
  for (const [method, route, body] of [
    ["POST", "/query", { vector: [1, 0] }],
    ["POST", "/upsert", { documents: [{ id: 3, vector: [1, 1] }] }],
    ["GET", "", undefined],
  ] as const) {
    const res = await api(method, `/v1/namespaces/${ns}${route}`, t.key, body);
    expect(res.status, `${method} ${route}`).toBe(500);
    expect(res.body.error.code).toBe("DATA_CORRUPTION");
    expect(res.body.error.message).toContain("entry 2");
    expect(res.body.error.message).toContain("crc mismatch");
  }
}

describe("WAL corruption", () => {
  it("is detected on replay after a restart and reported, never skipped", async () => {
    const ns = "corrupt-replay";
    await setup(ns);
    await corrupt(ns, 2);
    await evictDurableObject(namespaceStub(t.id, ns));
    await expectUnavailable(ns);
  });

  it("is detected when a flush reads the entry", async () => {
    const ns = "corrupt-flush";
    await setup(ns);
    await corrupt(ns, 2);
    await runDurableObjectAlarm(namespaceStub(t.id, ns));
    await expectUnavailable(ns);
    // Nothing was flushed past the corrupt entry.
    await runInDurableObject(namespaceStub(t.id, ns), (_i, state) => {
      expect(state.storage.sql.exec("SELECT count(*) AS n FROM wal").one().n).toBe(2);
    });
  });

  it("can be cleared by deleting the namespace", async () => {
    const ns = "corrupt-drop";
    await setup(ns);
    await corrupt(ns, 2);
    await evictDurableObject(namespaceStub(t.id, ns));
    expect((await api("DELETE", `/v1/namespaces/${ns}`, t.key)).status).toBe(200);
    expect((await api("PUT", `/v1/namespaces/${ns}`, t.key, { schema: {} })).status).toBe(201);
    while (await runDurableObjectAlarm(namespaceStub(t.id, ns))) {
      // purge the old incarnation
    }
  });
});
