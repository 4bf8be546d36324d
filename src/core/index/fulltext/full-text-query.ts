/**
 * A full-text query after analysis: per field its weight, config and distinct weighted terms, in a fixed
 * order that is also the order scores are summed in. It does not score; it turns the API's
 * `{"query", "fields": {name: weight}}` (or a single field) into what the stats and search phases take.
 */

import { InvalidArgumentError } from "../../errors.ts";
import { createAnalyzer, type Analyzer, type QueryTerm } from "./analyzer.ts";
import type { FullTextConfig } from "./full-text-config.ts";

export interface FieldQuery {
  field: string;
  weight: number;
  config: FullTextConfig;
  terms: QueryTerm[];
}

export interface FullTextQuery {
  fields: FieldQuery[];
}

/** Analyzers keyed by config object: schemas hand out the same resolved config for every query. */
const analyzers = new WeakMap<FullTextConfig, Analyzer>();

function analyzerFor(config: FullTextConfig): Analyzer {
  let a = analyzers.get(config);
  if (a === undefined) {
    a = createAnalyzer(config);
    analyzers.set(config, a);
  }
  return a;
}

/**
 * Analyzes `text` once per field with that field's analyzer. `fields` is a field name (weight 1) or
 * name → weight (finite, ≥ 0; a weight of 0 drops the field). Unknown or non-full-text fields are rejected.
 */
export function planFullTextQuery(
  text: string,
  fields: string | Readonly<Record<string, number>>,
  configs: Readonly<Record<string, FullTextConfig>>,
): FullTextQuery {
  if (typeof text !== "string") throw new InvalidArgumentError("full_text: query must be a string");
  const weights = typeof fields === "string" ? { [fields]: 1 } : fields;
  const names = Object.keys(weights);
  if (names.length === 0) throw new InvalidArgumentError("full_text: no fields to search");
  const out: FieldQuery[] = [];
  for (const field of names) {
    const config = configs[field];
    if (config === undefined) throw new InvalidArgumentError(`full_text: field '${field}' is not full-text indexed`);
    const weight = weights[field];
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) {
      throw new InvalidArgumentError(`full_text: weight of '${field}' must be a finite number ≥ 0, got ${weight}`);
    }
    if (weight === 0) continue;
    out.push({ field, weight, config, terms: analyzerFor(config).queryTerms(text) });
  }
  return { fields: out };
}

/**
 * A query whose clauses each have their own field, text and weight (turbopuffer's Sum of per-field
 * BM25 clauses). Clauses on one field fold into one field query whose term weights add up — the
 * score is linear in them — so every field appears once.
 */
export function planFullTextClauses(
  clauses: ReadonlyArray<{ field: string; text: string; weight: number }>,
  configs: Readonly<Record<string, FullTextConfig>>,
): FullTextQuery {
  const byField = new Map<string, Map<string, QueryTerm>>();
  for (const { field, text, weight } of clauses) {
    if (typeof text !== "string") throw new InvalidArgumentError("full_text: query must be a string");
    const config = configs[field];
    if (config === undefined) throw new InvalidArgumentError(`full_text: field '${field}' is not full-text indexed`);
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) {
      throw new InvalidArgumentError(`full_text: weight of '${field}' must be a finite number ≥ 0, got ${weight}`);
    }
    if (weight === 0) continue;
    const terms = byField.get(field) ?? byField.set(field, new Map()).get(field)!;
    for (const t of analyzerFor(config).queryTerms(text)) {
      const have = terms.get(t.term);
      if (have) {
        have.weight += weight * t.weight;
        have.count += t.count;
      } else terms.set(t.term, { ...t, weight: weight * t.weight });
    }
  }
  return { fields: [...byField].map(([field, terms]) => ({ field, weight: 1, config: configs[field], terms: [...terms.values()] })) };
}
