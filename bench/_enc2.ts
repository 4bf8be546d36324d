import { typicalScale } from "../src/core/index/vector/rabitq-encoder.ts";
import { createRng } from "../src/core/index/vector/seeded-rng.ts";
// measure distribution of best t / t0 with wide window, and cos at fixed t0
for (const P of [128, 768]) for (const b of [2, 4, 6]) {
  const t0 = typicalScale(P, b); const rng = createRng(9); const a = new Float64Array(P);
  const ratios: number[] = []; let lossFixed = 0; const n = 200; const maxK = (1<<b)-1;
  const f = (t: number) => { let num=0, den=0; for (let i=0;i<P;i++){const k=Math.min(Math.floor(t*a[i]),maxK); num+=(k+.5)*a[i]; den+=(k+.5)**2;} return num/Math.sqrt(den); };
  for (let s=0;s<n;s++){ let ss=0; for(let i=0;i<P;i++){a[i]=rng.nextGaussian(); ss+=a[i]*a[i];} for(let i=0;i<P;i++) a[i]=Math.abs(a[i])/Math.sqrt(ss);
    let best=0,bt=0; for (let j=0;j<=400;j++){const t=t0*(0.5+j/400); const v=f(t); if(v>best){best=v;bt=t;}}
    ratios.push(bt/t0); lossFixed += best - f(t0); }
  ratios.sort((x,y)=>x-y);
  console.log(P,b,"ratio q01",ratios[2].toFixed(3),"q50",ratios[100].toFixed(3),"q99",ratios[197].toFixed(3),"mean cos loss fixed t0", (lossFixed/n).toExponential(2));
}
