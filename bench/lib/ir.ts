/** Retrieval quality metrics as BEIR reports them (trec_eval conventions). */

/** nDCG@k with linear gains. */
export function ndcgAt(ranked: readonly string[], rels: Map<string, number>, k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => (dcg += (rels.get(id) ?? 0) / Math.log2(i + 2)));
  const ideal = [...rels.values()].filter((g) => g > 0).sort((a, b) => b - a).slice(0, k);
  let idcg = 0;
  ideal.forEach((g, i) => (idcg += g / Math.log2(i + 2)));
  return idcg === 0 ? 0 : dcg / idcg;
}

export function recallAt(ranked: readonly string[], rels: Map<string, number>, k: number): number {
  const relevant = [...rels].filter(([, g]) => g > 0).map(([d]) => d);
  if (relevant.length === 0) return 0;
  const top = new Set(ranked.slice(0, k));
  return relevant.filter((d) => top.has(d)).length / relevant.length;
}

/** Mean nDCG@10 and recall@100 of runs (query id → ranked doc ids) over every judged query. */
export function evaluate(runs: Map<string, string[]>, qrels: Map<string, Map<string, number>>): { ndcg: number; recall: number } {
  let ndcg = 0;
  let recall = 0;
  for (const [q, rels] of qrels) {
    const ranked = runs.get(q) ?? [];
    ndcg += ndcgAt(ranked, rels, 10);
    recall += recallAt(ranked, rels, 100);
  }
  return { ndcg: ndcg / qrels.size, recall: recall / qrels.size };
}
