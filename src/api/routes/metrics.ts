/**
 * `GET /metrics`: Prometheus text exposition of the caller's tenant — per namespace documents,
 * writes, WAL backlog, segments, flushes, compactions, stored bytes and garbage — for an API key
 * with the admin scope. Figures come from each namespace's Durable Object (the source of truth).
 */
import type { Handler } from "hono";
import type { NamespaceDescription } from "../../../durable-objects/namespace-do.ts";
import { authorize } from "../../service/access.ts";
import { GuardedNamespaceService } from "../../service/guarded-namespace-service.ts";
import { NamespaceService } from "../../service/namespace-service.ts";
import { type AppEnv, deferOf } from "../context.ts";

/** Namespaces described per scrape; larger tenants are truncated (noted in elacsym_metrics_truncated). */
const MAX_NAMESPACES = 1000;
const CONCURRENCY = 8;

interface Metric {
  name: string;
  help: string;
  type: "gauge" | "counter";
  value: (d: NamespaceDescription) => number;
}

const METRICS: Metric[] = [
  { name: "elacsym_namespace_documents", help: "Live documents.", type: "gauge", value: (d) => d.documents },
  { name: "elacsym_namespace_writes_total", help: "Acknowledged write requests.", type: "counter", value: (d) => d.writes },
  { name: "elacsym_namespace_rows_written_total", help: "Document versions written.", type: "counter", value: (d) => d.rows_written },
  { name: "elacsym_namespace_wal_entries", help: "Unflushed WAL entries.", type: "gauge", value: (d) => d.wal.entries },
  { name: "elacsym_namespace_wal_bytes", help: "Unflushed WAL bytes.", type: "gauge", value: (d) => d.wal.bytes },
  { name: "elacsym_namespace_segments", help: "Segments in the current manifest.", type: "gauge", value: (d) => d.segments },
  { name: "elacsym_namespace_flushes_total", help: "Flushes committed.", type: "counter", value: (d) => d.flushes },
  { name: "elacsym_namespace_compactions_total", help: "Compactions committed.", type: "counter", value: (d) => d.storage?.compaction.compactions ?? 0 },
  { name: "elacsym_namespace_dead_rows", help: "Deleted or superseded rows still stored.", type: "gauge", value: (d) => d.storage?.dead_rows ?? 0 },
  { name: "elacsym_namespace_stored_bytes", help: "Bytes of segments, full-text indexes and deletion files.", type: "gauge", value: (d) => (d.storage ? d.storage.bytes.segments + d.storage.bytes.full_text + d.storage.bytes.deletes : 0) },
  { name: "elacsym_namespace_garbage_objects", help: "Unreferenced objects waiting for their grace period.", type: "gauge", value: (d) => d.storage?.garbage.objects ?? 0 },
];

function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export const metrics: Handler<AppEnv> = async (c) => {
  const auth = c.get("auth");
  authorize(auth, "admin");
  const service = new GuardedNamespaceService(c.env, auth, c.get("requestId"), deferOf(c));
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await service.list({ cursor, limit: 1000 });
    names.push(...page.namespaces.map((n) => n.name));
    cursor = page.next_cursor;
  } while (cursor && names.length < MAX_NAMESPACES);
  // One scrape is one admitted request: describing each namespace does not spend rate-limit tokens.
  const engine = new NamespaceService(c.env, auth.tenant, deferOf(c));
  const described: NamespaceDescription[] = [];
  for (let i = 0; i < Math.min(names.length, MAX_NAMESPACES); i += CONCURRENCY) {
    const batch = await Promise.all(names.slice(i, i + CONCURRENCY).map((n) => engine.describe(n).catch(() => null)));
    for (const d of batch) if (d) described.push(d);
  }
  const lines: string[] = [];
  for (const m of METRICS) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const d of described) lines.push(`${m.name}{tenant="${label(auth.tenant)}",namespace="${label(d.name)}"} ${m.value(d)}`);
  }
  lines.push("# HELP elacsym_metrics_truncated 1 when the tenant has more namespaces than one scrape describes.", "# TYPE elacsym_metrics_truncated gauge", `elacsym_metrics_truncated{tenant="${label(auth.tenant)}"} ${names.length > MAX_NAMESPACES || cursor ? 1 : 0}`);
  return c.body(lines.join("\n") + "\n", 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
};
