// A[j, j] += alpha for j < n, the update computed in float64 and rounded once (as the float64
// reference does for float32 matrices).
import { load1, store1 } from '../util/wide';

/** A[j, j] += alpha for j < n on the T matrix at a (leading dimension lda). */
function addDiagonal<T>(n: i32, alpha: f64, a: usize, lda: i32): void {
  const step = (<usize>lda + 1) * sizeof<T>();
  for (let j = 0; j < n; j++) {
    store1<T>(a, 0, load1<T>(a, 0) + alpha);
    a += step;
  }
}

/** A[j, j] += alpha for j < n = min(rows, cols) of the float32 matrix at a (leading dimension lda). */
export function saddDiagonal(n: i32, alpha: f64, a: usize, lda: i32): void {
  addDiagonal<f32>(n, alpha, a, lda);
}

/** A[j, j] += alpha for j < n = min(rows, cols) of the float64 matrix at a (leading dimension lda). */
export function daddDiagonal(n: i32, alpha: f64, a: usize, lda: i32): void {
  addDiagonal<f64>(n, alpha, a, lda);
}
