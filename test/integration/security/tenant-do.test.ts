/**
 * The tenant Durable Object on its own: usage reports that arrive out of order, request counters
 * corrected by unused lease tokens, and the audit outbox copied to D1 by the alarm, idempotently.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { WriteReport } from "../../../durable-objects/tenant-do.ts";
import type { AuditEntry } from "../../../src/catalog/d1-audit.ts";
import { tenantStub } from "../../../src/service/tenant-gate.ts";
import { makeTenant } from "../../helpers/api.ts";

function report(tenant: string, namespace: string, change: WriteReport["change"], at: number, usage?: { documents: number; stored_bytes: number; sequence: number }): WriteReport {
  const audit: AuditEntry = { id: crypto.randomUUID(), at, tenant_id: tenant, actor: "k_test", action: `test.${change}`, namespace, rows: change === "write" ? 1 : null, request_id: null, detail: null };
  return { audit, namespace, change, ...usage };
}

describe("tenant Durable Object", () => {
  it("keeps the newest usage per namespace whatever order reports arrive in", async () => {
    const t = await makeTenant();
    const stub = tenantStub(env, t.id);
    await stub.record(t.id, [report(t.id, "a", "create", 100), report(t.id, "a", "write", 110, { documents: 5, stored_bytes: 500, sequence: 5 })]);
    // A late report of an older write does not roll usage back.
    let u = await stub.record(t.id, [report(t.id, "a", "write", 105, { documents: 2, stored_bytes: 200, sequence: 2 })]);
    expect(u).toMatchObject({ documents: 5, stored_bytes: 500, namespaces_reported: 1 });
    await stub.record(t.id, [report(t.id, "b", "write", 120, { documents: 1, stored_bytes: 10, sequence: 1 })]);
    u = await stub.record(t.id, [report(t.id, "a", "drop", 130)]);
    expect(u).toMatchObject({ documents: 1, stored_bytes: 10, namespaces_reported: 1 });
    // Reports older than the drop are ignored; a re-created namespace counts again.
    u = await stub.record(t.id, [report(t.id, "a", "write", 125, { documents: 9, stored_bytes: 900, sequence: 9 })]);
    expect(u.documents).toBe(1);
    u = await stub.record(t.id, [report(t.id, "a", "create", 140), report(t.id, "a", "write", 150, { documents: 3, stored_bytes: 30, sequence: 1 })]);
    expect(u).toMatchObject({ documents: 4, stored_bytes: 40, namespaces_reported: 2, rows_written: 5 });
  });

  it("counts granted tokens as requests, minus those that expired unused", async () => {
    const t = await makeTenant();
    const stub = tenantStub(env, t.id);
    const g = await stub.lease({ tenant: t.id, kind: "query", want: 10, ratePerSecond: 100, unused: 0 });
    expect(g.granted).toBe(10);
    const g2 = await stub.lease({ tenant: t.id, kind: "query", want: 10, ratePerSecond: 100, unused: 4 });
    expect(g2.usage.query_requests).toBe(16);
    expect(g2.usage.write_requests).toBe(0);
  });

  it("copies the audit outbox and usage to D1 from its alarm, once", async () => {
    const t = await makeTenant();
    const stub = tenantStub(env, t.id);
    const r = report(t.id, "x", "write", Date.now(), { documents: 7, stored_bytes: 70, sequence: 7 });
    await stub.record(t.id, [r]);
    const durable = env.TENANT.get(env.TENANT.idFromName(`tenant:${t.id}`));
    expect(await runDurableObjectAlarm(durable)).toBe(true);
    // Delivered again (a retry after a lost answer): still one row.
    await stub.record(t.id, [r]);
    expect((await stub.flushNow()).pending).toBe(0);
    const rows = await env.DB.prepare("SELECT * FROM audit_log WHERE id = ?").bind(r.audit.id).all();
    expect(rows.results).toHaveLength(1);
    expect(rows.results[0]).toMatchObject({ tenant_id: t.id, actor: "k_test", namespace: "x", rows: 1 });
    const usage = await env.DB.prepare("SELECT * FROM tenant_usage WHERE tenant_id = ?").bind(t.id).first();
    expect(usage).toMatchObject({ documents: 7, stored_bytes: 70, rows_written: 2 });
  });
});
