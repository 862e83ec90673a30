// A[i, j] := 0 where mask[i, j] = 0: a keep-mask applied to a strided weight matrix, four mask
// bytes per v128 lane mask (see ../util/mask-lanes). Kept entries are left bit for bit.
import { maskRow } from '../util/mask-lanes';
import { rowOf } from '../util/wide';

/** Applies the rows x cols uint8 mask at m (leading dimension ldm) to the T matrix at a (lda). */
function applyMask<T>(rows: i32, cols: i32, a: usize, lda: i32, m: usize, ldm: i32): void {
  for (let i = 0; i < rows; i++) maskRow<T>(cols, rowOf<T>(a, lda, i), m + <usize>i * <usize>ldm, false);
}

/** A[i, j] := 0 where mask[i, j] = 0, A float32 rows x cols (lda), mask uint8 (ldm). */
export function sapplyMask(rows: i32, cols: i32, a: usize, lda: i32, m: usize, ldm: i32): void {
  applyMask<f32>(rows, cols, a, lda, m, ldm);
}

/** A[i, j] := 0 where mask[i, j] = 0, A float64 rows x cols (lda), mask uint8 (ldm). */
export function dapplyMask(rows: i32, cols: i32, a: usize, lda: i32, m: usize, ldm: i32): void {
  applyMask<f64>(rows, cols, a, lda, m, ldm);
}
