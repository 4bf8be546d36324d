/**
 * Exact distances under the three metrics, as "smaller is closer" numbers: cosine distance
 * (1 − cos), squared euclidean, and negative dot product. The reference for every approximate path.
 */
import type { Metric } from "../../types.ts";

export function dot(a: Float32Array, b: Float32Array): number {
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

export function euclideanSquared(a: Float32Array, b: Float32Array): number {
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

export function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}

/**
 * A distance function bound to one query; cosine precomputes the query norm. A zero vector has
 * cosine distance 1 to everything (no direction), rather than NaN.
 */
export function distanceTo(metric: Metric, query: Float32Array): (v: Float32Array) => number {
  switch (metric) {
    case "euclidean_squared":
      return (v) => euclideanSquared(query, v);
    case "dot_product":
      return (v) => -dot(query, v);
    case "cosine": {
      const qn = norm(query);
      return (v) => {
        const d = qn * norm(v);
        return d === 0 ? 1 : 1 - dot(query, v) / d;
      };
    }
  }
}
