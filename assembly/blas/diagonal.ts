// x_j := A[j, j] or 1 / A[j, j] for j < n, with A and x of the same or different float dtypes.
// The value (and the reciprocal) is formed in float64 and rounded once into x's dtype.
import { load1, store1 } from '../util/wide';

/** x[j·incx] := A[j, j] (reciprocal = 0) or 1 / A[j, j] (reciprocal ≠ 0), A of type A, x of type X. */
function diagonal<A, X>(n: i32, a: usize, lda: i32, x: usize, incx: i32, reciprocal: i32): void {
  const step = (<usize>lda + 1) * sizeof<A>();
  const xstep = <usize>incx * sizeof<X>();
  for (let j = 0; j < n; j++) {
    const v = load1<A>(a, 0);
    store1<X>(x, 0, reciprocal ? 1.0 / v : v);
    a += step;
    x += xstep;
  }
}

/** Diagonal of the float32 A (n x n or larger, leading dimension lda) into the float32 vector x (stride incx); reciprocal ≠ 0 gives 1 / A[j, j]. */
export function sdiagonal(n: i32, a: usize, lda: i32, x: usize, incx: i32, reciprocal: i32): void {
  diagonal<f32, f32>(n, a, lda, x, incx, reciprocal);
}

/** Diagonal of the float64 A into the float64 vector x (see sdiagonal). */
export function ddiagonal(n: i32, a: usize, lda: i32, x: usize, incx: i32, reciprocal: i32): void {
  diagonal<f64, f64>(n, a, lda, x, incx, reciprocal);
}

/** Diagonal of the float32 A into the float64 vector x (see sdiagonal). */
export function sddiagonal(n: i32, a: usize, lda: i32, x: usize, incx: i32, reciprocal: i32): void {
  diagonal<f32, f64>(n, a, lda, x, incx, reciprocal);
}

/** Diagonal of the float64 A into the float32 vector x, rounded to nearest (see sdiagonal). */
export function dsdiagonal(n: i32, a: usize, lda: i32, x: usize, incx: i32, reciprocal: i32): void {
  diagonal<f64, f32>(n, a, lda, x, incx, reciprocal);
}
