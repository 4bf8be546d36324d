/**
 * Request and response schemas of the admin API: tenants, API keys, limits, usage and the audit log.
 * Checks that need the clock or D1 (an expiry in the past, a tenant that exists) stay in the routes.
 */
import * as z from "zod";
import { LIMIT_NAMES, type LimitName, MINIMUM_LIMITS } from "../../catalog/tenant-limits.ts";
import { MAX_AUDIT_PAGE } from "../../catalog/d1-audit.ts";
import { intParam } from "./common.ts";

export const MAX_TENANT_PAGE = 1000;
const MAX_TENANT_NAME = 200;

export const TenantCreate = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1, { error: "'name' must be a non-empty string" })
      .max(MAX_TENANT_NAME, { error: `'name' must be at most ${MAX_TENANT_NAME} characters` })
      .regex(/^[^\u0000-\u001f\u007f]*$/, { error: "'name' must not contain control characters" }),
  })
  .meta({ id: "TenantCreate" });

// RFC 3339 with a time zone; Date.parse alone would accept local-time forms.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export const KeyCreate = z
  .strictObject({
    scopes: z.array(z.enum(["read", "write", "admin"])).min(1, { error: 'expected a non-empty array of "read", "write", "admin"' }),
    namespace_prefix: z
      .string({ error: "expected 1–128 characters from A–Z a–z 0–9 - _ ." })
      .regex(/^[A-Za-z0-9_.-]{1,128}$/, { error: "expected 1–128 characters from A–Z a–z 0–9 - _ ." })
      .nullish()
      .meta({ description: "Restricts the key to namespaces starting with this prefix." }),
    expires_at: z
      .string({ error: 'expected an RFC 3339 time such as "2030-01-01T00:00:00Z"' })
      .regex(RFC3339, { error: 'expected an RFC 3339 time such as "2030-01-01T00:00:00Z"' })
      .refine((v) => !Number.isNaN(Date.parse(v)), { error: 'expected an RFC 3339 time such as "2030-01-01T00:00:00Z"' })
      .nullish()
      .meta({ format: "date-time" }),
  })
  .meta({ id: "KeyCreate" });

export const LimitsPatch = z
  .strictObject(
    Object.fromEntries(
      LIMIT_NAMES.map((name) => [name, z.int().min(MINIMUM_LIMITS[name], { error: `expected an integer ≥ ${MINIMUM_LIMITS[name]} or null (the default)` }).nullable().optional()]),
    ) as Record<LimitName, z.ZodOptional<z.ZodNullable<z.ZodInt>>>,
  )
  .refine((p) => Object.keys(p).length > 0, { error: `name at least one of ${LIMIT_NAMES.join(", ")}` })
  .meta({ id: "LimitsPatch", description: "Limits to override; null returns a limit to the deployment default. Rates are at least 1." });

export const TenantListQuery = z.object({
  limit: intParam(1, MAX_TENANT_PAGE).optional(),
  cursor: z.string().optional().meta({ description: "`next_cursor` of the previous page (opaque)." }),
});

export const AuditQuery = z.object({
  tenant: z.string().min(1, { error: "'tenant' must name a tenant id" }).optional(),
  limit: intParam(1, MAX_AUDIT_PAGE).optional(),
  cursor: z.string().optional().meta({ description: "`next_cursor` of the previous page (opaque)." }),
});

const Time = z.string().nullable().meta({ format: "date-time" });

export const Tenant = z
  .object({ id: z.string(), name: z.string(), status: z.enum(["active", "suspended"]), created_at: Time })
  .meta({ id: "Tenant" });

const Limits = z.object(Object.fromEntries(LIMIT_NAMES.map((n) => [n, z.int()])) as Record<LimitName, z.ZodInt>).meta({ id: "TenantLimits" });

export const TenantWithLimits = Tenant.extend({ limits: Limits });
export const TenantList = z.object({ tenants: z.array(Tenant), next_cursor: z.string().optional() });

export const ApiKey = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    scopes: z.array(z.enum(["read", "write", "admin"])),
    namespace_prefix: z.string().nullable(),
    expires_at: Time,
    revoked_at: Time,
    created_at: Time,
    status: z.enum(["active", "expired", "revoked"]),
  })
  .meta({ id: "ApiKey" });

export const NewApiKey = ApiKey.extend({ key: z.string().meta({ description: "The key itself: shown only in this response." }) });
export const KeyList = z.object({ keys: z.array(ApiKey) });

export const LimitsView = z.object({ tenant: z.string(), limits: Limits, overrides: z.record(z.string(), z.int().nullable()) });

export const Usage = z.object({
  tenant: z.string(),
  namespaces: z.int(),
  documents: z.int(),
  stored_bytes: z.int(),
  write_requests: z.int(),
  query_requests: z.int(),
  rows_written: z.int(),
  limits: Limits,
  as_of: Time,
});

export const AuditPage = z
  .object({ entries: z.array(z.record(z.string(), z.unknown())), next_cursor: z.string().optional() })
  .catchall(z.unknown())
  .meta({ id: "AuditPage" });
