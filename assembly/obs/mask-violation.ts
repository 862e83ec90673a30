// The first weight that a keep-mask prunes but that is not zero (NaN counts as not zero), in
// row-major order: the check that a pruner left W zero wherever its mask says pruned.
import { setLanes4 } from '../util/mask-lanes';
import { rowOf } from '../util/wide';

/** True when some j in [j, j + 4) has mask byte 0 and a nonzero T value in the row at w. */
// @ts-ignore: decorator
@inline function anyViolation4<T>(w: usize, m: usize, j: i32): bool {
  const pruned = v128.not(setLanes4(m, j));
  if (sizeof<T>() == 4) {
    const nz = f32x4.ne(v128.load(w + (<usize>j << 2)), f32x4.splat(0));
    return v128.any_true(v128.and(nz, pruned));
  }
  const p = w + (<usize>j << 3), zero = f64x2.splat(0);
  const lo = v128.and(f64x2.ne(v128.load(p), zero), i64x2.extend_low_i32x4_s(pruned));
  const hi = v128.and(f64x2.ne(v128.load(p, 16), zero), i64x2.extend_high_i32x4_s(pruned));
  return v128.any_true(v128.or(lo, hi));
}

/** Column of the first violation in a row of n, or -1. */
function firstInRow<T>(n: i32, w: usize, m: usize): i32 {
  let j = 0;
  while (j + 4 <= n && !anyViolation4<T>(w, m, j)) j += 4;
  for (; j < n; j++) {
    if (load<u8>(m + <usize>j) == 0 && load<T>(w + (<usize>j << alignof<T>())) != <T>0) return j;
  }
  return -1;
}

/** Row-major index of the first (i, j) with mask 0 and W ≠ 0, or -1. */
function maskViolation<T>(rows: i32, cols: i32, w: usize, ldw: i32, m: usize, ldm: i32): i32 {
  for (let i = 0; i < rows; i++) {
    const j = firstInRow<T>(cols, rowOf<T>(w, ldw, i), m + <usize>i * <usize>ldm);
    if (j >= 0) return i * cols + j;
  }
  return -1;
}

/** First row-major index where the uint8 mask (ldm) is 0 and the float32 W (ldw) is not 0, or -1. */
export function smaskViolation(rows: i32, cols: i32, w: usize, ldw: i32, m: usize, ldm: i32): i32 {
  return maskViolation<f32>(rows, cols, w, ldw, m, ldm);
}

/** First row-major index where the uint8 mask (ldm) is 0 and the float64 W (ldw) is not 0, or -1. */
export function dmaskViolation(rows: i32, cols: i32, w: usize, ldw: i32, m: usize, ldm: i32): i32 {
  return maskViolation<f64>(rows, cols, w, ldw, m, ldm);
}
