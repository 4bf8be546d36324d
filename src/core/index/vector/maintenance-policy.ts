/**
 * Which clusters of a namespace-level IVF index to rewrite next, and how: the whole cluster (its
 * delta blocks grew large next to its base, or it is due a split), or only its deltas merged into
 * one block beside an untouched base. Owns the choice; not the rewrite (ivf-maintenance.ts).
 *
 * Why two kinds: every flush adds one small block to nearly every cluster (a 1M-vector index has
 * ~2,000 clusters, so a 2,700-row flush adds ~1.4 entries to each). Rewriting whole clusters every
 * few flushes rewrote the whole index every few flushes: ~90 rewrites of each vector at 1M. Deltas
 * merge among themselves instead, the newest balanced run at a time (no block in the run holds more
 * than half its entries, as segments do in compaction/merge-policy.ts), so a delta entry is
 * rewritten about log2(DELTA_RATIO · base / entries per flush) times; the base is rewritten once
 * the deltas reach DELTA_RATIO of it. A cluster never has more than MAX_CLUSTER_BLOCKS + 1 blocks.
 */
import { type IndexDirectory, clusterStarts } from "./index-directory.ts";
import { SPLIT_FACTOR } from "./ivf-maintenance.ts";

/** Blocks a cluster may collect (one per flush that touched it) before its deltas are merged. */
export const MAX_CLUSTER_BLOCKS = 4;
/** A cluster is rewritten whole once its delta entries reach this share of its base block. */
export const DELTA_RATIO = 0.25;

export interface ClusterWork {
  clusterId: number;
  /** "whole": every block into one (or a split); "deltas": the newest deltas into one, the rest kept. */
  kind: "whole" | "deltas";
  /** Directory block indexes read and replaced, oldest first. */
  blocks: number[];
  /** Bytes of those blocks (scan + vectors parts): what the step reads and rewrites. */
  bytes: number;
  /** Entries of all the cluster's blocks. */
  entries: number;
}

/** Every cluster that needs rewriting, in cluster order (adjacent clusters share read ranges). */
export function pickClusters(dir: IndexDirectory, targetClusterSize: number): ClusterWork[] {
  const starts = clusterStarts(dir);
  const work: ClusterWork[] = [];
  for (let cl = 0; cl < dir.nlist; cl++) {
    const first = starts[cl];
    const last = starts[cl + 1];
    if (last === first) continue;
    let entries = 0;
    let base = first;
    for (let b = first; b < last; b++) {
      entries += dir.blocks[b].count;
      if (dir.blocks[b].count > dir.blocks[base].count) base = b;
    }
    const baseCount = dir.blocks[base].count;
    const all = Array.from({ length: last - first }, (_, i) => first + i);
    let kind: ClusterWork["kind"] | null = null;
    if (entries > SPLIT_FACTOR * targetClusterSize || (last - first > 1 && entries - baseCount >= DELTA_RATIO * baseCount)) kind = "whole";
    else if (last - first > MAX_CLUSTER_BLOCKS) kind = "deltas";
    if (!kind) continue;
    const blocks = kind === "whole" ? all : newestBalancedRun(dir, all.filter((b) => b !== base));
    let bytes = 0;
    for (const b of blocks) bytes += dir.blocks[b].scanBytes + dir.blocks[b].vectorBytes;
    work.push({ clusterId: cl, kind, blocks, bytes, entries });
  }
  return work;
}

/**
 * The longest run of the newest deltas in which no block holds more than half the run's entries;
 * the newest two when no run is balanced (each then holds at least twice the next one's entries,
 * so they cannot stay many). Merged runs are always the newest, so blocks stay in age order.
 */
function newestBalancedRun(dir: IndexDirectory, deltas: number[]): number[] {
  for (let s = 0; s + 2 <= deltas.length; s++) {
    let sum = 0;
    let max = 0;
    for (let i = s; i < deltas.length; i++) {
      const n = dir.blocks[deltas[i]].count;
      sum += n;
      if (n > max) max = n;
    }
    if (2 * max <= sum) return deltas.slice(s);
  }
  return deltas.slice(-2);
}

/** The first clusters of `due` whose bytes fit `budget` (always at least one). */
export function takeBatch(due: ClusterWork[], budget: number): ClusterWork[] {
  const batch: ClusterWork[] = [];
  let bytes = 0;
  for (const w of due) {
    if (batch.length > 0 && bytes + w.bytes > budget) break;
    batch.push(w);
    bytes += w.bytes;
  }
  return batch;
}
