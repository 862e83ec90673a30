// A[i, :] := x_i · A[i, :] for a rows x cols matrix and a vector x of rows elements (D·A, as
// LAPACK's lascl2): the diagonal scaling D^{-1/2} H D^{-1/2} that the range finder of the
// low-rank CG preconditioner applies to a thin block. One product per element, exactly rounded.
import { lanes } from '../util/mem';
import { rowOf } from '../util/wide';

function scaleRows<T>(rows: i32, cols: i32, a: usize, lda: i32, x: usize, incx: i32): void {
  const L = lanes<T>(), sz = <usize>sizeof<T>();
  for (let i = 0; i < rows; i++) {
    const ai = rowOf<T>(a, lda, i), s = load<T>(x + <usize>i * <usize>incx * sz), v = v128.splat<T>(s);
    let j = 0;
    for (; j + L <= cols; j += L) {
      const o = <usize>j * sz;
      v128.store(ai + o, v128.mul<T>(v, v128.load(ai + o)));
    }
    for (; j < cols; j++) store<T>(ai + <usize>j * sz, s * load<T>(ai + <usize>j * sz));
  }
}

/** A[i, :] *= x[i·incx], A float32 rows x cols (lda). */
export function sscaleRows(rows: i32, cols: i32, a: usize, lda: i32, x: usize, incx: i32): void {
  scaleRows<f32>(rows, cols, a, lda, x, incx);
}

/** A[i, :] *= x[i·incx], A float64 rows x cols (lda). */
export function dscaleRows(rows: i32, cols: i32, a: usize, lda: i32, x: usize, incx: i32): void {
  scaleRows<f64>(rows, cols, a, lda, x, incx);
}
