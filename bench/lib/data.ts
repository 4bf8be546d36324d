/** Generated benchmark data: seeded random vectors and documents, produced batch by batch. */

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
