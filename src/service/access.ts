/**
 * Who the caller is and what its API key allows: scopes (admin ⊃ write ⊃ read) and the optional
 * namespace prefix. Pure policy, shared by both HTTP APIs through GuardedNamespaceService.
 */
import type { Scope } from "../catalog/d1-catalog.ts";
import type { TenantLimits } from "../catalog/tenant-limits.ts";
import { EngineError } from "../core/errors.ts";

export interface AuthInfo {
  tenant: string;
  keyId: string;
  scopes: Scope[];
  namespacePrefix: string | null;
  expiresAt: number | null;
  /** The tenant's effective limits (defaults with its overrides), as of the cached lookup. */
  limits: TenantLimits;
}

const RANK: Record<Scope, number> = { read: 0, write: 1, admin: 2 };

/**
 * 403 unless the key has `scope` and may touch `namespace`. Scopes nest: admin ⊃ write ⊃ read.
 * read: list, describe, query, fetch; write: create namespaces, upsert, patch, delete documents;
 * admin: delete namespaces.
 */
export function authorize(info: AuthInfo, scope: Scope, namespace?: string): void {
  const best = Math.max(...info.scopes.map((s) => RANK[s] ?? -1));
  if (best < RANK[scope]) throw new EngineError("PERMISSION_DENIED", `auth: this API key lacks the '${scope}' scope`);
  if (namespace !== undefined && info.namespacePrefix && !namespace.startsWith(info.namespacePrefix)) {
    throw new EngineError("PERMISSION_DENIED", `auth: this API key is limited to namespaces starting with '${info.namespacePrefix}'`);
  }
}

/** The list prefix a key may use: a prefix-restricted key only ever lists inside its prefix. */
export function clampListPrefix(info: AuthInfo, prefix: string | undefined): string | undefined {
  const keyPrefix = info.namespacePrefix;
  if (!keyPrefix || (prefix ?? "").startsWith(keyPrefix)) return prefix;
  // A shorter prefix that the key's prefix extends narrows to the key's; any other matches nothing.
  return keyPrefix.startsWith(prefix ?? "") ? keyPrefix : `${prefix}\u0000`;
}
