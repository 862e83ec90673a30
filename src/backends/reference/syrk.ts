import type { Matrix } from '../../core/matrix.js';

/**
 * C = alpha * XᵀX + beta * C (trans) or alpha * X Xᵀ + beta * C, summed in float64: the lower
 * triangle is accumulated row of X by row of X (cache-friendly for tall X), then mirrored.
 */
export function syrk(trans: boolean, alpha: number, X: Matrix, beta: number, C: Matrix): void {
  const n = C.rows, k = trans ? X.rows : X.cols;
  const x = X.data, c = C.data;
  // Element (i, p) of G (n x k, C = G Gᵀ) is x[X.offset + i * gi + p * gp].
  const gi = trans ? 1 : X.stride, gp = trans ? X.stride : 1;
  const s = new Float64Array(n * n);
  for (let p = 0; p < k; p++) {
    const o = X.offset + p * gp;
    for (let i = 0; i < n; i++) {
      const xi = x[o + i * gi];
      if (xi === 0) continue;
      for (let j = 0; j <= i; j++) s[i * n + j] += xi * x[o + j * gi];
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const o = C.offset + i * C.stride + j;
      c[o] = beta === 0 ? alpha * s[i * n + j] : alpha * s[i * n + j] + beta * c[o];
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) c[C.offset + i * C.stride + j] = c[C.offset + j * C.stride + i];
  }
}
