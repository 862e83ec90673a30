// IEEE 754 binary16 (float16) and bfloat16 conversions, on raw 16-bit patterns. Widening is
// exact; narrowing rounds to nearest, ties to even, overflows to ±Inf and keeps NaN a NaN.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The value of a float16 bit pattern. */
export function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The float16 bit pattern nearest to x (ties to even). */
export function numberToFloat16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  let a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // rounds to Inf (65504 is the largest finite)
  if (a < 2 ** -14) {
    // Subnormal: units of 2⁻²⁴, rounded to nearest even.
    const units = roundHalfEven(a * 2 ** 24);
    return sign | units; // units may reach 1024, the smallest normal: the encoding carries over
  }
  let exp = Math.floor(Math.log2(a));
  if (2 ** exp > a) exp--; // guard log2 rounding
  if (2 ** (exp + 1) <= a) exp++;
  const mant = roundHalfEven((a / 2 ** exp - 1) * 1024);
  // A mantissa that rounds up to 1024 carries into the exponent, which the encoding does itself.
  return sign | (((exp + 15) << 10) + mant);
}

/** The value of a bfloat16 bit pattern (the top half of a float32). */
export function bfloat16ToNumber(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** The bfloat16 bit pattern nearest to x (x is first rounded to float32; then ties to even). */
export function numberToBfloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff; // quiet NaN
  const lsb = (bits >>> 16) & 1;
  return ((bits + 0x7fff + lsb) >>> 16) & 0xffff;
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
