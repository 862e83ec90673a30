// float16 (IEEE binary16) and bfloat16 bit patterns, held in the low 16 bits of a u32, to and
// from f32/f64. Widening is exact. Narrowing rounds to nearest with ties to even; float16
// overflows to ±Inf; a NaN stays a NaN (float16: always 0x7e00; bfloat16: sign and top payload
// bits kept, quiet bit set). The same rules as src/core/half.ts, bit for bit.

/** 2⁻²⁴: the float16 subnormal unit. */
const HALF_UNIT: f64 = 5.9604644775390625e-8;
/** 2⁻¹⁴: the smallest normal float16. */
const HALF_MIN_NORMAL: f64 = 6.103515625e-5;
/** Halfway between 65504 (the largest finite float16) and 65536: at or above it, ±Inf. */
const HALF_OVERFLOW: f64 = 65520.0;

/** The value of a float16 pattern as f32 (exact; a NaN pattern gives the canonical NaN). */
// @ts-ignore: decorator
@inline export function halfToF32(h: u32): f32 {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp == 0) {
    const v = <f32>(<f64>frac * HALF_UNIT);
    return sign ? -v : v;
  }
  if (exp == 0x1f) return reinterpret<f32>(frac ? 0x7fc00000 : sign | 0x7f800000);
  return reinterpret<f32>(sign | ((exp + 112) << 23) | (frac << 13));
}

/** The value of a float16 pattern as f64 (exact; a NaN pattern gives the canonical NaN). */
// @ts-ignore: decorator
@inline export function halfToF64(h: u32): f64 {
  if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) return reinterpret<f64>(0x7ff8000000000000);
  return <f64>halfToF32(h);
}

/** The float16 pattern nearest to x (ties to even). */
export function f64ToHalf(x: f64): u32 {
  if (x != x) return 0x7e00;
  const bits = reinterpret<u64>(x);
  const sign = <u32>(bits >> 48) & 0x8000;
  const a = abs<f64>(x);
  if (a >= HALF_OVERFLOW) return sign | 0x7c00;
  // Subnormal: a whole number of units, rounded to even; 1024 units carry into the smallest normal.
  if (a < HALF_MIN_NORMAL) return sign | <u32>nearest<f64>(a / HALF_UNIT);
  const e = <i32>((bits >> 52) & 0x7ff) - 1023;
  const m = bits & 0xfffffffffffff;
  let q = <u32>(m >> 42);
  const rest = m & 0x3ffffffffff, half: u64 = 1 << 41;
  if (rest > half || (rest == half && (q & 1) != 0)) q++;
  // A mantissa that rounds up to 1024 carries into the exponent field by itself.
  return sign | ((<u32>(e + 15) << 10) + q);
}

/**
 * The float16 pattern nearest to the f32 x (ties to even), on its bits: the same result as
 * f64ToHalf(<f64>x), without the detour. Normal results round by adding 0xfff plus the lowest
 * kept bit, so a carry out of the mantissa moves into the exponent (and 65520 on up into Inf).
 */
// @ts-ignore: decorator
@inline export function f32ToHalf(x: f32): u32 {
  const bits = reinterpret<u32>(x);
  const sign = (bits >> 16) & 0x8000, a = bits & 0x7fffffff;
  if (a > 0x7f800000) return 0x7e00;
  if (a >= 0x477ff000) return sign | 0x7c00; // 65520 and up, Inf
  if (a < 0x38800000) return sign | <u32>nearest<f32>(reinterpret<f32>(a) * 16777216.0); // subnormal: units of 2⁻²⁴
  return sign | ((a - 0x38000000 + 0xfff + ((a >> 13) & 1)) >> 13);
}

/** The value of a bfloat16 pattern as f32 (the top half of it; a signalling NaN is quieted). */
// @ts-ignore: decorator
@inline export function bf16ToF32(h: u32): f32 {
  const nan = (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0;
  return reinterpret<f32>((nan ? h | 0x40 : h) << 16);
}

/** The bfloat16 pattern nearest to x (ties to even; overflow rounds to ±Inf by itself). */
// @ts-ignore: decorator
@inline export function f32ToBf16(x: f32): u32 {
  const bits = reinterpret<u32>(x);
  if ((bits & 0x7f800000) == 0x7f800000 && (bits & 0x7fffff) != 0) return ((bits >> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >> 16) & 1)) >> 16) & 0xffff;
}
