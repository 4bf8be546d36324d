/**
 * Seeded k-means (k-means++ initialisation, Lloyd iterations) over an in-memory sample, with the
 * distance batches on the kernels (the sample is made resident once). Owns clustering only: the
 * caller bounds the sample (reservoir-sample.ts) and decides k.
 *
 * Assignment is by squared euclidean distance for every metric: cosine vectors are unit length,
 * where it orders like cosine; for dot product it gives the usual IVF partition (probing then
 * ranks centroids by the metric, see ivf-search.ts).
 */

import { InvalidArgumentError } from "../../errors.ts";
import type { F32Matrix, VectorKernels } from "./kernels.ts";
import { createRng } from "./seeded-rng.ts";

export interface KMeansOptions {
  seed: number;
  kernels: VectorKernels;
  /** Lloyd iterations (default 12); stops early when < 0.2 % of points move. */
  iterations?: number;
}

export interface KMeansResult {
  /** k × dim. */
  centroids: Float32Array;
  /** Cluster of each sample point. */
  assignment: Int32Array;
  sizes: Uint32Array;
}

/**
 * k-means over the rows of a resident matrix (the caller may drop its own copy of the sample once
 * the matrix exists: the build's memory budget counts the sample once). `kernels` makes each
 * iteration's centroids resident for the assignment step.
 */
export function trainKMeansOn(matrix: F32Matrix, k: number, opts: KMeansOptions): KMeansResult {
  const n = matrix.rows;
  const dim = matrix.dim;
  if (k < 1 || n < 1) throw new InvalidArgumentError(`kmeans: need k ≥ 1 and n ≥ 1 (k=${k}, n=${n})`);
  k = Math.min(k, n);
  const rng = createRng(opts.seed);
  const centroids = new Float32Array(k * dim);
  const best = new Float32Array(n);
  const assignment = new Int32Array(n);
  const dist = new Float32Array(n);
  let finiteSample = true;
  for (let i = 0; i < n && finiteSample; i++) finiteSample = allFinite(matrix.row(i));

  // k-means++: each new centre drawn with probability ∝ squared distance to the nearest chosen one.
  let first = rng.nextInt(n);
  centroids.set(matrix.row(first), 0);
  matrix.l2(centroids.subarray(0, dim), best);
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += best[i];
    let pick = 0;
    if (total > 0) {
      let r = rng.next() * total;
      for (pick = 0; pick < n - 1; pick++) {
        r -= best[pick];
        if (r <= 0) break;
      }
    } else {
      pick = rng.nextInt(n);
    }
    first = pick;
    const c = centroids.subarray(j * dim, (j + 1) * dim);
    c.set(matrix.row(pick));
    matrix.l2(c, dist);
    for (let i = 0; i < n; i++) {
      if (dist[i] < best[i]) {
        best[i] = dist[i];
        assignment[i] = j;
      }
    }
  }

  const sizes = new Uint32Array(k);
  const sums = new Float64Array(k * dim);
  const iterations = opts.iterations ?? 12;
  for (let it = 0; it < iterations; it++) {
    // update step
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      const j = assignment[i];
      sizes[j]++;
      const row = matrix.row(i);
      const o = j * dim;
      for (let d = 0; d < dim; d++) sums[o + d] += row[d];
    }
    for (let j = 0; j < k; j++) {
      if (sizes[j] === 0) continue;
      const inv = 1 / sizes[j];
      for (let d = 0; d < dim; d++) centroids[j * dim + d] = sums[j * dim + d] * inv;
    }
    reseedEmpty(centroids, sizes, assignment, matrix.row, n, dim, rng);
    const pruned = k >= MIN_PRUNED_K && finiteSample && allFinite(centroids);
    const next = assignStep(matrix, centroids, k, pruned, opts.kernels, best, dist);
    let moved = 0;
    for (let i = 0; i < n; i++) if (next[i] !== assignment[i]) moved++;
    assignment.set(next);
    if (moved < n * 0.002) break;
  }
  sizes.fill(0);
  for (let i = 0; i < n; i++) sizes[assignment[i]]++;
  return { centroids, assignment, sizes };
}

/** Points per nearest() call of the assignment step. */
const ASSIGN_CHUNK = 64;
/** Below this many centroids one pass over the points per centroid is cheaper than nearest(). */
const MIN_PRUNED_K = 8;

/**
 * The cluster of each point: the first centroid at the smallest l2 distance, with distances that
 * never beat +∞ left at centroid 0. With `pruned` (finite data: no NaN distance) that is
 * F32Matrix.nearest over the centroids (the same f32 distances: ‖c − x‖² and ‖x − c‖² round
 * alike), which skips most of them; otherwise one pass over the points per centroid.
 */
function assignStep(
  matrix: F32Matrix,
  centroids: Float32Array,
  k: number,
  pruned: boolean,
  kernels: VectorKernels,
  best: Float32Array,
  dist: Float32Array,
): Int32Array {
  const n = matrix.rows;
  const dim = matrix.dim;
  const next = new Int32Array(n);
  if (pruned) {
    const resident = kernels.createMatrix(centroids, k, dim);
    const chunk = new Float32Array(ASSIGN_CHUNK * dim);
    for (let i0 = 0; i0 < n; i0 += ASSIGN_CHUNK) {
      const m = Math.min(ASSIGN_CHUNK, n - i0);
      for (let i = 0; i < m; i++) chunk.set(matrix.row(i0 + i), i * dim);
      resident.nearest(chunk, m, next.subarray(i0, i0 + m));
    }
    return next;
  }
  best.fill(Infinity);
  for (let j = 0; j < k; j++) {
    matrix.l2(centroids.subarray(j * dim, (j + 1) * dim), dist);
    for (let i = 0; i < n; i++) {
      if (dist[i] < best[i]) {
        best[i] = dist[i];
        next[i] = j;
      }
    }
  }
  return next;
}

function allFinite(v: Float32Array): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

/** Gives each empty cluster a point of a large cluster (chosen ∝ size), so k stays useful. */
function reseedEmpty(
  centroids: Float32Array,
  sizes: Uint32Array,
  assignment: Int32Array,
  row: (i: number) => Float32Array,
  n: number,
  dim: number,
  rng: ReturnType<typeof createRng>,
): void {
  const k = sizes.length;
  for (let j = 0; j < k; j++) {
    if (sizes[j] !== 0) continue;
    let r = rng.nextInt(n);
    // walk to a point whose cluster has more than one member
    for (let tries = 0; tries < n && sizes[assignment[r]] <= 1; tries++) r = (r + 1) % n;
    const from = assignment[r];
    if (sizes[from] <= 1) continue;
    sizes[from]--;
    sizes[j] = 1;
    assignment[r] = j;
    const p = row(r);
    // nudge both so that the next assignment step separates them
    for (let d = 0; d < dim; d++) {
      const c = centroids[from * dim + d];
      centroids[j * dim + d] = p[d] + (p[d] - c) * 1e-3;
    }
  }
}
