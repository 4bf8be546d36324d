/**
 * Vector metrics and their plain-TS reference distances (float64 accumulation). Owns the score
 * convention: every metric is a *distance*, smaller is better. Not the hot loops (see kernels.ts).
 *
 * - cosine: 1 − cos(a, b). The index stores unit vectors, so inside it cosine is 1 − ⟨a, b⟩.
 * - euclidean_squared: ‖a − b‖².
 * - dot_product: −⟨a, b⟩ (negated so that "smaller is better" holds for every metric).
 */

import { InvalidArgumentError } from "../../errors.ts";

export type VectorMetric = "cosine" | "euclidean_squared" | "dot_product";

export const VECTOR_METRICS: readonly VectorMetric[] = ["cosine", "euclidean_squared", "dot_product"];

/** Stable one-byte codes used in the index formats. */
export function metricCode(metric: VectorMetric): number {
  switch (metric) {
    case "cosine":
      return 1;
    case "euclidean_squared":
      return 2;
    case "dot_product":
      return 3;
  }
}

export function metricFromCode(code: number): VectorMetric {
  if (code === 1) return "cosine";
  if (code === 2) return "euclidean_squared";
  if (code === 3) return "dot_product";
  throw new InvalidArgumentError(`vector: unknown metric code ${code}`);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function squaredNorm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

export function euclideanSquared(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

/** Reference distance between two raw (not necessarily normalised) vectors. */
export function distance(a: ArrayLike<number>, b: ArrayLike<number>, metric: VectorMetric): number {
  if (metric === "euclidean_squared") return euclideanSquared(a, b);
  if (metric === "dot_product") return -dot(a, b);
  const na = Math.sqrt(squaredNorm(a));
  const nb = Math.sqrt(squaredNorm(b));
  if (na === 0 || nb === 0) return 1;
  return 1 - dot(a, b) / (na * nb);
}

/**
 * The vector as the index stores it: a float32 copy, unit-normalised for cosine. Rejects a wrong
 * dimension, NaN/Infinity, and a zero vector under cosine (its direction is undefined).
 */
export function prepareVector(v: ArrayLike<number>, dim: number, metric: VectorMetric): Float32Array {
  if (v.length !== dim) throw new InvalidArgumentError(`vector: expected ${dim} dimensions, got ${v.length}`);
  const out = new Float32Array(dim);
  let ss = NaN;
  if (v instanceof Float32Array) {
    // float32 squares cannot overflow a float64 sum: it is finite exactly when every value is
    out.set(v);
    ss = 0;
    for (let i = 0; i < dim; i++) ss += out[i] * out[i];
  }
  if (!Number.isFinite(ss)) {
    ss = 0;
    for (let i = 0; i < dim; i++) {
      const x = v[i];
      if (!Number.isFinite(x)) throw new InvalidArgumentError(`vector: non-finite value ${x} at dimension ${i}`);
      out[i] = x;
      ss += x * x;
    }
  }
  if (metric === "cosine") {
    if (ss === 0) throw new InvalidArgumentError("vector: zero vector has no cosine direction");
    const inv = 1 / Math.sqrt(ss);
    for (let i = 0; i < dim; i++) out[i] *= inv;
  }
  return out;
}

/**
 * Distance between a prepared query and a prepared stored vector (both unit under cosine), the
 * exact score a rerank reports. Float64 accumulation.
 */
export function preparedDistance(q: ArrayLike<number>, x: ArrayLike<number>, metric: VectorMetric): number {
  if (metric === "euclidean_squared") return euclideanSquared(q, x);
  if (metric === "dot_product") return -dot(q, x);
  return 1 - dot(q, x);
}

function dot32(a: Float32Array, b: Float32Array): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return s0 + s1 + s2 + s3;
}

function l2sq32(a: Float32Array, b: Float32Array): number {
  let s0 = 0, s1 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const d0 = a[i] - b[i];
    const d1 = a[i + 1] - b[i + 1];
    s0 += d0 * d0;
    s1 += d1 * d1;
  }
  if (i < n) {
    const d = a[i] - b[i];
    s0 += d * d;
  }
  return s0 + s1;
}

/**
 * A distance function bound to one query for exhaustive scans of raw stored vectors (the WAL tail,
 * exact search); cosine precomputes the query norm. Unrolled: it is the exact path's hot loop.
 */
export function distanceTo(metric: VectorMetric, query: Float32Array): (v: Float32Array) => number {
  switch (metric) {
    case "euclidean_squared":
      return (v) => l2sq32(query, v);
    case "dot_product":
      return (v) => -dot32(query, v);
    case "cosine": {
      const qn = Math.sqrt(dot32(query, query));
      return (v) => {
        const d = qn * Math.sqrt(dot32(v, v));
        return d === 0 ? 1 : 1 - dot32(query, v) / d;
      };
    }
  }
}
