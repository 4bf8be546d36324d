/** Generated benchmark data: seeded random vectors and documents, produced batch by batch. */
import { createRng } from "../../src/core/index/vector/seeded-rng.ts";

/** A seeded uniform [0, 1) stream: the engine's PRNG, so benchmark data is the same on every run. */
export function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.next();
}

/**
 * Vectors around `clusters` random centres: closer to real embeddings than uniform noise. The
 * centres come from `seed`; the points from `pointSeed` (default: the same stream), so two
 * generators with one seed and different point seeds draw distinct points from one distribution.
 */
export class VectorGenerator {
  private readonly centres: Float32Array[];
  private readonly rand: () => number;
  readonly dims: number;
  constructor(dims: number, clusters: number, seed: number, pointSeed?: number) {
    this.dims = dims;
    const centreRand = rng(seed);
    this.centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dims }, () => centreRand() * 2 - 1));
    this.rand = pointSeed === undefined ? centreRand : rng(pointSeed);
  }
  next(): number[] {
    const c = this.centres[Math.floor(this.rand() * this.centres.length)];
    const v = new Array<number>(this.dims);
    for (let i = 0; i < this.dims; i++) v[i] = Math.round((c[i] + (this.rand() - 0.5) * 0.6) * 1e4) / 1e4;
    return v;
  }
}

export function documents(gen: VectorGenerator, start: number, count: number): unknown[] {
  const out = [];
  for (let i = 0; i < count; i++) {
    const id = start + i;
    out.push({ id, vector: gen.next(), attributes: { category: `c${id % 16}`, price: id % 1000, title: `document ${id}` } });
  }
  return out;
}
