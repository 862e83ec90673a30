// Level-1 helpers over contiguous arrays of T, SIMD in the body and scalar in the tail.
// Shared by the triangular and Cholesky kernels; no kernel is exported from here.
import { ld, st, lanes, madd } from './mem';

/** Sum of x[i] * y[i] for i < n (two vector accumulators, then a fixed-order reduction). */
export function dot<T>(n: i32, x: usize, y: usize): T {
  const L = lanes<T>();
  let acc0 = v128.splat<T>(<T>0), acc1 = v128.splat<T>(<T>0);
  let i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    const o = <usize>i * sizeof<T>();
    acc0 = madd<T>(v128.load(x + o), v128.load(y + o), acc0);
    acc1 = madd<T>(v128.load(x + o, 16), v128.load(y + o, 16), acc1);
  }
  if (i + L <= n) {
    const o = <usize>i * sizeof<T>();
    acc0 = madd<T>(v128.load(x + o), v128.load(y + o), acc0);
    i += L;
  }
  const acc = v128.add<T>(acc0, acc1);
  let s: T = v128.extract_lane<T>(acc, 0) + v128.extract_lane<T>(acc, 1);
  if (sizeof<T>() == 4) s += v128.extract_lane<T>(acc, 2) + v128.extract_lane<T>(acc, 3);
  for (; i < n; i++) s += ld<T>(x, i) * ld<T>(y, i);
  return s;
}

/** y[i] += alpha * x[i] for i < n. */
export function axpy<T>(n: i32, alpha: T, x: usize, y: usize): void {
  const L = lanes<T>();
  const a = v128.splat<T>(alpha);
  let i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    const o = <usize>i * sizeof<T>();
    v128.store(y + o, madd<T>(a, v128.load(x + o), v128.load(y + o)));
    v128.store(y + o, madd<T>(a, v128.load(x + o, 16), v128.load(y + o, 16)), 16);
  }
  for (; i + L <= n; i += L) {
    const o = <usize>i * sizeof<T>();
    v128.store(y + o, madd<T>(a, v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) st<T>(y, i, ld<T>(y, i) + alpha * ld<T>(x, i));
}

/** x[i] /= d for i < n (a true division, as LAPACK does, not a multiply by 1/d). */
export function divide<T>(n: i32, d: T, x: usize): void {
  const L = lanes<T>();
  const v = v128.splat<T>(d);
  let i = 0;
  for (; i + L <= n; i += L) {
    const o = <usize>i * sizeof<T>();
    v128.store(x + o, v128.div<T>(v128.load(x + o), v));
  }
  for (; i < n; i++) st<T>(x, i, ld<T>(x, i) / d);
}

/** Address of element (i, j) of a row-major matrix of T at `p` with leading dimension `ldp`. */
// @ts-ignore: decorator
@inline export function elem<T>(p: usize, ldp: i32, i: i32, j: i32): usize {
  return p + (<usize>i * <usize>ldp + <usize>j) * sizeof<T>();
}
