// symmetryViolation for float32 H in WGSL: one invocation per pair (i, j), i > j, deciding
// |H_ij − H_ji| <= tol · (√|H_ii H_jj| + |H_ij| + |H_ji|) as the Wasm kernel decides it in
// float64. Here both sides are formed in two-float arithmetic (df32.ts, about 48 bits: the
// difference and the product exactly, the root, sums and the product with tol to about 2^-46),
// and a pair is decided only where the two sides differ by more than 2^-40 of the right one, far
// beyond the rounding of either computation. Closer pairs, and values the two floats cannot carry
// (nonzero magnitudes outside 2^±40, ±Inf), are left undecided. A NaN among the four values is a
// violation, as on Wasm. R[0] gets the complement of the first violation's row-major index, R[1]
// that of the first undecided pair (atomicMax; 0: none): the backend returns the violation when no
// undecided pair comes before it, and otherwise runs the call on the host.
import { DF32 } from './df32.js';
import { elementwise } from './elementwise.js';

/** Pass rows = cols = n; tol as two floats (hi, lo) within 2^±40. */
export const SYMMETRY_VIOLATION = elementwise('symmetry-violation', 'hOff: u32, hLd: u32, tolHi: f32, tolLo: f32, zero: u32, pad: u32',
  `@group(0) @binding(1) var<storage, read> H: array<f32>;
@group(0) @binding(2) var<storage, read_write> R: array<atomic<u32>, 2>;
${DF32}
// 0 or a finite magnitude within 2^±40 (so no product or sum below underflows or overflows).
fn carried(x: f32) -> bool {
  let b = bitcast<u32>(x) & 0x7fffffffu;
  let e = i32(b >> 23u) - 127;
  return b == 0u || (e >= -40 && e <= 40);
}
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn mag(x: vec2f) -> vec2f { return select(x, -x, x.x < 0.0); }`,
  `if (j >= i) { return; }
  ds_zero = P.zero;
  let a = H[P.hOff + i * P.hLd + j];
  let b = H[P.hOff + j * P.hLd + i];
  let di = H[P.hOff + i * P.hLd + i];
  let dj = H[P.hOff + j * P.hLd + j];
  let at = i * P.cols + j;
  if (isNan(a) || isNan(b) || isNan(di) || isNan(dj)) {
    atomicMax(&R[0], ~at);
    return;
  }
  if (!(carried(a) && carried(b) && carried(di) && carried(dj))) {
    atomicMax(&R[1], ~at);
    return;
  }
  let d = mag(ds_two_sum(a, -b));
  if (d.x == 0.0) { return; }
  let scale = ds_add(ds_add(ds_sqrt(mag(ds_two_prod(di, dj))), vec2f(abs(a), 0.0)), vec2f(abs(b), 0.0));
  let rhs = ds_mul(vec2f(P.tolHi, P.tolLo), scale);
  let gap = ds_add(d, -rhs);
  // gap against 2^-40 of rhs, scaled up (a margin scaled down could be flushed to zero).
  let g = ldexp(gap.x, 40);
  if (g > rhs.x) { atomicMax(&R[0], ~at); } else if (g >= -rhs.x) { atomicMax(&R[1], ~at); }`);
