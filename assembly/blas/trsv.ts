// TRSV: solve op(A) x = b in place for one right-hand side, A n x n triangular (only the `uplo`
// triangle is read), op(A) = A or Aᵀ, optionally with an implicit unit diagonal. Row-major A
// makes every variant a sweep over contiguous rows of A: op(A) = A uses dot products
// (x_i = (b_i - A[i, ·] x) / A_ii), op(A) = Aᵀ uses axpys (x_i /= A_ii, then x -= x_i A[i, ·]).
// A strided x (incx != 1) is gathered into the workspace and scattered back.
import { ld, st } from '../util/mem';
import { axpy, dot, elem } from '../util/vec';

/** Workspace bytes for trsv<T> of order n (a contiguous copy of x). */
export function trsvWorkBytes<T>(n: i32): usize {
  return <usize>max(n, 1) * sizeof<T>();
}

/**
 * Solves op(A) x = b with b given in x (n elements, `incx` apart), overwriting x.
 * uplo 0 = lower, 1 = upper; trans 1 uses Aᵀ; unit 1 takes the diagonal as ones.
 */
export function trsv<T>(uplo: i32, trans: i32, unit: i32, n: i32, a: usize, lda: i32, x: usize, incx: i32, work: usize): void {
  if (n <= 0) return;
  let v = x;
  if (incx != 1) {
    v = work;
    for (let i = 0; i < n; i++) st<T>(v, i, ld<T>(x, <isize>i * incx));
  }
  const sz = <usize>sizeof<T>();
  if (!trans) {
    if (uplo == 0) {
      for (let i = 0; i < n; i++) {
        const row = elem<T>(a, lda, i, 0);
        let s = ld<T>(v, i) - dot<T>(i, row, v);
        if (!unit) s /= ld<T>(row, i);
        st<T>(v, i, s);
      }
    } else {
      for (let i = n - 1; i >= 0; i--) {
        const row = elem<T>(a, lda, i, 0);
        let s = ld<T>(v, i) - dot<T>(n - 1 - i, row + <usize>(i + 1) * sz, v + <usize>(i + 1) * sz);
        if (!unit) s /= ld<T>(row, i);
        st<T>(v, i, s);
      }
    }
  } else {
    if (uplo == 0) {
      // Aᵀ is upper: backward, x[0:i] -= x_i A[i, 0:i].
      for (let i = n - 1; i >= 0; i--) {
        const row = elem<T>(a, lda, i, 0);
        let xi = ld<T>(v, i);
        if (!unit) xi /= ld<T>(row, i);
        st<T>(v, i, xi);
        if (xi != <T>0) axpy<T>(i, -xi, row, v);
      }
    } else {
      // Aᵀ is lower: forward, x[i+1:n] -= x_i A[i, i+1:n].
      for (let i = 0; i < n; i++) {
        const row = elem<T>(a, lda, i, 0);
        let xi = ld<T>(v, i);
        if (!unit) xi /= ld<T>(row, i);
        st<T>(v, i, xi);
        if (xi != <T>0) axpy<T>(n - 1 - i, -xi, row + <usize>(i + 1) * sz, v + <usize>(i + 1) * sz);
      }
    }
  }
  if (incx != 1) {
    for (let i = 0; i < n; i++) st<T>(x, <isize>i * incx, ld<T>(v, i));
  }
}

/** Single precision TRSV (see trsv). */
export function strsv(uplo: i32, trans: i32, unit: i32, n: i32, a: usize, lda: i32, x: usize, incx: i32, work: usize): void {
  trsv<f32>(uplo, trans, unit, n, a, lda, x, incx, work);
}

/** Double precision TRSV (see trsv). */
export function dtrsv(uplo: i32, trans: i32, unit: i32, n: i32, a: usize, lda: i32, x: usize, incx: i32, work: usize): void {
  trsv<f64>(uplo, trans, unit, n, a, lda, x, incx, work);
}

/** Workspace bytes for strsv of order n. */
export function strsvWorkBytes(n: i32): usize { return trsvWorkBytes<f32>(n); }
/** Workspace bytes for dtrsv of order n. */
export function dtrsvWorkBytes(n: i32): usize { return trsvWorkBytes<f64>(n); }
