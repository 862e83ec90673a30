import type { Matrix } from '../../core/matrix.js';
import type { Side, Uplo } from '../types.js';

/**
 * op(A) X = alpha B (left) or X op(A) = alpha B (right), X over B, by substitution in float64.
 * Only the `uplo` triangle of A is read; `unit` takes the diagonal as ones.
 */
export function trsm(side: Side, uplo: Uplo, transA: boolean, unit: boolean, alpha: number, A: Matrix, B: Matrix): void {
  const m = B.rows, n = B.cols, k = side === 'left' ? m : n;
  const a = A.data, bd = B.data;
  // op(A)[i][j], or 0 outside the stored triangle.
  const opA = (i: number, j: number): number => {
    const [r, c] = transA ? [j, i] : [i, j];
    if (r === c) return unit ? 1 : a[A.offset + r * A.stride + c];
    if (uplo === 'lower' ? r < c : r > c) return 0;
    return a[A.offset + r * A.stride + c];
  };
  const lowerOp = (uplo === 'lower') !== transA;
  const x = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) x[i * n + j] = alpha * bd[B.offset + i * B.stride + j];
  const order = (forward: boolean) => Array.from({ length: k }, (_, s) => (forward ? s : k - 1 - s));
  if (side === 'left') {
    // Column by column: op(A) x = b.
    for (let j = 0; j < n; j++) {
      for (const i of order(lowerOp)) {
        let s = x[i * n + j];
        for (let p = 0; p < k; p++) if (p !== i && (lowerOp ? p < i : p > i)) s -= opA(i, p) * x[p * n + j];
        x[i * n + j] = s / opA(i, i);
      }
    }
  } else {
    // Row by row: x op(A) = b, i.e. sum_p x_p op(A)[p][j] = b_j.
    for (let i = 0; i < m; i++) {
      for (const j of order(!lowerOp)) {
        let s = x[i * n + j];
        for (let p = 0; p < k; p++) if (p !== j && (lowerOp ? p > j : p < j)) s -= x[i * n + p] * opA(p, j);
        x[i * n + j] = s / opA(j, j);
      }
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) bd[B.offset + i * B.stride + j] = x[i * n + j];
}
