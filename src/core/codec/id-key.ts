/**
 * Document ids: validation of the three id kinds and the order-preserving text key used for the
 * Durable Object's id index and for in-memory maps. Not the Parquet id column (segment/parquet-columns.ts).
 */
import { InvalidArgumentError } from "../errors.ts";
import type { DocId, IdType } from "../types.ts";

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const MAX_STRING_ID_BYTES = 64;
const encoder = new TextEncoder();

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Validates an id from a request and returns it normalized (UUIDs lowercased) with its kind. */
export function parseDocId(raw: unknown, where = "id"): { id: DocId; type: IdType } {
  if (typeof raw === "number") {
    if (!Number.isSafeInteger(raw) || raw < 0) {
      throw new InvalidArgumentError(
        `${where}: numeric ids must be integers from 0 to 2^53−1 (got ${raw})`,
      );
    }
    return { id: raw, type: "u64" };
  }
  if (typeof raw === "string") {
    if (raw.length === 0) throw new InvalidArgumentError(`${where}: string ids must not be empty`);
    if (isUuid(raw)) return { id: raw.toLowerCase(), type: "uuid" };
    if (encoder.encode(raw).byteLength > MAX_STRING_ID_BYTES) {
      throw new InvalidArgumentError(
        `${where}: string ids are limited to ${MAX_STRING_ID_BYTES} bytes of UTF-8 (got ${encoder.encode(raw).byteLength})`,
      );
    }
    return { id: raw, type: "string" };
  }
  throw new InvalidArgumentError(
    `${where}: ids must be unsigned integers, UUIDs or strings (got ${raw === null ? "null" : typeof raw})`,
  );
}

export function idTypeOf(id: DocId): IdType {
  if (typeof id === "number") return "u64";
  return isUuid(id) ? "uuid" : "string";
}

/**
 * Order-preserving text key: numbers sort numerically (zero-padded hex), then UUIDs, then strings.
 * SQLite compares TEXT bytewise, which keeps this order for the id index.
 */
export function idKey(id: DocId): string {
  if (typeof id === "number") return "0" + id.toString(16).padStart(14, "0");
  if (isUuid(id)) return "1" + id;
  return "2" + id;
}

export function idFromKey(key: string): DocId {
  const tag = key.charCodeAt(0);
  if (tag === 0x30) return parseInt(key.slice(1), 16);
  return key.slice(1);
}
