// The transformer kernels of the Llama forward pass in WGSL, float32 storage with the float64
// contract of the facade kept by two-float arithmetic (df32.ts): every output is the float32
// rounding of a value computed to about 48 bits, as the Wasm kernels round a float64 once.
// - RMS_NORM and SOFTMAX_ROWS: one workgroup of 64 per row; the row's sums are reduced in
//   workgroup memory.
// - ROTARY: one invocation per rotated pair; the angles' cosines and sines come from a table the
//   host computes in float64 (WGSL's sin and cos are accurate only to 2^-11 absolute).
// - SILU_GATE: one invocation per element.
// - FIRST_NON_FINITE and GATHER_CHECK: one invocation per element; the first index is kept by an
//   atomic max of its complement, so a cleared word means none. GATHER_ROWS then copies the rows.
import { DF32 } from './df32.js';
import { LINEAR_INDEX, LINEAR_MAIN, type Program } from '../program.js';
import { elementwise } from './elementwise.js';

/** Workgroup size of the row kernels. */
export const ROW_THREADS = 64;

/** A row index over a 2-D grid of workgroups (linearGrid), and the two-float tree sum of a workgroup. */
const ROW_PARTS = `
var<workgroup> part: array<vec2f, ${ROW_THREADS}>;
fn rowIndex(wid: vec3u, nwg: vec3u) -> u32 { return wid.x + wid.y * nwg.x; }
/** The two-float sum of every invocation's v (call from all ${ROW_THREADS} invocations, uniformly). */
fn groupSum(v: vec2f, lid: u32) -> vec2f {
  part[lid] = v;
  workgroupBarrier();
  for (var w = ${ROW_THREADS / 2}u; w > 0u; w = w >> 1u) {
    if (lid < w) { part[lid] = ds_add(part[lid], part[lid + w]); }
    workgroupBarrier();
  }
  let total = part[0];
  workgroupBarrier();
  return total;
}`;

const ROW_MAIN = `@compute @workgroup_size(${ROW_THREADS})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid3: vec3u)`;

/**
 * Y[i, :] := X[i, :] / sqrt(mean_j X[i, j]² + eps) ⊙ w. Params: rows, cols, offsets and strides
 * of X and Y, w's offset and step, eps as (hi, lo), zero. X and Y are separate buffers.
 */
export const RMS_NORM: Program = {
  name: 'srmsnorm',
  code: `
struct Params { rows: u32, cols: u32, xOff: u32, xLd: u32, yOff: u32, yLd: u32, wOff: u32, wStep: u32, epsHi: f32, epsLo: f32, zero: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
${DF32}
${ROW_PARTS}
${ROW_MAIN} {
  ds_zero = P.zero;
  let i = rowIndex(wid, nwg);
  if (i >= P.rows) { return; }
  let lid = lid3.x;
  let x0 = P.xOff + i * P.xLd;
  var ss = vec2f(0.0, 0.0);
  for (var j = lid; j < P.cols; j += ${ROW_THREADS}u) {
    let v = X[x0 + j];
    ss = ds_add(ss, ds_two_prod(v, v));
  }
  let total = groupSum(ss, lid);
  let m = ds_add(ds_div(total, vec2f(f32(P.cols), 0.0)), vec2f(P.epsHi, P.epsLo));
  let r = ds_div(vec2f(1.0, 0.0), ds_sqrt(m));
  let y0 = P.yOff + i * P.yLd;
  for (var j = lid; j < P.cols; j += ${ROW_THREADS}u) {
    Y[y0 + j] = ds_mulf(ds_mulf(r, X[x0 + j]), Wt[P.wOff + j * P.wStep]).x;
  }
}`,
};

/**
 * Softmax of scale · S[r, :] in place, about the row's largest value; causal rows keep columns
 * j <= r + offset (the rest become 0). Any NaN among the kept values, a +Inf, or nothing but −Inf
 * makes the row NaN (as float64 arithmetic does: exp(Inf − Inf)); a row keeping none is all 0.
 */
export const SOFTMAX_ROWS: Program = {
  name: 'ssoftmax-rows',
  code: `
struct Params { rows: u32, cols: u32, sOff: u32, sLd: u32, scaleHi: f32, scaleLo: f32, causal: u32, offset: i32, zero: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> S: array<f32>;
${DF32}
${ROW_PARTS}
var<workgroup> flags: array<atomic<u32>, 2>;
var<workgroup> best: array<f32, ${ROW_THREADS}>;
${ROW_MAIN} {
  ds_zero = P.zero;
  let r = rowIndex(wid, nwg);
  if (r >= P.rows) { return; }
  let lid = lid3.x;
  let o = P.sOff + r * P.sLd;
  var n = P.cols;
  if (P.causal != 0u) { n = u32(clamp(i32(r) + P.offset + 1, 0, i32(P.cols))); }
  let scale = vec2f(P.scaleHi, P.scaleLo);
  if (lid == 0u) { atomicStore(&flags[0], 0u); atomicStore(&flags[1], 0u); }
  workgroupBarrier();
  // The largest scale · s (its s: the largest s when scale > 0, the smallest when < 0), and
  // whether any kept value is NaN or +Inf after scaling (then the row is NaN), or finite.
  var pick = ds_neg_inf();
  var bad = false;
  var finite = false;
  for (var j = lid; j < n; j += ${ROW_THREADS}u) {
    let v = ds_mulf(scale, S[o + j]).x;
    if (ds_nan(v) || (!ds_finite(v) && v > 0.0)) { bad = true; }
    else if (ds_finite(v)) {
      finite = true;
      if (v > pick) { pick = v; }
    }
  }
  if (bad) { atomicOr(&flags[0], 1u); }
  if (finite) { atomicOr(&flags[1], 1u); }
  best[lid] = pick;
  workgroupBarrier();
  for (var w = ${ROW_THREADS / 2}u; w > 0u; w = w >> 1u) {
    if (lid < w && best[lid + w] > best[lid]) { best[lid] = best[lid + w]; }
    workgroupBarrier();
  }
  let rowBad = atomicLoad(&flags[0]) != 0u || (n > 0u && atomicLoad(&flags[1]) == 0u);
  // Softmax does not depend on the point it is taken about: the largest scaled value's float32
  // serves (no exp argument is above 2^-24 · it).
  let m = vec2f(best[0], 0.0);
  var sum = vec2f(0.0, 0.0);
  if (!rowBad) {
    for (var j = lid; j < n; j += ${ROW_THREADS}u) {
      let v = ds_mulf(scale, S[o + j]);
      if (ds_finite(v.x)) { sum = ds_add(sum, ds_exp(ds_add(v, -m))); }
    }
  }
  let total = groupSum(sum, lid);
  for (var j = lid; j < P.cols; j += ${ROW_THREADS}u) {
    var out = 0.0;
    if (j < n) {
      if (rowBad) { out = ds_qnan(); }
      else {
        let v = ds_mulf(scale, S[o + j]);
        if (ds_finite(v.x)) {
          let e = ds_exp_parts(ds_add(v, -m));
          out = ds_to_f32(ds_div(e.t, total), e.k);
        }
      }
    }
    S[o + j] = out;
  }
}`,
};

/**
 * Rotary embedding in place, rotate_half pairs (i, i + d/2) of every head: (x1, x2) := (x1 c − x2 s,
 * x2 c + x1 s) with c and s of row t, pair i from the table T (4 floats per (t, i): c hi, c lo,
 * s hi, s lo; d/2 pairs per row). One invocation per (t, head, i).
 */
export const ROTARY: Program = {
  name: 'srotary',
  code: `
struct Params { rows: u32, heads: u32, half: u32, xOff: u32, xLd: u32, zero: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> T: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> X: array<f32>;
${DF32}
${LINEAR_INDEX}
${LINEAR_MAIN} {
  ds_zero = P.zero;
  let t = linearIndex(wid, nwg, lid);
  let perRow = P.heads * P.half;
  if (t >= P.rows * perRow) { return; }
  let row = t / perRow;
  let rest = t - row * perRow;
  let h = rest / P.half;
  let i = rest - h * P.half;
  let cs = T[row * P.half + i];
  let c = cs.xy;
  let s = cs.zw;
  let k = P.xOff + row * P.xLd + h * 2u * P.half + i;
  let x1 = X[k];
  let x2 = X[k + P.half];
  X[k] = ds_add(ds_mulf(c, x1), -ds_mulf(s, x2)).x;
  X[k + P.half] = ds_add(ds_mulf(c, x2), ds_mulf(s, x1)).x;
}`,
};

/**
 * Y := silu(G) ⊙ U, silu(g) = g / (1 + e^(−g)), to two floats; for g < 0 as g·e^g / (e^g + 1), so
 * that e^(−g) cannot overflow. G, U and Y are separate buffers (the backend copies an aliased one).
 */
export const SILU_GATE = elementwise('ssilu-gate', 'gOff: u32, gLd: u32, uOff: u32, uLd: u32, yOff: u32, yLd: u32, zero: u32, pad0: u32',
  `@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> U: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
${DF32}`,
  `ds_zero = P.zero;
  let g = G[P.gOff + i * P.gLd + j];
  let u = U[P.uOff + i * P.uLd + j];
  var y: f32;
  if (!ds_finite(g) || !ds_finite(u)) {
    // As float64 does it: g / (1 + e^(−g)) · u, with its infinities and NaNs.
    y = (g / (1.0 + exp(-g))) * u;
  } else if (g >= 0.0) {
    y = ds_div(ds_two_prod(g, u), ds_add(vec2f(1.0, 0.0), ds_exp(vec2f(-g, 0.0)))).x;
  } else {
    // e^g = t · 2^k; the quotient's scale 2^k is applied last, so a result below 2^-126 is kept.
    let e = ds_exp_parts(vec2f(g, 0.0));
    let den = ds_add(vec2f(1.0, 0.0), vec2f(ldexp(e.t.x, e.k), ldexp(e.t.y, e.k)));
    y = ds_to_f32(ds_div(ds_mul(ds_two_prod(g, u), e.t), den), e.k);
  }
  Y[P.yOff + i * P.yLd + j] = y;`);

/** The first row-major index of a non-finite element of a float32 view, as the complement in R[0] (0: none). */
export const FIRST_NON_FINITE = elementwise('sfirst-non-finite', 'aOff: u32, aLd: u32',
  `@group(0) @binding(1) var<storage, read> A: array<u32>;
@group(0) @binding(2) var<storage, read_write> R: array<atomic<u32>>;`,
  `if ((A[P.aOff + i * P.aLd + j] & 0x7f800000u) == 0x7f800000u) { atomicMax(&R[0], ~t); }`);

/** The first t whose id (an int32 vector: element t at idOff + t · idStep) is outside [0, vocab), as the complement in R[0] (0: none). Pass rows = 1, cols = n. */
export const GATHER_CHECK = elementwise('sgather-check', 'idOff: u32, idStep: u32, vocab: u32, pad: u32',
  `@group(0) @binding(1) var<storage, read> Ids: array<i32>;
@group(0) @binding(2) var<storage, read_write> R: array<atomic<u32>>;`,
  `let id = Ids[P.idOff + j * P.idStep];
  if (id < 0 || u32(id) >= P.vocab) { atomicMax(&R[0], ~j); }`);

/** Y[t, :] := E[ids[t], :] for float32 E and Y (ids checked by GATHER_CHECK first). */
export const GATHER_ROWS = elementwise('sgather-rows', 'eOff: u32, eLd: u32, yOff: u32, yLd: u32, idOff: u32, idStep: u32',
  `@group(0) @binding(1) var<storage, read> E: array<f32>;
@group(0) @binding(2) var<storage, read> Ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;`,
  `let id = u32(Ids[P.idOff + i * P.idStep]);
  Y[P.yOff + i * P.yLd + j] = E[P.eOff + id * P.eLd + j];`);
