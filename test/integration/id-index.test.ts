/**
 * The id index's flush bookkeeping, batched over many ids (more than one statement's chunk): the
 * versions a flush makes dead, and the committed state of upserted and deleted ids.
 */
import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import type { IdIndex } from "../../durable-objects/id-index.ts";
import type { NamespaceDO } from "../../durable-objects/namespace-do.ts";
import type { TailRow } from "../../src/core/wal/memtable.ts";
import { api, makeTenant, namespaceStub } from "../helpers/api.ts";

const row = (n: number, seq: number, deleted = false): TailRow => ({ id: n, key: `k${n}`, seq, deleted, vector: null, attributes: {} });

it("finds dead versions and commits flushes across statement chunks", async () => {
  const t = await makeTenant();
  await api("PUT", "/v1/namespaces/ids", t.key, { schema: { vector: { dimensions: 2 } } });
  await runInDurableObject(namespaceStub(t.id, "ids"), async (instance: NamespaceDO) => {
    const obj = instance as unknown as { ids: IdIndex; ctx: DurableObjectState };
    const ids = obj.ids;
    const N = 25_000;
    const keys = Array.from({ length: N }, (_, i) => `k${i}`);
    // First flush: every id new, seq i + 1.
    obj.ctx.storage.transactionSync(() => ids.recordUpserts(keys, 1));
    const first = { upserts: keys.map((_, i) => row(i, i + 1)), deletes: [] };
    expect(ids.deadAfterFlush(first)).toEqual([]);
    obj.ctx.storage.transactionSync(() => ids.applyFlush(first));
    expect(ids.get("k24999")).toEqual({ seq: 25_000, deleted: false, flushed_seq: 25_000 });

    // Second slice: even ids rewritten, ids divisible by 3 deleted (6, 12, … rewritten, then deleted).
    const rewritten = keys.filter((_, i) => i % 2 === 0);
    obj.ctx.storage.transactionSync(() => ids.recordUpserts(rewritten, 100_001));
    const deleted = keys.filter((_, i) => i % 3 === 0);
    obj.ctx.storage.transactionSync(() => ids.recordDeletes(deleted, 200_001));
    const upserts = rewritten.map((k, j) => ({ k, j })).filter(({ k }) => Number(k.slice(1)) % 3 !== 0).map(({ k, j }) => row(Number(k.slice(1)), 100_001 + j));
    const deletes = deleted.map((k, j) => row(Number(k.slice(1)), 200_001 + j, true));
    const slice = { upserts, deletes };
    const dead = ids.deadAfterFlush(slice);
    // Every touched id's first version dies, in slice order (upserts, then deletes).
    expect(dead).toEqual([...upserts, ...deletes].map((r) => (r.id as number) + 1));
    obj.ctx.storage.transactionSync(() => ids.applyFlush(slice));
    expect(ids.get("k2")).toEqual({ seq: 100_002, deleted: false, flushed_seq: 100_002 });
    expect(ids.get("k3")).toBeNull();
    expect(ids.get("k6")).toBeNull();
    expect(ids.get("k1")).toEqual({ seq: 2, deleted: false, flushed_seq: 2 });
    // A delete flushed while a newer write waits keeps the id, with nothing live in segments.
    obj.ctx.storage.transactionSync(() => ids.recordDeletes(["k1"], 300_000));
    obj.ctx.storage.transactionSync(() => ids.recordUpserts(["k1"], 300_001));
    obj.ctx.storage.transactionSync(() => ids.applyFlush({ upserts: [], deletes: [row(1, 300_000, true)] }));
    expect(ids.get("k1")).toEqual({ seq: 300_001, deleted: false, flushed_seq: null });
  });
}, 60_000);
