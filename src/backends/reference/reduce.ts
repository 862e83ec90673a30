// Reductions in float64 plain loops: first non-finite element, inner product, the layer
// objective, and the symmetry check.
import type { Matrix } from '../../core/matrix.js';

/** Row-major index of the first NaN or ±Inf, or -1. */
export function firstNonFinite(A: Matrix): number {
  const a = A.data;
  for (let i = 0; i < A.rows; i++) {
    const o = A.offset + i * A.stride;
    for (let j = 0; j < A.cols; j++) if (!Number.isFinite(a[o + j])) return i * A.cols + j;
  }
  return -1;
}

/** Σ A_ij B_ij in float64. */
export function dot(A: Matrix, B: Matrix): number {
  const a = A.data, b = B.data;
  let s = 0;
  for (let i = 0; i < A.rows; i++) {
    const oa = A.offset + i * A.stride, ob = B.offset + i * B.stride;
    for (let j = 0; j < A.cols; j++) s += a[oa + j] * b[ob + j];
  }
  return s;
}

/** tr((W − X) H (W − X)ᵀ) in float64, one row at a time. */
export function objective(W: Matrix, X: Matrix | null, H: Matrix<'float64'>): number {
  const c = W.cols, w = W.data, x = X?.data, h = H.data;
  const delta = new Float64Array(c);
  let total = 0;
  for (let r = 0; r < W.rows; r++) {
    const ow = W.offset + r * W.stride, ox = X ? X.offset + r * X.stride : 0;
    for (let j = 0; j < c; j++) delta[j] = w[ow + j] - (x ? x[ox + j] : 0);
    for (let i = 0; i < c; i++) {
      if (delta[i] === 0) continue;
      const oh = H.offset + i * H.stride;
      let s = 0;
      for (let j = 0; j < c; j++) s += h[oh + j] * delta[j];
      total += delta[i] * s;
    }
  }
  return total;
}

/** First i·n + j (i > j) where H is not symmetric within tolerance, or -1. */
export function symmetryViolation(H: Matrix, tolerance: number): number {
  const h = H.data, n = H.rows;
  const at = (i: number, j: number): number => h[H.offset + i * H.stride + j];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const a = at(i, j), b = at(j, i);
      const tol = tolerance * (Math.sqrt(Math.abs(at(i, i) * at(j, j))) + Math.abs(a) + Math.abs(b));
      if (!(Math.abs(a - b) <= tol)) return i * n + j;
    }
  }
  return -1;
}
