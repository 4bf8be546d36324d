/**
 * The admin API's opaque tenants-list cursor: "{created_at}.{id}" of the last tenant of the
 * previous page. (Request bodies and other parameters are validated by src/api/schemas/admin.ts.)
 */
import { InvalidArgumentError } from "../../core/errors.ts";

/** A tenants-list cursor: "{created_at}.{id}" of the last tenant of the previous page. */
export function parseTenantCursor(raw: string | undefined): { created_at: number; id: string } | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d{1,16})\.([A-Za-z0-9_-]{1,128})$/.exec(raw);
  if (!m) throw new InvalidArgumentError(`cursor: invalid cursor ${JSON.stringify(raw.slice(0, 40))}`);
  return { created_at: Number(m[1]), id: m[2] };
}
