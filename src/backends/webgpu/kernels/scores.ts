// The keep-mask scores of selectMask, s = w² · c (w a float32 weight, c a float32 column weight
// or 1), exactly as the Wasm kernels compute them: in float64, where w² is exact and the product
// with c is rounded once to nearest, ties to even. WGSL has no f64, so the product is formed on
// integers: the 24-bit significands in 12-bit limbs (w² has 48 bits, w²·c at most 72), then
// normalised, rounded to 53 bits and packed into the float64's two words. Every score is a normal
// float64 or zero: the exponent of w²·c lies between 2·(−149) − 149 and 2·127 + 127 + 2, far inside
// float64's range. c = ±Inf gives ±Inf (w ≠ 0); a NaN score (W or c NaN or Inf, or 0 · Inf) is not
// ordered the way the host orders it, so it raises a flag and the backend runs the call on the host.
//
// The key of a score is its float64 bits made to order as the values do: the sign bit set for
// non-negative scores, every bit inverted for negative ones, and −0 written as +0 (they are equal).
import { LINEAR_INDEX, type Program } from '../program.js';

/** WGSL: the order key (high word, low word) of the float64 w²·c, or vec3u(0, 0, 1) for NaN. */
export const SCORE_KEY = `
struct Parts { m: u32, e: i32 }
// A finite float32 as m · 2^e with m its integer significand.
fn parts(b: u32) -> Parts {
  let f = (b >> 23u) & 255u;
  if (f == 0u) { return Parts(b & 0x7fffffu, -149); }
  return Parts((b & 0x7fffffu) | 0x800000u, i32(f) - 150);
}
fn orderKey(hi: u32, lo: u32) -> vec3u {
  if ((hi >> 31u) == 1u) { return vec3u(~hi, ~lo, 0u); }
  return vec3u(hi | 0x80000000u, lo, 0u);
}
fn scoreKey(wb: u32, cb: u32) -> vec3u {
  let wf = (wb >> 23u) & 255u;
  let cf = (cb >> 23u) & 255u;
  let wZero = (wb & 0x7fffffffu) == 0u;
  let sign = cb & 0x80000000u;
  if (wf == 255u || (cf == 255u && ((cb & 0x7fffffu) != 0u || wZero))) { return vec3u(0u, 0u, 1u); }
  if (cf == 255u) { return orderKey(sign | 0x7ff00000u, 0u); }
  if (wZero || (cb & 0x7fffffffu) == 0u) { return orderKey(0u, 0u); }
  let a = parts(wb);
  let c = parts(cb);
  let a0 = a.m & 0xfffu; let a1 = a.m >> 12u;
  let c0 = c.m & 0xfffu; let c1 = c.m >> 12u;
  // S = m_w² in four 12-bit limbs.
  var t = a0 * a0;
  let s0 = t & 0xfffu;
  t = (t >> 12u) + 2u * a0 * a1;
  let s1 = t & 0xfffu;
  t = (t >> 12u) + a1 * a1;
  let s2 = t & 0xfffu;
  let s3 = t >> 12u;
  // Q = S · m_c in six 12-bit limbs (at most 72 bits).
  t = s0 * c0;
  let q0 = t & 0xfffu;
  t = (t >> 12u) + s0 * c1 + s1 * c0;
  let q1 = t & 0xfffu;
  t = (t >> 12u) + s1 * c1 + s2 * c0;
  let q2 = t & 0xfffu;
  t = (t >> 12u) + s2 * c1 + s3 * c0;
  let q3 = t & 0xfffu;
  t = (t >> 12u) + s3 * c1;
  let q4 = t & 0xfffu;
  let q5 = t >> 12u;
  // The same 72 bits in three words, then shifted so that the leading one is bit 95.
  var w0 = q0 | (q1 << 12u) | ((q2 & 0xffu) << 24u);
  var w1 = (q2 >> 8u) | (q3 << 4u) | (q4 << 16u) | ((q5 & 0xfu) << 28u);
  var w2 = q5 >> 4u;
  var lz = 0u;
  if (w2 == 0u) {
    if (w1 == 0u) { w2 = w0; w1 = 0u; w0 = 0u; lz = 64u; } else { w2 = w1; w1 = w0; w0 = 0u; lz = 32u; }
  }
  let s = countLeadingZeros(w2);
  if (s > 0u) {
    w2 = (w2 << s) | (w1 >> (32u - s));
    w1 = (w1 << s) | (w0 >> (32u - s));
    w0 = w0 << s;
  }
  lz += s;
  // 53 significant bits: w2 and the top 21 of w1; then round to nearest, ties to even.
  var biased = i32(96u - lz) - 1 + 2 * a.e + c.e + 1023;
  var mHi = w2;
  var mLo = w1 >> 11u;
  let roundBit = (w1 >> 10u) & 1u;
  let sticky = (w1 & 0x3ffu) | w0;
  if (roundBit == 1u && (sticky != 0u || (mLo & 1u) == 1u)) {
    mLo += 1u;
    if (mLo == 0x200000u) {
      mLo = 0u;
      mHi += 1u;
      if (mHi == 0u) { mHi = 0x80000000u; biased += 1; }
    }
  }
  let hi = sign | (u32(biased) << 20u) | ((mHi >> 11u) & 0xfffffu);
  let lo = ((mHi & 0x7ffu) << 21u) | mLo;
  return orderKey(hi, lo);
}`;

/**
 * keys[2t], keys[2t+1] := the order key of W[i,j]² · c_j for t = i·cols + j (c_j = C[cOff + j·cInc]
 * when weighted, else 1); bad[0] := 1 when a score is NaN.
 */
export const SCORE_KEYS: Program = {
  name: 'score-keys',
  code: `
struct Params { rows: u32, cols: u32, wOff: u32, wLd: u32, cOff: u32, cInc: u32, weighted: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> C: array<u32>;
@group(0) @binding(3) var<storage, read_write> keys: array<u32>;
@group(0) @binding(4) var<storage, read_write> bad: atomic<u32>;
${SCORE_KEY}
${LINEAR_INDEX}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = linearIndex(wid, nwg, lid);
  if (t >= P.rows * P.cols) { return; }
  let i = t / P.cols;
  let j = t - i * P.cols;
  var cb = 0x3f800000u;
  if (P.weighted == 1u) { cb = C[P.cOff + j * P.cInc]; }
  let k = scoreKey(W[P.wOff + i * P.wLd + j], cb);
  if (k.z == 1u) { atomicStore(&bad, 1u); }
  keys[2u * t] = k.x;
  keys[2u * t + 1u] = k.y;
}`,
};
