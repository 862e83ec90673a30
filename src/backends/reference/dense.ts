// Float64 scratch copies for the reference LAPACK-style kernels: read a matrix (or one triangle
// of it) into a compact Float64Array, compute there, write the result back.
import type { Matrix } from '../../core/matrix.js';

/** The n x n square as a compact float64 array; with `lower`, the strict upper part is read as 0. */
export function readSquare(A: Matrix, lower: boolean): Float64Array {
  const n = A.rows, d = A.data, out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const jEnd = lower ? i + 1 : n;
    for (let j = 0; j < jEnd; j++) out[i * n + j] = d[A.offset + i * A.stride + j];
  }
  return out;
}

/** Writes a compact rows x cols float64 array into M (rounded to M's dtype on store). */
export function writeBack(M: Matrix, v: Float64Array): void {
  const d = M.data;
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.cols; j++) d[M.offset + i * M.stride + j] = v[i * M.cols + j];
}

/**
 * Cholesky of the compact n x n array in place (lower triangle read; L written there, strict
 * upper zeroed). Returns 0 or j + 1 for the first pivot that is not > 0 and finite.
 */
export function cholesky(a: Float64Array, n: number): number {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let p = 0; p < j; p++) d -= a[j * n + p] * a[j * n + p];
    if (!(d > 0) || !Number.isFinite(d)) return j + 1;
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let p = 0; p < j; p++) s -= a[i * n + p] * a[j * n + p];
      a[i * n + j] = s / ljj;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = 0;
  return 0;
}

/** Inverse of the compact n x n lower triangular L (strict upper ignored), as a new array. */
export function lowerInverse(l: Float64Array, n: number): Float64Array {
  const x = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    // Column c of L⁻¹: forward substitution on e_c.
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let p = c; p < i; p++) s -= l[i * n + p] * x[p * n + c];
      x[i * n + c] = s / l[i * n + i];
    }
  }
  return x;
}
