// The triangular solves trsm and trsv in WGSL: TRSM on float32, DTRSM on float64 (in float64
// emulated on integers, f64.ts: each product, difference and quotient rounded once as IEEE
// float64 rounds it). One workgroup per right-hand side (a column of B for side 'left', a row for
// 'right', the vector for trsv) solves E y = α b by substitution in the order of E's triangle: the
// pivot's unknown by one invocation (float32: a corrected quotient), then its column pushed into
// the unknowns after it by all of them, with a storage barrier between. Every case maps onto that
// one: side 'right' solves op(A)ᵀ Xᵀ = α Bᵀ, a transposed A is read through swapped indices, and
// an upper E runs from the last unknown back.
// Only E's own triangle is read (and its diagonal only without `unit`).
import { type Program } from '../program.js';
import { DF32 } from './df32.js';
import { F64 } from './f64.js';

/** Invocations per right-hand side. */
const WG = 64;

/**
 * B's right-hand side r has element i at bOff + r·rStep + i·iStep; E(i, k) is A[aOff + i·aLd + k]
 * (A[aOff + k·aLd + i] with eTrans); lower: E is lower triangular (forward substitution).
 */
export const TRSM: Program = {
  name: 'trsm',
  code: `
struct Params { n: u32, m: u32, aOff: u32, aLd: u32, bOff: u32, rStep: u32, iStep: u32, eTrans: u32, lower: u32, unit: u32, alpha: f32, zero: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> B: array<f32>;
${DF32}
const WG = ${WG}u;

fn e(i: u32, k: u32) -> f32 {
  if (P.eTrans == 1u) { return A[P.aOff + k * P.aLd + i]; }
  return A[P.aOff + i * P.aLd + k];
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ds_zero = P.zero;
  let r = wid.x + wid.y * nwg.x;
  if (r >= P.m) { return; }
  let n = P.n;
  let base = P.bOff + r * P.rStep;
  for (var i = lid.x; i < n; i += WG) { B[base + i * P.iStep] = P.alpha * B[base + i * P.iStep]; }
  storageBarrier();
  for (var s = 0u; s < n; s++) {
    let k = select(n - 1u - s, s, P.lower == 1u);
    if (lid.x == 0u && P.unit == 0u) {
      let at = base + k * P.iStep;
      B[at] = ds_quot(B[at], e(k, k));
    }
    storageBarrier();
    let x = B[base + k * P.iStep];
    if (P.lower == 1u) {
      for (var i = k + 1u + lid.x; i < n; i += WG) { B[base + i * P.iStep] = B[base + i * P.iStep] - e(i, k) * x; }
    } else {
      for (var i = lid.x; i < k; i += WG) { B[base + i * P.iStep] = B[base + i * P.iStep] - e(i, k) * x; }
    }
    storageBarrier();
  }
}`,
};

/** TRSM on float64 operands (two words an element; alpha's words aLo, aHi). */
export const DTRSM: Program = {
  name: 'dtrsm',
  code: `
struct Params { n: u32, m: u32, aOff: u32, aLd: u32, bOff: u32, rStep: u32, iStep: u32, eTrans: u32, lower: u32, unit: u32, aLo: u32, aHi: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<u32>;
@group(0) @binding(2) var<storage, read_write> B: array<u32>;
${F64}
const WG = ${WG}u;

fn e(i: u32, k: u32) -> F64 {
  var at = P.aOff + i * P.aLd + k;
  if (P.eTrans == 1u) { at = P.aOff + k * P.aLd + i; }
  return unpack64(A[2u * at], A[2u * at + 1u]);
}
fn b(at: u32) -> F64 { return unpack64(B[2u * at], B[2u * at + 1u]); }
fn setB(at: u32, v: F64) {
  let w = bits64(v);
  B[2u * at] = w.x;
  B[2u * at + 1u] = w.y;
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= P.m) { return; }
  let n = P.n;
  let base = P.bOff + r * P.rStep;
  let alpha = unpack64(P.aLo, P.aHi);
  if (P.aLo != 0u || P.aHi != 0x3ff00000u) {
    for (var i = lid.x; i < n; i += WG) { setB(base + i * P.iStep, mul(alpha, b(base + i * P.iStep))); }
  }
  storageBarrier();
  for (var s = 0u; s < n; s++) {
    let k = select(n - 1u - s, s, P.lower == 1u);
    if (lid.x == 0u && P.unit == 0u) { setB(base + k * P.iStep, div(b(base + k * P.iStep), e(k, k))); }
    storageBarrier();
    let x = b(base + k * P.iStep);
    if (P.lower == 1u) {
      for (var i = k + 1u + lid.x; i < n; i += WG) { setB(base + i * P.iStep, add(b(base + i * P.iStep), negated(mul(e(i, k), x)))); }
    } else {
      for (var i = lid.x; i < k; i += WG) { setB(base + i * P.iStep, add(b(base + i * P.iStep), negated(mul(e(i, k), x)))); }
    }
    storageBarrier();
  }
}`,
};
