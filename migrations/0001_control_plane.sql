-- Control plane: tenants, API keys (only salted hashes), and the namespace catalog.
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  -- First 16 hex digits of SHA-256 over the key: finds the row; the salted hash proves the key.
  lookup TEXT NOT NULL,
  salt TEXT NOT NULL,
  hash TEXT NOT NULL,
  scopes TEXT NOT NULL,
  namespace_prefix TEXT,
  expires_at INTEGER,
  revoked_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX api_keys_by_tenant ON api_keys(tenant_id);
CREATE INDEX api_keys_by_lookup ON api_keys(lookup);

CREATE TABLE namespaces (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  -- Matches the namespace Durable Object's incarnation: the R2 prefix of the live data.
  incarnation TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
