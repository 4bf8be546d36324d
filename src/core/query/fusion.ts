/**
 * Reciprocal Rank Fusion (Cormack, Clarke & Büttcher 2009) of ranked result lists, the server-side hybrid of
 * vector and full-text arms: score(d) = Σ_arms weight_arm / (k + rank_arm(d)), ranks 1-based, an arm that does
 * not return d adds nothing. It does not run the arms; each arm should return at least the fused top_k
 * candidates (more improves fusion: a document ranked low in both arms can still win).
 *
 * Ties are broken deterministically: higher fused score first, then the better (smaller) best rank in any
 * arm, then the arm listed first that reached that rank (one arm holds one id per rank, so this is total;
 * the id comparison after it is only a guard).
 */

import { InvalidArgumentError } from "../errors.ts";

export const DEFAULT_RRF_K = 60;

export interface FusionArm<K> {
  /** Ids in rank order, best first; duplicates after the first occurrence are ignored. */
  ids: readonly K[];
  /** Defaults to 1. */
  weight?: number;
}

export interface FusedResult<K> {
  id: K;
  score: number;
}

export interface FusionOptions {
  /** The rank constant k (> 0); defaults to 60. */
  k?: number;
  /** Keep only the best topK results. */
  topK?: number;
}

interface Acc<K> {
  id: K;
  score: number;
  bestRank: number;
  bestArm: number;
}

function compareIds<K>(a: K, b: K): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function reciprocalRankFusion<K extends string | number | bigint>(
  arms: ReadonlyArray<FusionArm<K>>, options: FusionOptions = {},
): FusedResult<K>[] {
  const k = options.k ?? DEFAULT_RRF_K;
  if (typeof k !== "number" || !Number.isFinite(k) || k <= 0) throw new InvalidArgumentError(`rrf: k must be a finite number > 0, got ${k}`);
  const acc = new Map<K, Acc<K>>();
  arms.forEach((arm, armIndex) => {
    const w = arm.weight ?? 1;
    if (typeof w !== "number" || !Number.isFinite(w) || w < 0) {
      throw new InvalidArgumentError(`rrf: weight of arm ${armIndex} must be a finite number ≥ 0, got ${w}`);
    }
    const seen = new Set<K>();
    let rank = 0;
    for (const id of arm.ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      rank++;
      const a = acc.get(id);
      const contribution = w / (k + rank);
      if (a === undefined) acc.set(id, { id, score: contribution, bestRank: rank, bestArm: armIndex });
      else {
        a.score += contribution;
        if (rank < a.bestRank) {
          a.bestRank = rank;
          a.bestArm = armIndex;
        }
      }
    }
  });
  const out = [...acc.values()].sort(
    (a, b) => b.score - a.score || a.bestRank - b.bestRank || a.bestArm - b.bestArm || compareIds(a.id, b.id),
  );
  const limited = options.topK !== undefined ? out.slice(0, options.topK) : out;
  return limited.map(({ id, score }) => ({ id, score }));
}
