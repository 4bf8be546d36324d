/**
 * Contracts of the admin API (`/admin`, ELACSYM_ADMIN_TOKEN), enforced by routes/admin.ts with
 * `validated()`. Admin bodies are small: their size limit is ADMIN_BODY_BYTES, not the data limit.
 */
import * as z from "zod";
import type { RouteSpec } from "../openapi/route-spec.ts";
import {
  AuditPage,
  AuditQuery,
  KeyCreate,
  KeyList,
  LimitsPatch,
  LimitsView,
  NewApiKey,
  ApiKey,
  Tenant,
  TenantCreate,
  TenantList,
  TenantListQuery,
  TenantWithLimits,
  Usage,
} from "../schemas/admin.ts";
import { ElacsymError } from "../schemas/common.ts";

export const ADMIN_BODY_BYTES = 64 << 10;

const TenantId = z.string().meta({ description: "A tenant id (from `POST /admin/tenants`)." });
const tenant = { id: TenantId };
const example = { id: "t_0123456789abcdef" };
const notFound = { 404: { description: "No such tenant.", schema: ElacsymError } };
const base = { tag: "Admin", security: "adminToken", maxBodyBytes: ADMIN_BODY_BYTES } as const;

export const createTenant = {
  ...base,
  operationId: "adminCreateTenant",
  summary: "Create a tenant",
  body: TenantCreate,
  bodyName: "tenant",
  responses: { 201: { description: "Created.", schema: Tenant } },
  example: { body: { name: "Acme Corp" } },
} as const satisfies RouteSpec;

export const listTenants = {
  ...base,
  operationId: "adminListTenants",
  summary: "List tenants",
  query: TenantListQuery,
  responses: { 200: { description: "One page of tenants, oldest first.", schema: TenantList } },
  example: { query: { limit: "50" } },
} as const satisfies RouteSpec;

export const getTenant = {
  ...base,
  operationId: "adminGetTenant",
  summary: "Get a tenant",
  params: tenant,
  responses: { 200: { description: "The tenant and its effective limits.", schema: TenantWithLimits }, ...notFound },
  example: { params: example },
} as const satisfies RouteSpec;

export const suspendTenant = {
  ...base,
  operationId: "adminSuspendTenant",
  summary: "Suspend a tenant",
  description: "Its keys stop working until it is resumed.",
  params: tenant,
  responses: { 200: { description: "Suspended.", schema: Tenant }, ...notFound },
  example: { params: example },
} as const satisfies RouteSpec;

export const resumeTenant = {
  ...base,
  operationId: "adminResumeTenant",
  summary: "Resume a tenant",
  params: tenant,
  responses: { 200: { description: "Active again.", schema: Tenant }, ...notFound },
  example: { params: example },
} as const satisfies RouteSpec;

export const createKey = {
  ...base,
  operationId: "adminCreateKey",
  summary: "Create an API key",
  description: "The key is in this response only; D1 keeps a salted hash.",
  params: tenant,
  body: KeyCreate,
  bodyName: "key",
  responses: { 201: { description: "Created.", schema: NewApiKey }, ...notFound },
  example: { params: example, body: { scopes: ["read", "write"], namespace_prefix: "team-a-", expires_at: "2099-01-01T00:00:00Z" } },
} as const satisfies RouteSpec;

export const listKeys = {
  ...base,
  operationId: "adminListKeys",
  summary: "List a tenant's API keys",
  params: tenant,
  responses: { 200: { description: "The keys (never the keys themselves).", schema: KeyList }, ...notFound },
  example: { params: example },
} as const satisfies RouteSpec;

export const revokeKey = {
  ...base,
  operationId: "adminRevokeKey",
  summary: "Revoke an API key",
  params: { id: z.string().meta({ description: "An API key id." }) },
  responses: { 200: { description: "Revoked (idempotent).", schema: ApiKey }, 404: { description: "No such key.", schema: ElacsymError } },
  example: { params: { id: "k_0123456789abcdef" } },
} as const satisfies RouteSpec;

export const usage = {
  ...base,
  operationId: "adminTenantUsage",
  summary: "A tenant's usage",
  params: tenant,
  responses: { 200: { description: "Namespaces, documents, stored bytes, request counts and limits.", schema: Usage }, ...notFound },
  example: { params: example },
} as const satisfies RouteSpec;

export const patchLimits = {
  ...base,
  operationId: "adminPatchLimits",
  summary: "Change a tenant's limits",
  params: tenant,
  body: LimitsPatch,
  bodyName: "limits",
  responses: { 200: { description: "The effective limits and the overrides.", schema: LimitsView }, ...notFound },
  example: { params: example, body: { max_namespaces: 100, query_requests_per_second: 50, max_documents: null } },
} as const satisfies RouteSpec;

export const audit = {
  ...base,
  operationId: "adminAuditLog",
  summary: "Read the audit log",
  description: "Writes and admin actions, newest first; with `tenant`, that tenant's pending entries are copied to D1 first.",
  query: AuditQuery,
  responses: { 200: { description: "One page of entries.", schema: AuditPage } },
  example: { query: { limit: "100" } },
} as const satisfies RouteSpec;

export const clearCache = {
  ...base,
  operationId: "adminClearCache",
  summary: "Clear this isolate's caches",
  description: "Empties the isolate's object, footer and index-reader caches (for cold-read measurements).",
  responses: { 200: { description: "Cleared.", schema: z.object({ cleared: z.literal(true) }) } },
} as const satisfies RouteSpec;
