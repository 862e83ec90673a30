// Elementwise updates in plain loops: zero columns, axpby, apply a keep-mask.
import type { Mask, Matrix } from '../../core/matrix.js';

/** A[:, j] := 0 where cols_j ≠ 0. */
export function zeroColumns(A: Matrix, cols: Mask): void {
  const a = A.data, c = cols.data;
  for (let j = 0; j < A.cols; j++) {
    if (c[cols.offset + j] === 0) continue;
    for (let i = 0; i < A.rows; i++) a[A.offset + i * A.stride + j] = 0;
  }
}

/** x_j := Σ_i A[i, j]² (or its reciprocal) in float64, rounded once to x's dtype. */
export function gramDiagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): void {
  const a = A.data, single = x.dtype === 'float32';
  for (let j = 0; j < A.cols; j++) {
    let s = 0;
    for (let i = 0; i < A.rows; i++) s += a[A.offset + i * A.stride + j] ** 2;
    const v = op === 'reciprocal' ? 1 / s : s;
    x.data[x.offset + j * (x.rows === 1 ? 1 : x.stride)] = single ? Math.fround(v) : v;
  }
}

/** A[i, :] *= x_i (x a vector of A.rows elements), rounded to A's dtype. */
export function scaleRows(A: Matrix, x: Matrix): void {
  const a = A.data, v = x.toArray(), single = A.dtype === 'float32';
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < A.cols; j++) {
      const k = A.offset + i * A.stride + j;
      a[k] = single ? Math.fround(v[i] * a[k]) : v[i] * a[k];
    }
  }
}

/** Y := alpha X + beta Y (beta = 0 overwrites Y). */
export function axpby(alpha: number, X: Matrix, beta: number, Y: Matrix): void {
  const x = X.data, y = Y.data;
  for (let i = 0; i < X.rows; i++) {
    const ox = X.offset + i * X.stride, oy = Y.offset + i * Y.stride;
    for (let j = 0; j < X.cols; j++) y[oy + j] = beta === 0 ? alpha * x[ox + j] : alpha * x[ox + j] + beta * y[oy + j];
  }
}

/** A[i, j] := 0 where mask[i, j] = 0. */
export function applyMask(A: Matrix, mask: Mask): void {
  const a = A.data, m = mask.data;
  for (let i = 0; i < A.rows; i++) {
    const oa = A.offset + i * A.stride, om = mask.offset + i * mask.stride;
    for (let j = 0; j < A.cols; j++) if (m[om + j] === 0) a[oa + j] = 0;
  }
}
