/**
 * Admin API request bodies and query parameters: unknown JSON → typed request | 400 that says what
 * is wrong. Nothing is written before a request passes these checks.
 */
import type { Scope } from "../../catalog/d1-catalog.ts";
import { InvalidArgumentError } from "../../core/errors.ts";

const SCOPES: readonly Scope[] = ["read", "write", "admin"];
const MAX_TENANT_NAME = 200;
const PREFIX = /^[A-Za-z0-9_.-]{1,128}$/;

function object(raw: unknown, what: string): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new InvalidArgumentError(`${what}: expected a JSON object`);
  return raw as Record<string, unknown>;
}

function onlyFields(body: Record<string, unknown>, what: string, allowed: string[]): void {
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) throw new InvalidArgumentError(`${what}: unknown field '${k}' (expected ${allowed.map((a) => `'${a}'`).join(", ")})`);
  }
}

export function parseTenantCreate(raw: unknown): { name: string } {
  const body = object(raw, "tenant");
  onlyFields(body, "tenant", ["name"]);
  const name = body.name;
  if (typeof name !== "string" || name.trim().length === 0) throw new InvalidArgumentError(`tenant: 'name' must be a non-empty string`);
  if (name.length > MAX_TENANT_NAME) throw new InvalidArgumentError(`tenant: 'name' must be at most ${MAX_TENANT_NAME} characters, got ${name.length}`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new InvalidArgumentError("tenant: 'name' must not contain control characters");
  return { name: name.trim() };
}

export interface KeyCreate {
  scopes: Scope[];
  namespace_prefix: string | null;
  expires_at: number | null;
}

export function parseKeyCreate(raw: unknown, now: number): KeyCreate {
  const body = object(raw, "key");
  onlyFields(body, "key", ["scopes", "namespace_prefix", "expires_at"]);
  const scopes = body.scopes;
  if (!Array.isArray(scopes) || scopes.length === 0) throw new InvalidArgumentError(`key: 'scopes' must be a non-empty array of ${SCOPES.map((s) => `"${s}"`).join(", ")}`);
  for (const s of scopes) {
    if (typeof s !== "string" || !(SCOPES as readonly string[]).includes(s)) throw new InvalidArgumentError(`key: unknown scope ${JSON.stringify(s)} (expected ${SCOPES.join(", ")})`);
  }
  let prefix: string | null = null;
  if (body.namespace_prefix !== undefined && body.namespace_prefix !== null) {
    if (typeof body.namespace_prefix !== "string" || !PREFIX.test(body.namespace_prefix)) {
      throw new InvalidArgumentError("key: 'namespace_prefix' must be 1–128 characters from A–Z a–z 0–9 - _ .");
    }
    prefix = body.namespace_prefix;
  }
  let expires: number | null = null;
  if (body.expires_at !== undefined && body.expires_at !== null) {
    const v = body.expires_at;
    // RFC 3339 with a time zone; Date.parse alone would accept local-time forms.
    if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(Date.parse(v))) {
      throw new InvalidArgumentError(`key: 'expires_at' must be an RFC 3339 time such as "2030-01-01T00:00:00Z", got ${JSON.stringify(v)}`);
    }
    expires = Date.parse(v);
    if (expires <= now) throw new InvalidArgumentError(`key: 'expires_at' ${v} is in the past`);
  }
  return { scopes: [...new Set(scopes as Scope[])], namespace_prefix: prefix, expires_at: expires };
}

export function parseLimit(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`limit: expected an integer from 1 to ${max}`);
  return n;
}

/** A tenants-list cursor: "{created_at}.{id}" of the last tenant of the previous page. */
export function parseTenantCursor(raw: string | undefined): { created_at: number; id: string } | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d{1,16})\.([A-Za-z0-9_-]{1,128})$/.exec(raw);
  if (!m) throw new InvalidArgumentError(`cursor: invalid cursor ${JSON.stringify(raw.slice(0, 40))}`);
  return { created_at: Number(m[1]), id: m[2] };
}
