/**
 * Rules for the names users choose: namespaces and attributes. Tenant ids and object keys are
 * built from these, so the rules also keep names from escaping their key prefix.
 */
import { InvalidArgumentError } from "../errors.ts";

export const NAMESPACE_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
/** Names the document model uses itself. */
export const RESERVED_ATTRIBUTES = new Set(["id", "vector", "_seq"]);

export function checkNamespaceName(name: string): string {
  if (typeof name !== "string" || !NAMESPACE_NAME.test(name)) {
    throw new InvalidArgumentError(
      `namespace: invalid name ${JSON.stringify(String(name).slice(0, 200))}: use 1–128 characters from A–Z a–z 0–9 - _ .`,
    );
  }
  if (name === "." || name === "..") {
    throw new InvalidArgumentError(`namespace: '${name}' is not a valid name`);
  }
  return name;
}

export function checkAttributeName(name: string): string {
  if (!ATTRIBUTE_NAME.test(name)) {
    throw new InvalidArgumentError(
      `schema: invalid attribute name ${JSON.stringify(name.slice(0, 200))}: start with a letter or _, then up to 127 of A–Z a–z 0–9 _ . -`,
    );
  }
  if (RESERVED_ATTRIBUTES.has(name)) {
    throw new InvalidArgumentError(`schema: attribute name '${name}' is reserved`);
  }
  return name;
}
