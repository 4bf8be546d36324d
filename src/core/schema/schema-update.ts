/**
 * Changing an existing namespace's schema (turbopuffer's schema endpoint and the `schema` of its
 * writes): what may change, and the merged schema. The rules keep every stored byte valid:
 *
 * - new attributes may be added with any settings (no stored value can contradict them);
 * - `filterable` may change either way (values are stored in every case; the flag only gates filters);
 * - an attribute's type never changes, nor the id kind or the vector dimensions and metric once set;
 * - `full_text` of an existing attribute (enabling, disabling or reconfiguring it) may change only
 *   while nothing has been flushed: the unflushed tail is re-indexed in memory, but flushed segments'
 *   full-text indexes are immutable and no backfill rebuilds them, so afterwards the change is a 400.
 *
 * Re-declaring an attribute exactly as it is (clients often send the same schema with every write)
 * changes nothing.
 */
import { InvalidArgumentError } from "../errors.ts";
import type { AttributeSchema, Schema } from "./schema.ts";

function sameFullText(a: AttributeSchema["full_text"], b: AttributeSchema["full_text"]): boolean {
  return JSON.stringify(a ?? null, Object.keys(a ?? {}).sort()) === JSON.stringify(b ?? null, Object.keys(b ?? {}).sort());
}

const metricName = (m: string) => (m === "cosine" ? "cosine_distance" : m);

/**
 * Merges `requested` (a parsed schema naming only what the caller declares) into `existing`.
 * `hasFlushedData`: whether segments exist or a flush is under way. Returns `existing` itself when
 * nothing changes.
 */
export function mergeSchemaUpdate(existing: Schema, requested: Schema, hasFlushedData: boolean): Schema {
  let next = existing;
  const edit = (): Schema => (next === existing ? (next = { ...existing, attributes: { ...existing.attributes } }) : next);

  if (requested.id_type && requested.id_type !== existing.id_type) {
    if (existing.id_type) {
      throw new InvalidArgumentError(`schema.id: this namespace uses ${existing.id_type} ids; the id type cannot change (got ${requested.id_type})`);
    }
    edit().id_type = requested.id_type;
  }
  if (requested.vector) {
    const have = existing.vector;
    if (have) {
      if (have.dimensions !== requested.vector.dimensions) {
        throw new InvalidArgumentError(`schema.vector: this namespace stores ${have.dimensions}-dimensional vectors; got ${requested.vector.dimensions}`);
      }
      if (have.metric !== requested.vector.metric) {
        throw new InvalidArgumentError(`distance_metric: this namespace uses ${metricName(have.metric)}; got ${metricName(requested.vector.metric)}`);
      }
    } else {
      edit().vector = requested.vector;
    }
  }
  for (const [name, attr] of Object.entries(requested.attributes)) {
    const have = existing.attributes[name];
    if (!have) {
      edit().attributes[name] = attr;
      continue;
    }
    if (have.type !== attr.type) {
      throw new InvalidArgumentError(`schema.${name}.type: attribute '${name}' is ${have.type}; its type cannot change to ${attr.type}`);
    }
    const fullTextChanges = !sameFullText(have.full_text, attr.full_text);
    if (fullTextChanges && hasFlushedData) {
      throw new InvalidArgumentError(
        `schema.${name}.full_text_search: full-text settings of existing attribute '${name}' cannot change once the namespace has flushed data ` +
          `(its segments' full-text indexes would need rebuilding, which Elacsym does not do); declare full-text attributes before writing, or write into a new namespace`,
      );
    }
    if (fullTextChanges || have.filterable !== attr.filterable) edit().attributes[name] = attr;
  }
  return next;
}
