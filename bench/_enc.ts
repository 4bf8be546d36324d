import { createRabitqEncoder, typicalScale } from "../src/core/index/vector/rabitq-encoder.ts";
import { createRng } from "../src/core/index/vector/seeded-rng.ts";
for (const P of [128, 768]) for (const b of [1, 2, 3, 4, 5, 6, 7, 8]) {
  let t = performance.now(); const t0 = typicalScale(P, b); const tt = performance.now() - t;
  const enc = createRabitqEncoder(P, b, "euclidean_squared");
  const rng = createRng(3); const r = new Float64Array(P);
  let cosSum = 0; const n = 300; t = performance.now();
  for (let s = 0; s < n; s++) { for (let i = 0; i < P; i++) r[i] = rng.nextGaussian(); const e = enc.encode(r, 0);
    // cos = <y,o>/|y| ; recompute: rescaleEx = -2 norm / ipx
    let norm = 0; for (let i = 0; i < P; i++) norm += r[i]*r[i]; norm = Math.sqrt(norm);
    const ipx = -2 * norm / e.factors[3];
    // |y|: reconstruct
    let yy = 0; const cb = P/8; for (let i = 0; i < P; i++) { const sgn = (e.code1[i>>3]>>(i&7))&1; let ex=0; for (let j=0;j<b;j++) ex |= ((e.ex[j*cb+(i>>3)]>>(i&7))&1)<<j; const u = (sgn<<b)+ex; const y = u - ((1<<(b+1))-1)/2; yy += y*y; }
    cosSum += ipx/Math.sqrt(yy);
  }
  console.log(P, b, "t0", t0.toFixed(2), "t0 ms", tt.toFixed(0), "mean cos", (cosSum/n).toFixed(5), "encode us", ((performance.now()-t)/n*1000).toFixed(1));
}
