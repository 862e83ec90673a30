// Float conversion between storage dtypes, strided: B := A with A of dtype `from` and B of dtype
// `to`. Dtype codes: 0 float32, 1 float64, 2 float16, 3 bfloat16. float32 <-> float64 runs four
// lanes at a time (promote / demote); the half formats go through the bit-exact scalar helpers
// of ./half (round to nearest even, float16 overflow to ±Inf, NaN kept NaN).
import { bf16ToF32, f32ToBf16, f32ToHalf, f64ToHalf, halfToF32, halfToF64 } from './half';

export const F32: i32 = 0;
export const F64: i32 = 1;
export const F16: i32 = 2;
export const BF16: i32 = 3;

/** Bytes per element of a dtype code. */
// @ts-ignore: decorator
@inline function bytesOf(dtype: i32): usize {
  return dtype == F64 ? 8 : dtype == F32 ? 4 : 2;
}

/** f64 out[j] := f32 in[j] for j < n. */
function promoteRow(n: i32, src: usize, dst: usize): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const v = v128.load(src + (<usize>j << 2));
    const o = dst + (<usize>j << 3);
    v128.store(o, f64x2.promote_low_f32x4(v));
    v128.store(o, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)), 16);
  }
  for (; j < n; j++) store<f64>(dst + (<usize>j << 3), <f64>load<f32>(src + (<usize>j << 2)));
}

/** f32 out[j] := f64 in[j] rounded to nearest even, for j < n. */
function demoteRow(n: i32, src: usize, dst: usize): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const p = src + (<usize>j << 3);
    const lo = f32x4.demote_f64x2_zero(v128.load(p));
    const hi = f32x4.demote_f64x2_zero(v128.load(p, 16));
    v128.store(dst + (<usize>j << 2), v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
  }
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), <f32>load<f64>(src + (<usize>j << 3)));
}

/** f32 out[j] := the value of the 16-bit pattern in[j] (float16 or bfloat16). */
function widenHalfRow(n: i32, brain: bool, src: usize, dst: usize): void {
  for (let j = 0; j < n; j++) {
    const h = <u32>load<u16>(src + (<usize>j << 1));
    store<f32>(dst + (<usize>j << 2), brain ? bf16ToF32(h) : halfToF32(h));
  }
}

/** 16-bit pattern out[j] := f32 in[j] rounded to float16 or bfloat16. */
function narrowToHalfRow(n: i32, brain: bool, src: usize, dst: usize): void {
  for (let j = 0; j < n; j++) {
    const v = load<f32>(src + (<usize>j << 2));
    store<u16>(dst + (<usize>j << 1), <u16>(brain ? f32ToBf16(v) : f32ToHalf(v)));
  }
}

/** Element j of a row of dtype `dtype` as f64 (exact). */
// @ts-ignore: decorator
@inline function readAsF64(dtype: i32, p: usize, j: i32): f64 {
  if (dtype == F64) return load<f64>(p + (<usize>j << 3));
  if (dtype == F32) return <f64>load<f32>(p + (<usize>j << 2));
  const h = <u32>load<u16>(p + (<usize>j << 1));
  return dtype == F16 ? halfToF64(h) : <f64>bf16ToF32(h);
}

/** Stores v as element j of a row of dtype `dtype` (rounded to nearest even). */
// @ts-ignore: decorator
@inline function writeFromF64(dtype: i32, p: usize, j: i32, v: f64): void {
  if (dtype == F64) store<f64>(p + (<usize>j << 3), v);
  else if (dtype == F32) store<f32>(p + (<usize>j << 2), <f32>v);
  else store<u16>(p + (<usize>j << 1), <u16>(dtype == F16 ? f64ToHalf(v) : f32ToBf16(<f32>v)));
}

/** Any other pair, one element at a time through f64 (exact for every source dtype). */
function genericRow(n: i32, from: i32, src: usize, to: i32, dst: usize): void {
  for (let j = 0; j < n; j++) writeFromF64(to, dst, j, readAsF64(from, src, j));
}

/** One row of n elements from dtype `from` at src to dtype `to` at dst. */
function convertRow(n: i32, from: i32, src: usize, to: i32, dst: usize): void {
  if (from == F32 && to == F64) promoteRow(n, src, dst);
  else if (from == F64 && to == F32) demoteRow(n, src, dst);
  else if (to == F32 && from >= F16) widenHalfRow(n, from == BF16, src, dst);
  else if (from == F32 && to >= F16) narrowToHalfRow(n, to == BF16, src, dst);
  else genericRow(n, from, src, to, dst);
}

/**
 * B := A converted elementwise, rows x cols: A of dtype `from` at a (leading dimension lda), B of
 * dtype `to` at b (ldb); codes 0 float32, 1 float64, 2 float16, 3 bfloat16 (half formats are raw
 * 16-bit patterns). Widening is exact; narrowing rounds to nearest even, float16 overflows to
 * ±Inf, NaN stays NaN; float64 → bfloat16 rounds to float32 first (as src/core/half.ts does).
 * A and B must not overlap; for from == to use copyMatrix.
 */
export function convert(rows: i32, cols: i32, from: i32, a: usize, lda: i32, to: i32, b: usize, ldb: i32): void {
  const sa = <usize>lda * bytesOf(from), sb = <usize>ldb * bytesOf(to);
  for (let i = 0; i < rows; i++) {
    convertRow(cols, from, a, to, b);
    a += sa;
    b += sb;
  }
}
