// The first NaN or ±Inf of a strided matrix in row-major order. A vector of values is tested at
// once on its exponent bits (all ones exactly for NaN and ±Inf); the lane is found in scalar.
import { rowOf } from './wide';

/** True when some lane of the v128 of T values is NaN or ±Inf. */
// @ts-ignore: decorator
@inline function anyNonFinite<T>(v: v128): bool {
  if (sizeof<T>() == 4) {
    const e = i32x4.splat(0x7f800000);
    return v128.any_true(i32x4.eq(v128.and(v, e), e));
  }
  const e = i64x2.splat(0x7ff0000000000000);
  return v128.any_true(i64x2.eq(v128.and(v, e), e));
}

/** Index of the first non-finite element of the n T values at p, or -1. */
function firstInRow<T>(n: i32, p: usize): i32 {
  const L = 16 / sizeof<T>();
  let j = 0;
  while (j + L <= n && !anyNonFinite<T>(v128.load(p + (<usize>j << alignof<T>())))) j += L;
  for (; j < n; j++) {
    const v = load<T>(p + (<usize>j << alignof<T>()));
    if (v - v != 0) return j;
  }
  return -1;
}

/** Row-major index i·cols + j of the first NaN or ±Inf of the T matrix at a (lda), or -1. */
function firstNonFinite<T>(rows: i32, cols: i32, a: usize, lda: i32): i32 {
  for (let i = 0; i < rows; i++) {
    const j = firstInRow<T>(cols, rowOf<T>(a, lda, i));
    if (j >= 0) return i * cols + j;
  }
  return -1;
}

/** Row-major index of the first NaN or ±Inf of the rows x cols float32 matrix at a (lda), or -1. */
export function sfirstNonFinite(rows: i32, cols: i32, a: usize, lda: i32): i32 {
  return firstNonFinite<f32>(rows, cols, a, lda);
}

/** Row-major index of the first NaN or ±Inf of the rows x cols float64 matrix at a (lda), or -1. */
export function dfirstNonFinite(rows: i32, cols: i32, a: usize, lda: i32): i32 {
  return firstNonFinite<f64>(rows, cols, a, lda);
}
