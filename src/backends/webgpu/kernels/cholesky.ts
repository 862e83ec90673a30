// The Cholesky family's WGSL pieces, float32 (the backend contract: potrf, potri, invchol). The
// blocked algorithms live in ../cholesky.ts; here are the small kernels they are made of:
// - POTF2: the unblocked factor of one diagonal block of at most CHOL_NB columns, in workgroup
//   memory, right-looking; the first pivot that is not positive and finite goes to info;
// - TRSM_PANEL: the panel below it, L21 = A21 L11⁻ᵀ, one invocation per row;
// - TRTI2: the inverse of every lower diagonal block at once, one workgroup per block;
// - the index maps: clear the strict upper triangle, reverse a lower triangle (B = P Aᵀ P, which
//   turns invchol into a potrf), and rotate by 180 degrees (lower factor to upper).
// Pivots are tested on their bits (0 < bits < 0x7f800000), not by float comparisons that a
// compiler may fold on the assumption that no NaN occurs.
import { LINEAR_INDEX, LINEAR_MAIN, type Program } from '../program.js';

/** Columns of one block step (and the largest block the small kernels take). */
export const CHOL_NB = 32;


/**
 * Factors the kb x kb lower block at A[off + k0·(ld+1)]: L11 overwrites its lower triangle (the
 * strict upper one is neither read nor written). When info[0] is 0 and a pivot fails,
 * info[0] := k0 + its column + 1.
 */
export const POTF2: Program = {
  name: 'spotf2',
  code: `
struct Params { kb: u32, off: u32, ld: u32, k0: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> info: array<u32>;
const NB = ${CHOL_NB}u;
var<workgroup> a: array<f32, ${CHOL_NB * CHOL_NB}>;
var<workgroup> fail: atomic<u32>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let kb = P.kb;
  let base = P.off + P.k0 * (P.ld + 1u);
  for (var t = lid.x; t < kb * kb; t += 256u) {
    let i = t / kb;
    let j = t - i * kb;
    a[i * NB + j] = select(0.0, A[base + i * P.ld + j], j <= i);
  }
  if (lid.x == 0u) { atomicStore(&fail, 0xffffffffu); }
  workgroupBarrier();
  for (var j = 0u; j < kb; j++) {
    if (lid.x == 0u) {
      let d = a[j * NB + j];
      let bits = bitcast<u32>(d);
      if (bits == 0u || bits >= 0x7f800000u) { atomicMin(&fail, j); }
      a[j * NB + j] = sqrt(d);
    }
    workgroupBarrier();
    let djj = a[j * NB + j];
    for (var i = j + 1u + lid.x; i < kb; i += 256u) { a[i * NB + j] = a[i * NB + j] / djj; }
    workgroupBarrier();
    for (var t = lid.x; t < kb * kb; t += 256u) {
      let i = t / kb;
      let l = t - i * kb;
      if (l > j && l <= i) { a[i * NB + l] = a[i * NB + l] - a[i * NB + j] * a[l * NB + j]; }
    }
    workgroupBarrier();
  }
  for (var t = lid.x; t < kb * kb; t += 256u) {
    let i = t / kb;
    let j = t - i * kb;
    if (j <= i) { A[base + i * P.ld + j] = a[i * NB + j]; }
  }
  if (lid.x == 0u) {
    let f = atomicLoad(&fail);
    if (f != 0xffffffffu && info[0] == 0u) { info[0] = P.k0 + f + 1u; }
  }
}`,
};

/** Rows k1 … k1 + rows − 1 of the panel in columns [k0, k0 + kb): x L11ᵀ = a, x overwrites a. */
export const TRSM_PANEL: Program = {
  name: 'strsm-panel',
  code: `
struct Params { rows: u32, kb: u32, off: u32, ld: u32, k0: u32, k1: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
const NB = ${CHOL_NB}u;
var<workgroup> L: array<f32, ${CHOL_NB * CHOL_NB}>;
${LINEAR_INDEX}
${LINEAR_MAIN} {
  let kb = P.kb;
  let base = P.off + P.k0 * (P.ld + 1u);
  for (var t = lid.x; t < kb * kb; t += 256u) {
    let i = t / kb;
    let j = t - i * kb;
    L[i * NB + j] = select(0.0, A[base + i * P.ld + j], j <= i);
  }
  workgroupBarrier();
  let t = linearIndex(wid, nwg, lid);
  if (t >= P.rows) { return; }
  let row = P.off + (P.k1 + t) * P.ld + P.k0;
  var x: array<f32, ${CHOL_NB}>;
  for (var j = 0u; j < kb; j++) {
    var s = A[row + j];
    for (var l = 0u; l < j; l++) { s = s - x[l] * L[j * NB + l]; }
    x[j] = s / L[j * NB + j];
    A[row + j] = x[j];
  }
}`,
};

/**
 * Inverts every lower diagonal block of the n x n matrix at off in place: block g covers
 * [g·NB, min(n, (g+1)·NB)); one workgroup per block, one invocation per column of it.
 */
export const TRTI2: Program = {
  name: 'strti2',
  code: `
struct Params { n: u32, off: u32, ld: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
const NB = ${CHOL_NB}u;
var<workgroup> L: array<f32, ${CHOL_NB * CHOL_NB}>;
var<workgroup> X: array<f32, ${CHOL_NB * CHOL_NB}>;
@compute @workgroup_size(${CHOL_NB})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k0 = wid.x * NB;
  let kb = min(NB, P.n - k0);
  let base = P.off + k0 * (P.ld + 1u);
  let c = lid.x;
  for (var i = 0u; i < kb; i++) {
    if (c < kb) { L[i * NB + c] = select(0.0, A[base + i * P.ld + c], c <= i); }
  }
  workgroupBarrier();
  if (c < kb) {
    // Column c of L⁻¹ by forward substitution: L x = e_c.
    for (var i = 0u; i < c; i++) { X[i * NB + c] = 0.0; }
    for (var i = c; i < kb; i++) {
      var s = select(0.0, 1.0, i == c);
      for (var k = c; k < i; k++) { s = s - L[i * NB + k] * X[k * NB + c]; }
      X[i * NB + c] = s / L[i * NB + i];
    }
    for (var i = 0u; i < kb; i++) { A[base + i * P.ld + c] = X[i * NB + c]; }
  }
}`,
};

/** One invocation per (i, j) of an n x n square; `bindings` declares the buffers, `body` uses i, j and m = n − 1. */
function squareMap(name: string, params: string, bindings: string, body: string): Program {
  return {
    name,
    code: `
struct Params { n: u32, ${params} }
@group(0) @binding(0) var<uniform> P: Params;
${bindings}
${LINEAR_INDEX}
${LINEAR_MAIN} {
  let t = linearIndex(wid, nwg, lid);
  if (t >= P.n * P.n) { return; }
  let i = t / P.n;
  let j = t - i * P.n;
  let m = P.n - 1u;
  ${body}
}`,
  };
}

/** B := f(A) over the square (A read, B written; pass n, A's offset and stride, then B's). */
function indexMap(name: string, body: string): Program {
  return squareMap(name, 'aOff: u32, aLd: u32, bOff: u32, bLd: u32, pad0: u32, pad1: u32, pad2: u32', `@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> B: array<f32>;`, body);
}

/** B := P Aᵀ P on the lower triangle (B[i,j] = A[n−1−j, n−1−i], j ≤ i; A's lower triangle only), 0 above. */
export const REVERSE_LOWER = indexMap('sreverse-lower',
  'B[P.bOff + i * P.bLd + j] = select(0.0, A[P.aOff + (m - j) * P.aLd + (m - i)], j <= i);');

/** B := A rotated by 180 degrees for j ≥ i (B[i,j] = A[n−1−i, n−1−j], A's lower triangle), 0 below. */
export const ROTATE_UPPER = indexMap('srotate-upper',
  'B[P.bOff + i * P.bLd + j] = select(0.0, A[P.aOff + (m - i) * P.aLd + (m - j)], j >= i);');

/** A[i, j] := 0 for j > i (bind A once; pass n, its offset and stride). */
export const CLEAR_UPPER = squareMap('sclear-upper', 'off: u32, ld: u32, pad: u32', '@group(0) @binding(1) var<storage, read_write> A: array<f32>;',
  'if (j > i) { A[P.off + i * P.ld + j] = 0.0; }');
