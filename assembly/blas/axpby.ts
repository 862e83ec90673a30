// Y := alpha X + beta Y over strided rows x cols matrices. Computed in float64, two lanes at a
// time, as a multiply of each term and one add (never fused, so both Wasm builds give the same
// bits as the float64 reference); float32 data are widened on load and rounded once on store.
// beta = 0 overwrites Y without reading it, so a NaN in Y does not survive.
import { load1, load2, rowOf, store1, store2 } from '../util/wide';

/** y[j] := alpha x[j] for j < n. */
function scaleRow<T>(n: i32, alpha: f64, x: usize, y: usize): void {
  const va = f64x2.splat(alpha);
  let j = 0;
  for (; j + 2 <= n; j += 2) store2<T>(y, j, f64x2.mul(va, load2<T>(x, j)));
  if (j < n) store1<T>(y, j, alpha * load1<T>(x, j));
}

/** y[j] := alpha x[j] + beta y[j] for j < n. */
function axpbyRow<T>(n: i32, alpha: f64, x: usize, beta: f64, y: usize): void {
  const va = f64x2.splat(alpha), vb = f64x2.splat(beta);
  let j = 0;
  for (; j + 2 <= n; j += 2) store2<T>(y, j, f64x2.add(f64x2.mul(va, load2<T>(x, j)), f64x2.mul(vb, load2<T>(y, j))));
  if (j < n) store1<T>(y, j, alpha * load1<T>(x, j) + beta * load1<T>(y, j));
}

/** Y := alpha X + beta Y for the rows x cols T matrices at x (ldx) and y (ldy); X may be Y. */
function axpby<T>(rows: i32, cols: i32, alpha: f64, x: usize, ldx: i32, beta: f64, y: usize, ldy: i32): void {
  for (let i = 0; i < rows; i++) {
    const xr = rowOf<T>(x, ldx, i), yr = rowOf<T>(y, ldy, i);
    if (beta == 0) scaleRow<T>(cols, alpha, xr, yr);
    else axpbyRow<T>(cols, alpha, xr, beta, yr);
  }
}

/** Y := alpha X + beta Y in float32 storage (computed in float64; beta = 0 does not read Y). */
export function saxpby(rows: i32, cols: i32, alpha: f64, x: usize, ldx: i32, beta: f64, y: usize, ldy: i32): void {
  axpby<f32>(rows, cols, alpha, x, ldx, beta, y, ldy);
}

/** Y := alpha X + beta Y in float64 (beta = 0 does not read Y). */
export function daxpby(rows: i32, cols: i32, alpha: f64, x: usize, ldx: i32, beta: f64, y: usize, ldy: i32): void {
  axpby<f64>(rows, cols, alpha, x, ldx, beta, y, ldy);
}
