-- Control plane, part 2: per-tenant limits, usage snapshots and the audit log.

-- Per-tenant overrides of the deployment's default limits; NULL means "the default"
-- (src/catalog/tenant-limits.ts). A tenant without a row uses every default.
CREATE TABLE tenant_limits (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
  max_namespaces INTEGER,
  max_documents INTEGER,
  max_stored_bytes INTEGER,
  write_requests_per_second INTEGER,
  query_requests_per_second INTEGER,
  updated_at INTEGER NOT NULL
);

-- Usage as last reported by the tenant's Durable Object (durable-objects/tenant-do.ts), which holds
-- the live counters and copies them here from its alarm: D1 is never written per request.
-- (No foreign key: a background copy must never fail on it and hold back the audit entries it carries.)
CREATE TABLE tenant_usage (
  tenant_id TEXT PRIMARY KEY,
  documents INTEGER NOT NULL DEFAULT 0,
  stored_bytes INTEGER NOT NULL DEFAULT 0,
  write_requests INTEGER NOT NULL DEFAULT 0,
  query_requests INTEGER NOT NULL DEFAULT 0,
  rows_written INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);

-- Who did what: every write's metadata (actor = API key id) and every admin request (actor = 'admin').
-- `seq` orders entries as they reach D1 and is the pagination cursor; `id` is unique per entry so
-- that a retried delivery from a tenant Durable Object inserts nothing twice.
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  at INTEGER NOT NULL,
  tenant_id TEXT,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  namespace TEXT,
  rows INTEGER,
  request_id TEXT,
  detail TEXT
);
CREATE INDEX audit_log_by_tenant ON audit_log(tenant_id, seq);

CREATE INDEX tenants_by_created ON tenants(created_at, id);
