// The keep-mask scores of selectMask, s = w² · c (w a float32 weight, c a float32 column weight
// or 1), exactly as the Wasm kernels compute them: in float64, where w² is exact and the product
// with c is rounded once to nearest, ties to even — here in the emulated float64 of f64.ts. Every
// score is a normal float64 or zero (the exponent of w²·c lies far inside float64's range).
// c = ±Inf gives ±Inf (w ≠ 0); a NaN score (W or c NaN or Inf, or 0 · Inf) is not ordered the way
// the host orders it, so it raises a flag and the backend runs the call on the host.
//
// The key of a score is its float64 bits made to order as the values do: the sign bit set for
// non-negative scores, every bit inverted for negative ones, and −0 written as +0 (they are equal).
import { elementwise } from './elementwise.js';
import { F64 } from './f64.js';

/** WGSL: the order key (high word, low word) of the float64 w²·c, or vec3u(0, 0, 1) for NaN. */
export const SCORE_KEY = `
${F64}
fn orderKey(hi: u32, lo: u32) -> vec3u {
  if ((hi >> 31u) == 1u) { return vec3u(~hi, ~lo, 0u); }
  return vec3u(hi | 0x80000000u, lo, 0u);
}
fn scoreKey(wb: u32, cb: u32) -> vec3u {
  let wf = (wb >> 23u) & 255u;
  let cf = (cb >> 23u) & 255u;
  let wZero = (wb & 0x7fffffffu) == 0u;
  if (wf == 255u || (cf == 255u && ((cb & 0x7fffffu) != 0u || wZero))) { return vec3u(0u, 0u, 1u); }
  if (cf == 255u) { return orderKey((cb & 0x80000000u) | 0x7ff00000u, 0u); }
  // w² is exact, c · 1 too; their product is rounded once.
  let s = mul(product32(wb, wb), product32(cb, 0x3f800000u));
  if (isZero(s)) { return orderKey(0u, 0u); }
  let b = bits64(s);
  return orderKey(b.y, b.x);
}`;

/**
 * keys[2t], keys[2t+1] := the order key of W[i,j]² · c_j for t = i·cols + j (c_j = C[cOff + j·cInc]
 * when weighted, else 1); bad[0] := 1 when a score is NaN.
 */
export const SCORE_KEYS = elementwise('score-keys', 'wOff: u32, wLd: u32, cOff: u32, cInc: u32, weighted: u32, pad: u32',
  `@group(0) @binding(1) var<storage, read> W: array<u32>;
@group(0) @binding(2) var<storage, read> C: array<u32>;
@group(0) @binding(3) var<storage, read_write> keys: array<u32>;
@group(0) @binding(4) var<storage, read_write> bad: atomic<u32>;
${SCORE_KEY}`,
  `var cb = 0x3f800000u;
  if (P.weighted == 1u) { cb = C[P.cOff + j * P.cInc]; }
  let k = scoreKey(W[P.wOff + i * P.wLd + j], cb);
  if (k.z == 1u) { atomicStore(&bad, 1u); }
  keys[2u * t] = k.x;
  keys[2u * t + 1u] = k.y;`);
