/** Seeded randomness for generated test data, so it is the same on every run (the engine's own PRNG). */
import { createRng } from "../../src/core/index/vector/seeded-rng.ts";

export function seededRandom(seed: number): () => number {
  const r = createRng(seed);
  return () => r.next();
}

export function randomVector(rand: () => number, dims: number): number[] {
  return Array.from({ length: dims }, () => Math.round((rand() * 2 - 1) * 1000) / 1000);
}
