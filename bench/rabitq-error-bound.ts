// Measures how many multiples of the per-entry error factor (error1·‖q−c‖) cover 90/95/99/99.9 % of
// the 1-bit estimator errors on Gaussian data: the evidence behind ERROR_BOUND_EPSILON. Usage:
//   node bench/rabitq-error-bound.ts [dim]
import { ERROR_BOUND_EPSILON } from "../src/core/index/vector/rabitq-query.ts";
import { createRng } from "../src/core/index/vector/seeded-rng.ts";
import { estimateAll, gaussian } from "../test/helpers/rabitq-estimates.ts";

const DIM = Number(process.argv[2] ?? 200);
for (const metric of ["euclidean_squared", "dot_product", "cosine"] as const) {
  const rng = createRng(17); const ratios: number[] = [];
  for (let cl = 0; cl < 6; cl++) { const c = gaussian(rng, DIM, metric, 0.2); const data = Array.from({ length: 300 }, () => gaussian(rng, DIM, metric, 0.2));
    for (let qi = 0; qi < 5; qi++) { const est = estimateAll(DIM, data, c, gaussian(rng, DIM, metric, 0.2), metric, 0, 77 + cl * 10 + qi);
      for (let e = 0; e < data.length; e++) ratios.push(Math.abs(est.est1[e] - est.truth[e]) / (est.bound1[e] / ERROR_BOUND_EPSILON)); } }
  ratios.sort((a, b) => a - b); const q = (p: number) => ratios[Math.floor(p * ratios.length)].toFixed(2);
  const cover = ratios.filter((r) => r <= ERROR_BOUND_EPSILON).length / ratios.length;
  console.log(DIM, metric, "eps needed for 90/95/99/99.9%:", q(0.9), q(0.95), q(0.99), q(0.999), `coverage at eps=${ERROR_BOUND_EPSILON}:`, (100 * cover).toFixed(2) + "%");
}
