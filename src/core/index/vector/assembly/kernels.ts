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
  const dim4 = dim & ~3;
  for (let r = 0; r < rows; r++) {
    const row = mat + <usize>r * <usize>(dim << 2);
    let acc = f32x4.splat(0);
    for (let i = 0; i < dim4; i += 4) {
      const d = f32x4.sub(v128.load(row + <usize>(i << 2)), v128.load(q + <usize>(i << 2)));
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    store<f32>(out + (<usize>r << 2), finishL2(acc, row, q, dim4, dim));
  }
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
