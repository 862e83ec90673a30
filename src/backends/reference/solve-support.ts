import type { Matrix } from '../../core/matrix.js';
import { cholesky } from './dense.js';

/** Row-by-row solve of H[S,S] x = B[r,S] on each row's support, in float64 (see KernelBackend). */
export function solveOnSupport(H: Matrix, B: Matrix, mask: Uint8Array, X: Matrix): number {
  const rows = B.rows, c = B.cols, h = H.data, b = B.data, x = X.data;
  for (let r = 0; r < rows; r++) {
    const S: number[] = [];
    for (let j = 0; j < c; j++) if (mask[r * c + j]) S.push(j);
    const k = S.length;
    const a = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) a[i * k + j] = h[H.offset + S[i] * H.stride + S[j]];
    const v = Float64Array.from(S, (j) => b[B.offset + r * B.stride + j]);
    if (cholesky(a, k) !== 0) return r;
    for (let i = 0; i < k; i++) {
      let s = v[i];
      for (let p = 0; p < i; p++) s -= a[i * k + p] * v[p];
      v[i] = s / a[i * k + i];
    }
    for (let i = k - 1; i >= 0; i--) {
      let s = v[i];
      for (let p = i + 1; p < k; p++) s -= a[p * k + i] * v[p];
      v[i] = s / a[i * k + i];
    }
    for (let j = 0; j < c; j++) x[X.offset + r * X.stride + j] = 0;
    S.forEach((j, i) => (x[X.offset + r * X.stride + j] = v[i]));
  }
  return -1;
}
