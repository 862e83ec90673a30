// Conversions between float32 and float64 in WGSL, on the bits (WGSL has no f64): a float64 is
// two u32 words, low word first. Widening is exact; narrowing rounds to nearest, ties to even,
// with subnormal results built from the significand, overflow to ±Inf, and a NaN staying a NaN
// (quiet, its top payload bits kept). One invocation per element of the destination view.
import { elementwise } from './elementwise.js';

const PARAMS = 'aOff: u32, aLd: u32, bOff: u32, bLd: u32';

/** B (float64) := A (float32). */
export const WIDEN_F32_F64 = elementwise('convert-f32-f64', PARAMS,
  `@group(0) @binding(1) var<storage, read> A: array<u32>;
@group(0) @binding(2) var<storage, read_write> B: array<u32>;`,
  `let x = A[P.aOff + i * P.aLd + j];
  let sign = x & 0x80000000u;
  let e = (x >> 23u) & 0xffu;
  let m = x & 0x7fffffu;
  var hi = sign;
  var lo = 0u;
  if (e == 0xffu) {
    hi = sign | 0x7ff00000u | (m >> 3u);
    lo = m << 29u;
  } else if (e != 0u) {
    hi = sign | ((e + 896u) << 20u) | (m >> 3u);
    lo = m << 29u;
  } else if (m != 0u) {
    // A subnormal m · 2^-149 is normal in float64: its top bit p becomes the implicit one.
    let p = 31u - countLeadingZeros(m);
    let f = m ^ (1u << p);
    let s = 52u - p; // f's bits move up by s (30 <= s <= 52) into the 52-bit field
    if (s >= 32u) {
      hi = hi | (f << (s - 32u));
    } else {
      hi = hi | (f >> (32u - s));
      lo = f << s;
    }
    hi = hi | ((p + 874u) << 20u); // exponent p − 149 + 1023
  }
  let at = 2u * (P.bOff + i * P.bLd + j);
  B[at] = lo;
  B[at + 1u] = hi;`);

/** B (float32) := A (float64), rounded to nearest even. */
export const NARROW_F64_F32 = elementwise('convert-f64-f32', PARAMS,
  `@group(0) @binding(1) var<storage, read> A: array<u32>;
@group(0) @binding(2) var<storage, read_write> B: array<u32>;
/** (h:l) >> s rounded to nearest, ties to even, for 29 <= s <= 53 (the result fits 25 bits). */
fn shiftRound(h: u32, l: u32, s: u32) -> u32 {
  var q: u32;
  var remHi: u32;
  var remLo: u32;
  var halfHi = 0u;
  var halfLo = 0u;
  if (s >= 32u) {
    q = h >> (s - 32u);
    remHi = h & ((1u << (s - 32u)) - 1u);
    remLo = l;
    if (s == 32u) { halfLo = 0x80000000u; } else { halfHi = 1u << (s - 33u); }
  } else {
    q = (h << (32u - s)) | (l >> s);
    remHi = 0u;
    remLo = l & ((1u << s) - 1u);
    halfLo = 1u << (s - 1u);
  }
  let above = remHi > halfHi || (remHi == halfHi && remLo > halfLo);
  let tie = remHi == halfHi && remLo == halfLo;
  if (above || (tie && (q & 1u) == 1u)) { q = q + 1u; }
  return q;
}`,
  `let at = 2u * (P.aOff + i * P.aLd + j);
  let lo = A[at];
  let hi = A[at + 1u];
  let sign = hi & 0x80000000u;
  let e = (hi >> 20u) & 0x7ffu;
  let mh = hi & 0xfffffu;
  var y = sign;
  if (e == 0x7ffu) {
    if (mh == 0u && lo == 0u) { y = sign | 0x7f800000u; }
    else { y = sign | 0x7fc00000u | (mh << 2u) | (lo >> 30u); }
  } else if (e >= 897u) {
    // A normal float32 (or ±Inf when the exponent or the rounding carry overflows): the 52-bit
    // fraction rounded to 23 bits, the carry running into the exponent.
    let r = shiftRound(mh, lo, 29u);
    let ex = e - 896u;
    if (ex >= 255u) { y = sign | 0x7f800000u; }
    else { y = sign | min((ex << 23u) + r, 0x7f800000u); }
  } else if (e >= 873u) {
    // A subnormal float32 (or the smallest normal, by the carry): the whole significand with its
    // implicit one, shifted down by 926 − e (30 <= s <= 53).
    y = sign | shiftRound(mh | 0x100000u, lo, 926u - e);
  }
  B[P.bOff + i * P.bLd + j] = y;`);
