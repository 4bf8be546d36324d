// Re-exports of the full-text engine core: the surface the Durable Object, the Worker query path and
// compaction integrate against. No logic here.

export { createAnalyzer, type Analyzer, type QueryTerm } from "./analyzer.ts";
export { bm25Idf, bm25TfPart, clauseScore, type ScoringClause } from "./bm25.ts";
export {
  DEFAULT_FULL_TEXT_CONFIG, FULL_TEXT_LANGUAGES, resolveFullTextConfig, sameAnalysis,
  type FullTextConfig, type FullTextConfigInput, type FullTextLanguage,
} from "./full-text-config.ts";
export { planFullTextQuery, type FieldQuery, type FullTextQuery } from "./full-text-query.ts";
export { emptyStats, mergeStats, resolveClauses, type FieldStats, type FullTextStats } from "./full-text-stats.ts";
export { mergeFullTextIndexes, type MergeInput } from "./index-merge.ts";
export { FullTextIndexReader, type ReaderOptions } from "./index-reader.ts";
export { analysisFingerprint, FullTextIndexWriter, type TextValue } from "./index-writer.ts";
export {
  collectSegmentStats, searchSegment, type SegmentSearchCounts, type SegmentSearchOptions,
} from "./segment-search.ts";
export { MemoryFullTextIndex, scoreTailMatches, type TailMatches } from "./tail-index.ts";
export { ranksBefore, TopKCollector, type ScoredDoc } from "./top-k-collector.ts";
