/**
 * `include_attributes` where no schema is at hand (fetch by id): true, false or a list of names;
 * names the documents lack are simply absent from the answer.
 */
import { InvalidArgumentError } from "../errors.ts";

export function parseIncludeAttributesLoose(raw: unknown, where = "include_attributes"): string[] | null {
  if (raw === undefined || raw === true) return null;
  if (raw === false) return [];
  if (!Array.isArray(raw) || raw.some((n) => typeof n !== "string")) {
    throw new InvalidArgumentError(`${where}: expected true, false or a list of attribute names`);
  }
  return (raw as string[]).filter((n) => n !== "id");
}
