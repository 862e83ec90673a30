// The Cholesky family's WGSL pieces, float32 and float64 (the backend contract: potrf, potri,
// invchol). The blocked algorithms live in ../cholesky.ts; here are the small kernels they are
// made of, each written once over an element type (Element):
// - POTF2: the unblocked factor of one diagonal block of at most CHOL_NB columns, in workgroup
//   memory, right-looking; the first pivot that is not positive and finite goes to info;
// - TRSM_PANEL: the panel below it, L21 = A21 L11⁻ᵀ, one invocation per row;
// - TRTI2: the inverse of every lower diagonal block at once, one workgroup per block;
// - the index maps: clear the strict upper triangle, reverse a lower triangle (B = P Aᵀ P, which
//   turns invchol into a potrf), and rotate by 180 degrees (lower factor to upper).
// float64 runs in float64 emulated on integers (f64.ts), √ included (sqrt64, correctly rounded).
import { LINEAR_INDEX, LINEAR_MAIN, type Program } from '../program.js';
import { F64 } from './f64.js';

/** Columns of one block step (and the largest block the small kernels take). */
export const CHOL_NB = 32;

/**
 * How the small kernels handle one dtype's elements: T, an element as workgroup memory holds it
 * (float64: its IEEE bits, two words); V, a value to compute with (float64: the unpacked F64 of
 * f64.ts); and WGSL helpers of the same names for both, so that each kernel is written once.
 */
interface Element {
  prefix: 's' | 'd';
  /** The storage array's element type. */
  storage: string;
  T: string;
  V: string;
  /** T's zero. */
  zero: string;
  /** ld(at) -> T, st(at, T), val(T) -> V, bits(V) -> T, fms(a, b, c) = a − b·c, quot(a, b), root(v), badPivot(v) (not positive and finite), oneValue() and zeroValue() as V. */
  helpers: string;
}

const FLOAT32: Element = {
  prefix: 's', storage: 'f32', T: 'f32', V: 'f32', zero: '0.0',
  // Pivots are tested on their bits (0 < bits < 0x7f800000), not by float comparisons that a
  // compiler may fold on the assumption that no NaN occurs.
  helpers: `
fn ld(at: u32) -> f32 { return A[at]; }
fn st(at: u32, t: f32) { A[at] = t; }
fn val(t: f32) -> f32 { return t; }
fn bits(v: f32) -> f32 { return v; }
fn fms(a: f32, b: f32, c: f32) -> f32 { return a - b * c; }
fn quot(a: f32, b: f32) -> f32 { return a / b; }
fn root(v: f32) -> f32 { return sqrt(v); }
fn badPivot(v: f32) -> bool { let b = bitcast<u32>(v); return b == 0u || b >= 0x7f800000u; }
fn oneValue() -> f32 { return 1.0; }
fn zeroValue() -> f32 { return 0.0; }`,
};

const FLOAT64: Element = {
  prefix: 'd', storage: 'u32', T: 'vec2u', V: 'F64', zero: 'vec2u(0u, 0u)',
  // Every product, difference, quotient and root rounded once, as IEEE float64 rounds it.
  helpers: `
${F64}
fn ld(at: u32) -> vec2u { return vec2u(A[2u * at], A[2u * at + 1u]); }
fn st(at: u32, t: vec2u) { A[2u * at] = t.x; A[2u * at + 1u] = t.y; }
fn val(t: vec2u) -> F64 { return unpack64(t.x, t.y); }
fn bits(v: F64) -> vec2u { return bits64(v); }
fn fms(a: F64, b: F64, c: F64) -> F64 { return add(a, negated(mul(b, c))); }
fn quot(a: F64, b: F64) -> F64 { return div(a, b); }
fn root(v: F64) -> F64 { return sqrt64(v); }
fn badPivot(v: F64) -> bool { return v.kind != 0u || v.neg == 1u || isZero(v); }
fn oneValue() -> F64 { return unpack64(0u, 0x3ff00000u); }
fn zeroValue() -> F64 { return f64Zero(0u); }`,
};

/**
 * POTF2: factors the kb x kb lower block at A[off + k0·(ld+1)] in workgroup memory,
 * right-looking: L11 overwrites its lower triangle (the strict upper one is neither read nor
 * written). When info[0] is 0 and a pivot fails, info[0] := k0 + its column + 1.
 */
function potf2(e: Element): Program {
  return {
    name: `${e.prefix}potf2`,
    code: `
struct Params { kb: u32, off: u32, ld: u32, k0: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<${e.storage}>;
@group(0) @binding(2) var<storage, read_write> info: array<u32>;
${e.helpers}
const NB = ${CHOL_NB}u;
var<workgroup> a: array<${e.T}, ${CHOL_NB * CHOL_NB}>;
var<workgroup> fail: atomic<u32>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u) {
  let kb = P.kb;
  let base = P.off + P.k0 * (P.ld + 1u);
  for (var t = lid.x; t < kb * kb; t += 256u) {
    let i = t / kb;
    let j = t - i * kb;
    a[i * NB + j] = select(${e.zero}, ld(base + i * P.ld + j), j <= i);
  }
  if (lid.x == 0u) { atomicStore(&fail, 0xffffffffu); }
  workgroupBarrier();
  for (var j = 0u; j < kb; j++) {
    if (lid.x == 0u) {
      let d = val(a[j * NB + j]);
      if (badPivot(d)) { atomicMin(&fail, j); }
      a[j * NB + j] = bits(root(d));
    }
    workgroupBarrier();
    let djj = val(a[j * NB + j]);
    for (var i = j + 1u + lid.x; i < kb; i += 256u) { a[i * NB + j] = bits(quot(val(a[i * NB + j]), djj)); }
    workgroupBarrier();
    for (var t = lid.x; t < kb * kb; t += 256u) {
      let i = t / kb;
      let l = t - i * kb;
      if (l > j && l <= i) { a[i * NB + l] = bits(fms(val(a[i * NB + l]), val(a[i * NB + j]), val(a[l * NB + j]))); }
    }
    workgroupBarrier();
  }
  for (var t = lid.x; t < kb * kb; t += 256u) {
    let i = t / kb;
    let j = t - i * kb;
    if (j <= i) { st(base + i * P.ld + j, a[i * NB + j]); }
  }
  if (lid.x == 0u) {
    let f = atomicLoad(&fail);
    if (f != 0xffffffffu && info[0] == 0u) { info[0] = P.k0 + f + 1u; }
  }
}`,
  };
}

/** TRSM_PANEL: rows k1 … k1 + rows − 1 of the panel in columns [k0, k0 + kb): x L11ᵀ = a, x overwrites a. */
function trsmPanel(e: Element): Program {
  return {
    name: `${e.prefix}trsm-panel`,
    code: `
struct Params { rows: u32, kb: u32, off: u32, ld: u32, k0: u32, k1: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<${e.storage}>;
${e.helpers}
const NB = ${CHOL_NB}u;
var<workgroup> L: array<${e.T}, ${CHOL_NB * CHOL_NB}>;
${LINEAR_INDEX}
${LINEAR_MAIN} {
  let kb = P.kb;
  let base = P.off + P.k0 * (P.ld + 1u);
  for (var t = lid.x; t < kb * kb; t += 256u) {
    let i = t / kb;
    let j = t - i * kb;
    L[i * NB + j] = select(${e.zero}, ld(base + i * P.ld + j), j <= i);
  }
  workgroupBarrier();
  let t = linearIndex(wid, nwg, lid);
  if (t >= P.rows) { return; }
  let row = P.off + (P.k1 + t) * P.ld + P.k0;
  var x: array<${e.V}, ${CHOL_NB}>;
  for (var j = 0u; j < kb; j++) {
    var s = val(ld(row + j));
    for (var l = 0u; l < j; l++) { s = fms(s, x[l], val(L[j * NB + l])); }
    x[j] = quot(s, val(L[j * NB + j]));
    st(row + j, bits(x[j]));
  }
}`,
  };
}

/**
 * TRTI2: inverts every lower diagonal block of the n x n matrix at off in place: block g covers
 * [g·NB, min(n, (g+1)·NB)); one workgroup per block, one invocation per column of it.
 */
function trti2(e: Element): Program {
  return {
    name: `${e.prefix}trti2`,
    code: `
struct Params { n: u32, off: u32, ld: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<${e.storage}>;
${e.helpers}
const NB = ${CHOL_NB}u;
var<workgroup> L: array<${e.T}, ${CHOL_NB * CHOL_NB}>;
var<workgroup> X: array<${e.T}, ${CHOL_NB * CHOL_NB}>;
@compute @workgroup_size(${CHOL_NB})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let k0 = wid.x * NB;
  let kb = min(NB, P.n - k0);
  let base = P.off + k0 * (P.ld + 1u);
  let c = lid.x;
  for (var i = 0u; i < kb; i++) {
    if (c < kb) { L[i * NB + c] = select(${e.zero}, ld(base + i * P.ld + c), c <= i); }
  }
  workgroupBarrier();
  if (c < kb) {
    // Column c of L⁻¹ by forward substitution: L x = e_c.
    for (var i = 0u; i < c; i++) { X[i * NB + c] = ${e.zero}; }
    for (var i = c; i < kb; i++) {
      var s = zeroValue();
      if (i == c) { s = oneValue(); }
      for (var k = c; k < i; k++) { s = fms(s, val(L[i * NB + k]), val(X[k * NB + c])); }
      X[i * NB + c] = bits(quot(s, val(L[i * NB + i])));
    }
    for (var i = 0u; i < kb; i++) { st(base + i * P.ld + c, X[i * NB + c]); }
  }
}`,
  };
}

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

/** B := f(A) over the square (A read, B written; pass n, A's offset and stride, then B's), elements of type `ty`. */
function indexMap(name: string, ty: 'f32' | 'vec2u', body: string): Program {
  return squareMap(name, 'aOff: u32, aLd: u32, bOff: u32, bLd: u32, pad0: u32, pad1: u32, pad2: u32', `@group(0) @binding(1) var<storage, read> A: array<${ty}>;
@group(0) @binding(2) var<storage, read_write> B: array<${ty}>;`, body);
}

/** The small kernels of the blocked algorithms for one dtype (float64: an element is a vec2u of its two words). */
export interface CholeskyKernels {
  potf2: Program;
  trsmPanel: Program;
  trti2: Program;
  /** B := P Aᵀ P on the lower triangle (B[i,j] = A[n−1−j, n−1−i], j ≤ i; A's lower triangle only), 0 above. */
  reverseLower: Program;
  /** B := A rotated by 180 degrees for j ≥ i (B[i,j] = A[n−1−i, n−1−j], A's lower triangle), 0 below. */
  rotateUpper: Program;
  /** A[i, j] := 0 for j > i (bind A once; pass n, its offset and stride). */
  clearUpper: Program;
}

function choleskyKernels(e: Element): CholeskyKernels {
  // The index maps only move elements: float64 ones as vec2u.
  const ty = e.prefix === 's' ? 'f32' : 'vec2u';
  return {
    potf2: potf2(e),
    trsmPanel: trsmPanel(e),
    trti2: trti2(e),
    reverseLower: indexMap(`${e.prefix}reverse-lower`, ty, `B[P.bOff + i * P.bLd + j] = select(${e.zero}, A[P.aOff + (m - j) * P.aLd + (m - i)], j <= i);`),
    rotateUpper: indexMap(`${e.prefix}rotate-upper`, ty, `B[P.bOff + i * P.bLd + j] = select(${e.zero}, A[P.aOff + (m - i) * P.aLd + (m - j)], j >= i);`),
    clearUpper: squareMap(`${e.prefix}clear-upper`, 'off: u32, ld: u32, pad: u32', `@group(0) @binding(1) var<storage, read_write> A: array<${ty}>;`,
      `if (j > i) { A[P.off + i * P.ld + j] = ${e.zero}; }`),
  };
}

/** The kernels by dtype. */
export const CHOLESKY_KERNELS: Record<'float32' | 'float64', CholeskyKernels> = {
  float32: choleskyKernels(FLOAT32),
  float64: choleskyKernels(FLOAT64),
};
