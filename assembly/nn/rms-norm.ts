// Row-wise RMS normalisation (Llama's RMSNorm): Y[i, :] = X[i, :] / sqrt(mean_j X[i, j]² + eps) ⊙ w,
// computed in float64 (the sum of squares in two f64x2 accumulators), each element rounded once
// on store. Y may be X (the same address and leading dimension): a row is read before it is written.
import { load1, load2, rowOf, store1, store2, sum2 } from '../util/wide';

/** Σ x[j]² for j < n, in float64. */
function sumSquares<T>(n: i32, x: usize): f64 {
  let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const a = load2<T>(x, j), b = load2<T>(x, j + 2);
    acc0 = f64x2.add(acc0, f64x2.mul(a, a));
    acc1 = f64x2.add(acc1, f64x2.mul(b, b));
  }
  let s = sum2(f64x2.add(acc0, acc1));
  for (; j < n; j++) {
    const v = load1<T>(x, j);
    s += v * v;
  }
  return s;
}

/** RMSNorm of the rows x cols T matrix at x (ldx) into y (ldy) with the weight vector at w (stride incw). */
function rmsNorm<T>(rows: i32, cols: i32, x: usize, ldx: i32, w: usize, incw: i32, eps: f64, y: usize, ldy: i32): void {
  for (let i = 0; i < rows; i++) {
    const xr = rowOf<T>(x, ldx, i), yr = rowOf<T>(y, ldy, i);
    const r = 1.0 / Math.sqrt(sumSquares<T>(cols, xr) / <f64>cols + eps);
    let j = 0;
    if (incw == 1) {
      const vr = f64x2.splat(r);
      for (; j + 2 <= cols; j += 2) store2<T>(yr, j, f64x2.mul(f64x2.mul(load2<T>(xr, j), vr), load2<T>(w, j)));
    }
    for (; j < cols; j++) store1<T>(yr, j, load1<T>(xr, j) * r * load1<T>(w, j * incw));
  }
}

/** Y := RMSNorm(X) ⊙ w on float32 rows x cols matrices (computed in float64); Y may be X. */
export function srmsNorm(rows: i32, cols: i32, x: usize, ldx: i32, w: usize, incw: i32, eps: f64, y: usize, ldy: i32): void {
  rmsNorm<f32>(rows, cols, x, ldx, w, incw, eps, y, ldy);
}

/** Y := RMSNorm(X) ⊙ w on float64 rows x cols matrices; Y may be X. */
export function drmsNorm(rows: i32, cols: i32, x: usize, ldx: i32, w: usize, incw: i32, eps: f64, y: usize, ldy: i32): void {
  rmsNorm<f64>(rows, cols, x, ldx, w, incw, eps, y, ldy);
}
