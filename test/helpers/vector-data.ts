/**
 * Seeded generated vector data for the vector-index tests and benchmarks: a Gaussian mixture whose
 * clusters vary along a shared low-dimensional latent space plus isotropic noise (so neighbours are
 * not all ties, as in real embeddings). Pure TS; runs in Node and workerd.
 */

import { createRng } from "../../src/core/index/vector/seeded-rng.ts";

export interface ClusteredDataOptions {
  dim: number;
  clusters: number;
  seed: number;
  /** Latent dimensions of within-cluster variation (default 16). */
  latent?: number;
  /** Scale of the latent variation and of the isotropic noise (defaults 0.6 and 0.25). */
  spread?: number;
  noise?: number;
  /** Unit-normalise each vector (cosine data). */
  normalize?: boolean;
}

/** A generator of vectors: vector(i) is deterministic in (options, i), so data can be streamed. */
export function clusteredData(opts: ClusteredDataOptions): (i: number, out?: Float32Array) => Float32Array {
  const { dim, clusters, seed } = opts;
  const latent = opts.latent ?? 16;
  const spread = opts.spread ?? 0.6;
  const noise = opts.noise ?? 0.25;
  const rng = createRng(seed);
  const centers = new Float32Array(clusters * dim);
  for (let i = 0; i < centers.length; i++) centers[i] = rng.nextGaussian();
  const basis = new Float32Array(latent * dim);
  const bscale = 1 / Math.sqrt(latent);
  for (let i = 0; i < basis.length; i++) basis[i] = rng.nextGaussian() * bscale * Math.sqrt(latent);
  const z = new Float64Array(latent);
  return (i: number, out = new Float32Array(dim)) => {
    const r = createRng(seed * 7919 + i * 2654435761);
    const c = r.nextInt(clusters);
    for (let l = 0; l < latent; l++) z[l] = r.nextGaussian() * spread / Math.sqrt(latent);
    let ss = 0;
    for (let d = 0; d < dim; d++) {
      let v = centers[c * dim + d] + noise * r.nextGaussian();
      for (let l = 0; l < latent; l++) v += basis[l * dim + d] * z[l];
      out[d] = v;
      ss += v * v;
    }
    if (opts.normalize) {
      const inv = 1 / Math.sqrt(ss);
      for (let d = 0; d < dim; d++) out[d] *= inv;
    }
    return out;
  };
}
