import { describe, expect, it } from "vitest";
import { tsKernels } from "../../../src/core/index/vector/kernels.ts";
import { trainKMeansOn } from "../../../src/core/index/vector/kmeans.ts";
import { vectorKernels } from "../../../src/wasm/vector-kernels.ts";
import { clusteredData } from "../../helpers/vector-data.ts";

describe("k-means", () => {
  const dim = 96;
  const n = 1200;
  const gen = clusteredData({ dim, clusters: 30, seed: 11 });
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) data.set(gen(i), i * dim);

  // k = 4 takes one pass over the points per centroid, k = 40 the pruned nearest()
  for (const k of [4, 40]) {
    it(`assigns every point to its first nearest returned centroid, the same with either kernels (k=${k})`, () => {
      const results = [vectorKernels(), tsKernels].map((kernels) => trainKMeansOn(kernels.createMatrix(data, n, dim), k, { seed: 3, kernels }));
      expect(Array.from(results[0].assignment)).toEqual(Array.from(results[1].assignment));
      expect(Array.from(results[0].centroids)).toEqual(Array.from(results[1].centroids));
      const { centroids, assignment } = results[0];
      const d = new Float32Array(n);
      const best = new Float32Array(n).fill(Infinity);
      const first = new Int32Array(n);
      const points = tsKernels.createMatrix(data, n, dim);
      for (let j = 0; j < k; j++) {
        points.l2(centroids.subarray(j * dim, (j + 1) * dim), d);
        for (let i = 0; i < n; i++) {
          if (d[i] < best[i]) {
            best[i] = d[i];
            first[i] = j;
          }
        }
      }
      expect(Array.from(assignment)).toEqual(Array.from(first));
    });
  }
});
