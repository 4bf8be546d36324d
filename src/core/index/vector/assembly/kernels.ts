// AssemblyScript source of the vector hot loops, compiled to ../kernels.wasm by `npm run build:wasm`.
// Owns the SIMD arithmetic only; memory layout, copies and the TS reference live in kernels*.ts.
//
// All pointers are byte offsets into this module's memory, which the JS side manages (it never
// allocates here: the module is built with the stub runtime). Integer kernels return exact counts,
// and the f32 kernels use a fixed lane order (4 lanes, then (l0 + l1) + (l2 + l3), tail into lane
// i & 3) that kernels.ts reproduces with Math.fround, so TS and Wasm results are bitwise equal.

// out[e] = Σ_{k<4} 2^k · popcount(code_e & plane_k), code_e = codes[e·codeBytes ..], codeBytes % 16 == 0
export function binaryDot4(codes: usize, count: i32, codeBytes: i32, planes: usize, out: usize): void {
  const chunks = codeBytes >> 4;
  for (let e = 0; e < count; e++) {
    const base = codes + <usize>e * <usize>codeBytes;
    let acc = i16x8.splat(0);
    for (let c = 0; c < chunks; c++) {
      const off = <usize>(c << 4);
      const x = v128.load(base + off);
      const p0 = i8x16.popcnt(v128.and(x, v128.load(planes + off)));
      const p1 = i8x16.popcnt(v128.and(x, v128.load(planes + <usize>codeBytes + off)));
      const p2 = i8x16.popcnt(v128.and(x, v128.load(planes + <usize>(codeBytes * 2) + off)));
      const p3 = i8x16.popcnt(v128.and(x, v128.load(planes + <usize>(codeBytes * 3) + off)));
      // per byte lane: p0 + 2p1 + 4p2 + 8p3 ≤ 120, fits u8
      const w = i8x16.add(i8x16.add(p0, i8x16.add(p1, p1)), i8x16.shl(i8x16.add(p2, i8x16.add(p3, p3)), 2));
      acc = i16x8.add(acc, i16x8.extadd_pairwise_i8x16_u(w));
    }
    const s = i32x4.extadd_pairwise_i16x8_u(acc);
    const total = i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
    store<i32>(out + (<usize>e << 2), total);
  }
}

// For n entries laid out contiguously (code1 rows at codes1, ex rows of exBits planes at ex):
// out[e] = Σ_i u_i · q_i with u = 2^exBits·code1 + Σ_j 2^j·plane_j and q given as 8 bit planes.
export function codeDotU8(codes1: usize, ex: usize, n: i32, exBits: i32, codeBytes: i32, qPlanes: usize, out: usize): void {
  const chunks = codeBytes >> 4;
  const exBytes = <usize>(exBits * codeBytes);
  for (let e = 0; e < n; e++) {
    let total: i32 = planeDotU8(codes1 + <usize>e * <usize>codeBytes, chunks, codeBytes, qPlanes) << exBits;
    const exBase = ex + <usize>e * exBytes;
    for (let j = 0; j < exBits; j++) {
      total += planeDotU8(exBase + <usize>(j * codeBytes), chunks, codeBytes, qPlanes) << j;
    }
    store<i32>(out + (<usize>e << 2), total);
  }
}

// Σ_i bit_i(plane) · q_i for one bit plane against the 8 query bit planes.
@inline
function planeDotU8(plane: usize, chunks: i32, codeBytes: i32, qPlanes: usize): i32 {
  let acc = i32x4.splat(0);
  for (let c = 0; c < chunks; c++) {
    const off = <usize>(c << 4);
    const x = v128.load(plane + off);
    let t = i16x8.splat(0);
    for (let k = 0; k < 8; k++) {
      const p = i8x16.popcnt(v128.and(x, v128.load(qPlanes + <usize>(k * codeBytes) + off)));
      t = i16x8.add(t, i16x8.shl(i16x8.extadd_pairwise_i8x16_u(p), k));
    }
    acc = i32x4.add(acc, i32x4.extadd_pairwise_i16x8_u(t));
  }
  return i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
}

// out[r] = ‖row_r − q‖² in f32, rows of `dim` floats starting at mat.
export function l2Rows(mat: usize, rows: i32, dim: i32, q: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    store<f32>(out + (<usize>r << 2), l2One(mat + <usize>r * <usize>(dim << 2), q, dim));
  }
}

// ‖row − q‖² in f32 with l2Rows's arithmetic.
@inline
function l2One(row: usize, q: usize, dim: i32): f32 {
  const dim4 = dim & ~3;
  let acc = f32x4.splat(0);
  for (let i = 0; i < dim4; i += 4) {
    const d = f32x4.sub(v128.load(row + <usize>(i << 2)), v128.load(q + <usize>(i << 2)));
    acc = f32x4.add(acc, f32x4.mul(d, d));
  }
  return finishL2(acc, row, q, dim4, dim);
}

// out[r] = ⟨row_r, q⟩ in f32, same lane order as l2Rows.
export function dotRows(mat: usize, rows: i32, dim: i32, q: usize, out: usize): void {
  const dim4 = dim & ~3;
  for (let r = 0; r < rows; r++) {
    const row = mat + <usize>r * <usize>(dim << 2);
    let acc = f32x4.splat(0);
    for (let i = 0; i < dim4; i += 4) {
      acc = f32x4.add(acc, f32x4.mul(v128.load(row + <usize>(i << 2)), v128.load(q + <usize>(i << 2))));
    }
    let a0 = f32x4.extract_lane(acc, 0);
    let a1 = f32x4.extract_lane(acc, 1);
    let a2 = f32x4.extract_lane(acc, 2);
    let a3 = f32x4.extract_lane(acc, 3);
    for (let i = dim4; i < dim; i++) {
      const p: f32 = load<f32>(row + <usize>(i << 2)) * load<f32>(q + <usize>(i << 2));
      const lane = i & 3;
      if (lane == 0) a0 += p;
      else if (lane == 1) a1 += p;
      else if (lane == 2) a2 += p;
      else a3 += p;
    }
    store<f32>(out + (<usize>r << 2), (a0 + a1) + (a2 + a3));
  }
}

// out[k·rows + r] = ‖row_r − q_k‖² for 4 queries at qs (4 × dim floats), each pair with exactly the
// arithmetic of l2Rows: one pass over the rows serves four queries, and the four independent
// accumulators overlap their add latencies instead of waiting on one chain.
export function l2Rows4(mat: usize, rows: i32, dim: i32, qs: usize, out: usize): void {
  const dim4 = dim & ~3;
  const qStride = <usize>(dim << 2);
  const q0 = qs;
  const q1 = qs + qStride;
  const q2 = qs + 2 * qStride;
  const q3 = qs + 3 * qStride;
  const outStride = <usize>(rows << 2);
  for (let r = 0; r < rows; r++) {
    const row = mat + <usize>r * <usize>(dim << 2);
    let c0 = f32x4.splat(0);
    let c1 = f32x4.splat(0);
    let c2 = f32x4.splat(0);
    let c3 = f32x4.splat(0);
    for (let i = 0; i < dim4; i += 4) {
      const off = <usize>(i << 2);
      const x = v128.load(row + off);
      const d0 = f32x4.sub(x, v128.load(q0 + off));
      const d1 = f32x4.sub(x, v128.load(q1 + off));
      const d2 = f32x4.sub(x, v128.load(q2 + off));
      const d3 = f32x4.sub(x, v128.load(q3 + off));
      c0 = f32x4.add(c0, f32x4.mul(d0, d0));
      c1 = f32x4.add(c1, f32x4.mul(d1, d1));
      c2 = f32x4.add(c2, f32x4.mul(d2, d2));
      c3 = f32x4.add(c3, f32x4.mul(d3, d3));
    }
    const o = out + (<usize>r << 2);
    store<f32>(o, finishL2(c0, row, q0, dim4, dim));
    store<f32>(o + outStride, finishL2(c1, row, q1, dim4, dim));
    store<f32>(o + 2 * outStride, finishL2(c2, row, q2, dim4, dim));
    store<f32>(o + 3 * outStride, finishL2(c3, row, q3, dim4, dim));
  }
}

// The tail (dimensions past the last multiple of 4, into lane i & 3) and the lane reduction of one
// squared-distance accumulator.
@inline
function finishL2(acc: v128, row: usize, q: usize, dim4: i32, dim: i32): f32 {
  let a0 = f32x4.extract_lane(acc, 0);
  let a1 = f32x4.extract_lane(acc, 1);
  let a2 = f32x4.extract_lane(acc, 2);
  let a3 = f32x4.extract_lane(acc, 3);
  for (let i = dim4; i < dim; i++) {
    const d: f32 = load<f32>(row + <usize>(i << 2)) - load<f32>(q + <usize>(i << 2));
    const lane = i & 3;
    if (lane == 0) a0 += d * d;
    else if (lane == 1) a1 += d * d;
    else if (lane == 2) a2 += d * d;
    else a3 += d * d;
  }
  return (a0 + a1) + (a2 + a3);
}

// In-place rotation of x (P float64 values holding the zero-padded input): for each round r,
// x ·= mult_r (round 0 on the first n values only, so the padding keeps its +0), then the
// unnormalised Walsh–Hadamard transform of the block at off_r = 0 (r even) or P − h (r odd);
// finally the last block ·= scale. The same sums in the same order as the TS reference
// (rotation-kernels.ts), two independent j per f64x2, so the result is bit for bit the same.
export function rotate(x: usize, n: i32, P: i32, h: i32, mult: usize, rounds: i32, scale: f64): void {
  for (let r = 0; r < rounds; r++) {
    const m = mult + <usize>r * <usize>(P << 3);
    mulF64(x, m, r == 0 ? n : P);
    fwhtF64(x + (r & 1 ? <usize>((P - h) << 3) : 0), h);
  }
  const last = x + ((rounds - 1) & 1 ? <usize>((P - h) << 3) : 0);
  const s = f64x2.splat(scale);
  for (let i = 0; i < h; i += 2) {
    const p = last + <usize>(i << 3);
    v128.store(p, f64x2.mul(v128.load(p), s));
  }
}

@inline
function mulF64(x: usize, m: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>(i << 3);
    v128.store(x + o, f64x2.mul(v128.load(x + o), v128.load(m + o)));
  }
  if (i < n) store<f64>(x + <usize>(i << 3), load<f64>(x + <usize>(i << 3)) * load<f64>(m + <usize>(i << 3)));
}

// Radix-4 passes (two butterfly stages each), then one radix-2 pass when log2(h) is odd; h ≥ 8.
@inline
function fwhtF64(x: usize, h: i32): void {
  // len = 1: the four inputs of each butterfly group are adjacent; shuffles pair them up
  for (let i = 0; i < h; i += 4) {
    const p = x + <usize>(i << 3);
    const v0 = v128.load(p);
    const v1 = v128.load(p, 16);
    const u = v128.shuffle<f64>(v0, v1, 0, 2);
    const w = v128.shuffle<f64>(v0, v1, 1, 3);
    const s = f64x2.add(u, w); // (s0, s2)
    const d = f64x2.sub(u, w); // (s1, s3)
    const lo = v128.shuffle<f64>(s, d, 0, 2);
    const hi = v128.shuffle<f64>(s, d, 1, 3);
    v128.store(p, f64x2.add(lo, hi));
    v128.store(p, f64x2.sub(lo, hi), 16);
  }
  let len = 4;
  for (; 2 * len < h; len <<= 2) {
    const b1 = <usize>(len << 3);
    const b2 = b1 << 1;
    const b3 = b1 + b2;
    for (let i = 0; i < h; i += len << 2) {
      const base = x + <usize>(i << 3);
      for (let j = 0; j < len; j += 2) {
        const p = base + <usize>(j << 3);
        const a = v128.load(p);
        const b = v128.load(p + b1);
        const c = v128.load(p + b2);
        const d = v128.load(p + b3);
        const s0 = f64x2.add(a, b);
        const s1 = f64x2.sub(a, b);
        const s2 = f64x2.add(c, d);
        const s3 = f64x2.sub(c, d);
        v128.store(p, f64x2.add(s0, s2));
        v128.store(p + b1, f64x2.add(s1, s3));
        v128.store(p + b2, f64x2.sub(s0, s2));
        v128.store(p + b3, f64x2.sub(s1, s3));
      }
    }
  }
  if (len < h) {
    const b1 = <usize>(len << 3);
    for (let j = 0; j < len; j += 2) {
      const p = x + <usize>(j << 3);
      const a = v128.load(p);
      const b = v128.load(p + b1);
      v128.store(p, f64x2.add(a, b));
      v128.store(p + b1, f64x2.sub(a, b));
    }
  }
}

// The running best of rabitqCode's scale selection (scales taken in order, first best kept).
let bestScale = 0;
let bestV: f64 = -1;
let bestNum: f64 = 0;

@inline
function considerScale(j: i32, num: f64, den: f64): void {
  const v = num / Math.sqrt(den);
  if (v > bestV) {
    bestV = v;
    bestScale = j;
    bestNum = num;
  }
}

// The per-dimension loops of RaBitQ encoding the residual r = x − c of a rotated vector x (P
// float64 values at x, P % 16 == 0) from its centroid c (P float32 at cen), with the same float64
// operations in the same order as the TS reference (encode-kernels.ts), so the codes and sums are
// bit for bit the same. Writes stats[5] = Σ c_i·r_i and stats[0] = Σ r_i²; when that is 0 nothing
// else is written. Else, with o = r/‖r‖: code1 bit i = o_i > 0, stats[1] = Σ|o_i|, stats[2] =
// popcount; for exBits > 0 the best of the 8 scales t_j at `grid` (largest cos(y, |o|),
// y_i = min(⌊t·|o_i|⌋, 2^exBits − 1) + ½, first best on ties), stats[3] = Σ y_i·|o_i| at it, the
// ex code e_i = k_i (o_i > 0) or 2^exBits − 1 − k_i as exBits bit planes, stats[4] = Σ e_i.
// r and absO (P float64 each) are scratch.
export function rabitqCode(x: usize, cen: usize, r: usize, P: i32, exBits: i32, grid: usize, absO: usize, code1: usize, ex: usize, stats: usize): void {
  let ss: f64 = 0;
  let cr: f64 = 0;
  for (let i = 0; i < P; i++) {
    const c = <f64>load<f32>(cen + <usize>(i << 2));
    const d = load<f64>(x + <usize>(i << 3)) - c;
    store<f64>(r + <usize>(i << 3), d);
    cr += c * d;
    ss += d * d;
  }
  store<f64>(stats, cr, 40);
  store<f64>(stats, ss);
  if (ss == 0) return;
  const norm = f64x2.splat(Math.sqrt(ss));
  const zero = f64x2.splat(0);
  let pop = 0;
  for (let i = 0; i < P; i += 8) {
    let bits = 0;
    for (let j = 0; j < 8; j += 2) {
      const o = f64x2.div(v128.load(r + <usize>((i + j) << 3)), norm);
      v128.store(absO + <usize>((i + j) << 3), f64x2.abs(o));
      bits |= i64x2.bitmask(f64x2.gt(o, zero)) << j;
    }
    store<u8>(code1 + <usize>(i >> 3), bits);
    pop += popcnt(bits);
  }
  store<f64>(stats, <f64>pop, 16);
  // Σ|o_i| is one sequential chain: it runs inside the scale search, whose work hides it
  let sumAbs: f64 = 0;
  if (exBits == 0) {
    for (let i = 0; i < P; i++) sumAbs += load<f64>(absO + <usize>(i << 3));
    store<f64>(stats, sumAbs, 8);
    return;
  }
  const maxK = <f64>((1 << exBits) - 1);
  // lanes are scales: every sum still adds over i in order, as the reference's one pass per scale
  const t01 = v128.load(grid);
  const t23 = v128.load(grid, 16);
  const t45 = v128.load(grid, 32);
  const t67 = v128.load(grid, 48);
  const mk = f64x2.splat(maxK);
  const half = f64x2.splat(0.5);
  let n01 = zero, n23 = zero, n45 = zero, n67 = zero;
  let d01 = zero, d23 = zero, d45 = zero, d67 = zero;
  for (let i = 0; i < P; i++) {
    const ai = load<f64>(absO + <usize>(i << 3));
    sumAbs += ai;
    const a = f64x2.splat(ai);
    const y01 = f64x2.add(f64x2.pmin(f64x2.floor(f64x2.mul(t01, a)), mk), half);
    const y23 = f64x2.add(f64x2.pmin(f64x2.floor(f64x2.mul(t23, a)), mk), half);
    const y45 = f64x2.add(f64x2.pmin(f64x2.floor(f64x2.mul(t45, a)), mk), half);
    const y67 = f64x2.add(f64x2.pmin(f64x2.floor(f64x2.mul(t67, a)), mk), half);
    n01 = f64x2.add(n01, f64x2.mul(y01, a));
    n23 = f64x2.add(n23, f64x2.mul(y23, a));
    n45 = f64x2.add(n45, f64x2.mul(y45, a));
    n67 = f64x2.add(n67, f64x2.mul(y67, a));
    d01 = f64x2.add(d01, f64x2.mul(y01, y01));
    d23 = f64x2.add(d23, f64x2.mul(y23, y23));
    d45 = f64x2.add(d45, f64x2.mul(y45, y45));
    d67 = f64x2.add(d67, f64x2.mul(y67, y67));
  }
  store<f64>(stats, sumAbs, 8);
  bestScale = 0;
  bestV = -1;
  bestNum = 0;
  considerScale(0, f64x2.extract_lane(n01, 0), f64x2.extract_lane(d01, 0));
  considerScale(1, f64x2.extract_lane(n01, 1), f64x2.extract_lane(d01, 1));
  considerScale(2, f64x2.extract_lane(n23, 0), f64x2.extract_lane(d23, 0));
  considerScale(3, f64x2.extract_lane(n23, 1), f64x2.extract_lane(d23, 1));
  considerScale(4, f64x2.extract_lane(n45, 0), f64x2.extract_lane(d45, 0));
  considerScale(5, f64x2.extract_lane(n45, 1), f64x2.extract_lane(d45, 1));
  considerScale(6, f64x2.extract_lane(n67, 0), f64x2.extract_lane(d67, 0));
  considerScale(7, f64x2.extract_lane(n67, 1), f64x2.extract_lane(d67, 1));
  store<f64>(stats, bestNum, 24);
  // 16 codes at a time: k as bytes, e = k XOR (2^exBits − 1 where the sign bit is clear), which is
  // 2^exBits − 1 − k there; bit plane b collects bit b of each byte (shifted to the top bit)
  const t = f64x2.splat(load<f64>(grid + <usize>(bestScale << 3)));
  const mkb = i32x4.splat(((1 << exBits) - 1) * 0x01010101); // 2^exBits − 1 in every byte
  const bit = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  const spread = i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const codeBytes = P >> 3;
  let sumE = i32x4.splat(0);
  for (let i = 0; i < P; i += 16) {
    const p = absO + <usize>(i << 3);
    const w0 = i16x8.narrow_i32x4_s(codePair(p, t, mk), codePair(p + 32, t, mk));
    const w1 = i16x8.narrow_i32x4_s(codePair(p + 64, t, mk), codePair(p + 96, t, mk));
    const k = i8x16.narrow_i16x8_u(w0, w1);
    const signs = i8x16.swizzle(v128.load16_splat(code1 + <usize>(i >> 3)), spread);
    const e = v128.xor(k, v128.andnot(mkb, i8x16.eq(v128.and(signs, bit), bit)));
    sumE = i32x4.add(sumE, i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(e)));
    const o = ex + <usize>(i >> 3);
    for (let b = 0; b < exBits; b++) {
      store<u16>(o + <usize>(b * codeBytes), i8x16.bitmask(i8x16.shl(e, 7 - b)));
    }
  }
  store<f64>(stats, <f64>sumI32(sumE), 32);
}

// min(⌊t·|o_i|⌋, 2^exBits − 1) of the 4 dimensions at p, as the 4 lanes of an i32x4.
@inline
function codePair(p: usize, t: v128, mk: v128): v128 {
  const lo = i32x4.trunc_sat_f64x2_s_zero(f64x2.pmin(f64x2.floor(f64x2.mul(t, v128.load(p))), mk));
  const hi = i32x4.trunc_sat_f64x2_s_zero(f64x2.pmin(f64x2.floor(f64x2.mul(t, v128.load(p, 16))), mk));
  return v128.shuffle<i32>(lo, hi, 0, 1, 4, 5);
}

// Exact nearest rows without computing every f32 distance. Each row c is quantized to int8 and each
// query x to int16 (ĉ = s·q, s = max|c_i|/R); the exact integer ⟨q_x, q_c⟩ gives a rigorous lower
// bound on the real ‖x − c‖² = ‖x‖² + ‖c‖² − 2⟨x, c⟩, since ⟨x, c⟩ = ⟨x̂, ĉ⟩ + ⟨x − x̂, c⟩ +
// ⟨x̂, c − ĉ⟩ ≤ s_x·s_c·⟨q_x, q_c⟩ + ‖x − x̂‖·‖c‖ + ‖x̂‖·‖c − ĉ‖. The f32 distance l2Rows computes is at least
// (1 − γ) times the real one, γ = (⌈dim/4⌉ + 8)·2⁻²³ (twice the rounding bound of the lane sums),
// so a row whose bound times (1 − γ) exceeds the best f32 distance found so far cannot be the
// first minimum, and only the other rows (about one at 768-d) get their f32 distance.

// Quantizes `count` rows of `dim` f32 at src to rows of dimPad int16 (wide) or int8 values at dst
// (zero-padded), |q_i| ≤ R. Stats, structure of arrays at stats + k·8·statRows (k = 0..3), per
// row: ‖v‖², s, ‖v‖, ‖v − s·q‖ (f64; their rounding is covered by nearestRow's margin). A row
// holding a NaN or an infinity gets NaN stats (and zeros).
export function quantizeRows(src: usize, count: i32, dim: i32, dimPad: i32, R: i32, wide: bool, dst: usize, stats: usize, statRows: i32): void {
  const dim4 = dim & ~3;
  const sStride = <usize>(statRows << 3);
  const shift = wide ? 1 : 0;
  for (let r = 0; r < count; r++) {
    const row = src + <usize>r * <usize>(dim << 2);
    const out = dst + <usize>r * <usize>(dimPad << shift);
    const st = stats + (<usize>r << 3);
    let mv = f32x4.splat(0);
    for (let i = 0; i < dim4; i += 4) mv = f32x4.max(mv, f32x4.abs(v128.load(row + <usize>(i << 2))));
    let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (let i = dim4; i < dim; i++) m = max(m, abs(load<f32>(row + <usize>(i << 2))));
    memory.fill(out, 0, <usize>(dimPad << shift));
    if (!isFinite(m)) {
      for (let k: usize = 0; k < 4; k++) store<f64>(st + k * sStride, NaN);
      continue;
    }
    const s: f64 = m > 0 ? <f64>m / <f64>R : 1;
    const inv: f64 = m > 0 ? <f64>R / <f64>m : 1;
    // |v·inv| ≤ R·(1 + 2⁻⁵²), so every rounded value is at most R
    const sv = f64x2.splat(s);
    const iv = f64x2.splat(inv);
    let ss = f64x2.splat(0);
    let ee = f64x2.splat(0);
    for (let i = 0; i < dim4; i += 4) {
      const v = v128.load(row + <usize>(i << 2));
      const lo = f64x2.promote_low_f32x4(v);
      const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
      const qlo = f64x2.nearest(f64x2.mul(lo, iv));
      const qhi = f64x2.nearest(f64x2.mul(hi, iv));
      const elo = f64x2.sub(lo, f64x2.mul(sv, qlo));
      const ehi = f64x2.sub(hi, f64x2.mul(sv, qhi));
      ss = f64x2.add(ss, f64x2.add(f64x2.mul(lo, lo), f64x2.mul(hi, hi)));
      ee = f64x2.add(ee, f64x2.add(f64x2.mul(elo, elo), f64x2.mul(ehi, ehi)));
      const q32 = v128.shuffle<i32>(i32x4.trunc_sat_f64x2_s_zero(qlo), i32x4.trunc_sat_f64x2_s_zero(qhi), 0, 1, 4, 5);
      const q16 = i16x8.narrow_i32x4_s(q32, q32);
      if (wide) v128.store64_lane(out + <usize>(i << 1), q16, 0);
      else v128.store32_lane(out + <usize>i, i8x16.narrow_i16x8_s(q16, q16), 0);
    }
    let ssum = f64x2.extract_lane(ss, 0) + f64x2.extract_lane(ss, 1);
    let esum = f64x2.extract_lane(ee, 0) + f64x2.extract_lane(ee, 1);
    for (let i = dim4; i < dim; i++) {
      const v = <f64>load<f32>(row + <usize>(i << 2));
      const q = nearest(v * inv);
      if (wide) store<i16>(out + <usize>(i << 1), <i16>(<i32>q));
      else store<i8>(out + <usize>i, <i8>(<i32>q));
      const e = v - s * q;
      ssum += v * v;
      esum += e * e;
    }
    store<f64>(st, ssum);
    store<f64>(st + sStride, s);
    store<f64>(st + 2 * sStride, Math.sqrt(ssum));
    store<f64>(st + 3 * sStride, Math.sqrt(esum));
  }
}

// out[k·rows + r] = ⟨q_k, row_r⟩ over int8 rows of dimPad values (dimPad % 8 == 0) for the 4 int16
// queries at qq; exact while dimPad·127·R < 2³¹ (the caller's choice of R). Two rows at a time:
// each query load then serves two rows (measured fastest; three rows spill registers). Rows are
// widened by the load (int8 rows: half the memory of int16 at the same speed).
export function dotI8Rows4(qmat: usize, rows: i32, dimPad: i32, qq: usize, out: usize): void {
  const stride = <usize>dimPad;
  const qStride = <usize>(dimPad << 1);
  const os = <usize>(rows << 2);
  const q1 = qq + qStride;
  const q2 = qq + 2 * qStride;
  const q3 = qq + 3 * qStride;
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const ra = qmat + <usize>r * stride;
    const rb = ra + stride;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
    for (let d: usize = 0; d < stride; d += 8) {
      const c = v128.load8x8_s(ra + d);
      const e = v128.load8x8_s(rb + d);
      const o = d << 1;
      let q = v128.load(qq + o);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(c, q));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(e, q));
      q = v128.load(q1 + o);
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(c, q));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(e, q));
      q = v128.load(q2 + o);
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(c, q));
      b2 = i32x4.add(b2, i32x4.dot_i16x8_s(e, q));
      q = v128.load(q3 + o);
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(c, q));
      b3 = i32x4.add(b3, i32x4.dot_i16x8_s(e, q));
    }
    const o = out + (<usize>r << 2);
    store<i32>(o, sumI32(a0));
    store<i32>(o + os, sumI32(a1));
    store<i32>(o + 2 * os, sumI32(a2));
    store<i32>(o + 3 * os, sumI32(a3));
    store<i32>(o, sumI32(b0), 4);
    store<i32>(o + os, sumI32(b1), 4);
    store<i32>(o + 2 * os, sumI32(b2), 4);
    store<i32>(o + 3 * os, sumI32(b3), 4);
  }
  for (let k: usize = 0; r < rows && k < 4; k++) dotI8Rows(qmat + <usize>r * stride, 1, dimPad, qq + k * qStride, out + k * os + (<usize>r << 2));
}

// dotI8Rows4 for one query.
export function dotI8Rows(qmat: usize, rows: i32, dimPad: i32, qq: usize, out: usize): void {
  const stride = <usize>dimPad;
  for (let r = 0; r < rows; r++) {
    const row = qmat + <usize>r * stride;
    let a = i32x4.splat(0);
    for (let d: usize = 0; d < stride; d += 8) a = i32x4.add(a, i32x4.dot_i16x8_s(v128.load8x8_s(row + d), v128.load(qq + (d << 1))));
    store<i32>(out + (<usize>r << 2), sumI32(a));
  }
}

@inline
function sumI32(a: v128): i32 {
  return i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3);
}

// The first r minimising the f32 ‖row_r − q‖² (l2Rows's value), given q's quantization stats at
// qStats (statRows apart), the rows' stats (rows apart) followed by their maxima of ‖c‖², ‖c‖ and
// ‖c − ĉ‖, and dots[r] = ⟨q_q, q_row_r⟩; bound is scratch for rows + 1 f64. Rows that are not all
// finite (a NaN maximum) or a non-finite query scan every row, as the plain first-minimum does.
export function nearestRow(mat: usize, rows: i32, dim: i32, q: usize, qStats: usize, statRows: i32, rowStats: usize, dots: usize, bound: usize): i32 {
  const qs = <usize>(statRows << 3);
  const rs = <usize>(rows << 3);
  const xx = load<f64>(qStats);
  const maxCC = load<f64>(rowStats + 4 * rs);
  const stride = <usize>(dim << 2);
  if (!isFinite(xx) || !isFinite(maxCC)) {
    let min = l2One(mat, q, dim);
    let at = 0;
    for (let r = 1; r < rows; r++) {
      const d = l2One(mat + <usize>r * stride, q, dim);
      if (d < min) {
        min = d;
        at = r;
      }
    }
    return at;
  }
  const sx = load<f64>(qStats + qs);
  const xErr = load<f64>(qStats + 3 * qs);
  const xHat = load<f64>(qStats + 2 * qs) + xErr; // ≥ ‖x̂‖ by the triangle inequality
  const maxCN = load<f64>(rowStats + 4 * rs, 8);
  const maxCE = load<f64>(rowStats + 4 * rs, 16);
  // One margin for all rows covers the f64 rounding of the bound and of the stats (relative
  // errors below 1e-11 of the terms' magnitudes; |⟨x̂, ĉ⟩| ≤ ‖x̂‖·(‖c‖ + ‖c − ĉ‖)) and f32 underflow.
  const margin = 1e-9 * (xx + maxCC + 2 * xHat * (maxCN + maxCE) + 2 * (xErr * maxCN + xHat * maxCE)) + 1e-30;
  const keep: f64 = 1 - <f64>(((dim + 3) >> 2) + 8) * 1.1920928955078125e-7;
  // bound[r] = (xx + ‖c‖² − 2·(s_x·s_c·dot + ‖x − x̂‖·‖c‖ + ‖x̂‖·‖c − ĉ‖) − margin)·(1 − γ),
  // keeping the row with the smallest bound as the first to measure
  const base = f64x2.splat(xx - margin);
  const sx2 = f64x2.splat(2 * sx);
  const xe2 = f64x2.splat(2 * xErr);
  const xh2 = f64x2.splat(2 * xHat);
  const vkeep = f64x2.splat(keep);
  let minB = f64x2.splat(Infinity);
  let minI = i64x2.splat(0);
  let idx = i64x2(0, 1);
  const step = i64x2.splat(2);
  let r = 0;
  for (; r + 2 <= rows; r += 2) {
    const o = <usize>(r << 3);
    const dq = f64x2.mul(f64x2.mul(sx2, v128.load(rowStats + rs + o)), f64x2.convert_low_i32x4_s(v128.load64_zero(dots + (<usize>r << 2))));
    const err = f64x2.add(f64x2.mul(xe2, v128.load(rowStats + 2 * rs + o)), f64x2.mul(xh2, v128.load(rowStats + 3 * rs + o)));
    const b = f64x2.mul(f64x2.sub(f64x2.add(base, v128.load(rowStats + o)), f64x2.add(dq, err)), vkeep);
    v128.store(bound + o, b);
    const lt = f64x2.lt(b, minB);
    minB = v128.bitselect(b, minB, lt);
    minI = v128.bitselect(idx, minI, lt);
    idx = i64x2.add(idx, step);
  }
  let firstBound = f64x2.extract_lane(minB, 0);
  let first = <i32>i64x2.extract_lane(minI, 0);
  if (f64x2.extract_lane(minB, 1) < firstBound) {
    firstBound = f64x2.extract_lane(minB, 1);
    first = <i32>i64x2.extract_lane(minI, 1);
  }
  if (r < rows) {
    const o = <usize>(r << 3);
    const dq = 2 * sx * load<f64>(rowStats + rs + o) * <f64>load<i32>(dots + (<usize>r << 2));
    const err = 2 * (xErr * load<f64>(rowStats + 2 * rs + o) + xHat * load<f64>(rowStats + 3 * rs + o));
    const b = (xx - margin + load<f64>(rowStats + o) - (dq + err)) * keep;
    store<f64>(bound + o, b);
    if (b < firstBound) first = r;
  }
  let best = l2One(mat + <usize>first * stride, q, dim);
  let bestRow = first;
  let bestV = f64x2.splat(<f64>best);
  for (let j = 0; j < rows; j += 2) {
    // two rows per test; a pair past the end reads the next scratch word, harmlessly
    if (!i64x2.bitmask(f64x2.le(v128.load(bound + (<usize>j << 3)), bestV))) continue;
    for (let i = j; i < j + 2 && i < rows; i++) {
      if (i == first || load<f64>(bound + (<usize>i << 3)) > <f64>best) continue;
      const d = l2One(mat + <usize>i * stride, q, dim);
      if (d < best || (d == best && i < bestRow)) {
        best = d;
        bestRow = i;
        bestV = f64x2.splat(<f64>best);
      }
    }
  }
  return bestRow;
}
