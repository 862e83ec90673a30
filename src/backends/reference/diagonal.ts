// Diagonal kernels in plain loops: add to the diagonal, read it, and mark dead inputs.
import type { Mask, Matrix } from '../../core/matrix.js';

/** A[j, j] += alpha. */
export function addDiagonal(A: Matrix, alpha: number): void {
  const a = A.data, n = Math.min(A.rows, A.cols);
  for (let j = 0; j < n; j++) a[A.offset + j * (A.stride + 1)] += alpha;
}

/** x_j := A[j, j] or 1 / A[j, j]. */
export function diagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): void {
  const a = A.data, d = x.data, n = Math.min(A.rows, A.cols);
  const step = x.rows === 1 ? 1 : x.stride;
  for (let j = 0; j < n; j++) {
    const v = a[A.offset + j * (A.stride + 1)];
    d[x.offset + j * step] = op === 'copy' ? v : 1 / v;
  }
}

/** dead_j := H[j, j] == 0, and those H[j, j] := 1; returns the count. */
export function deadInputs(H: Matrix, dead: Mask): number {
  const h = H.data, m = dead.data, n = H.rows;
  let count = 0;
  for (let j = 0; j < n; j++) {
    const at = H.offset + j * (H.stride + 1);
    const isDead = h[at] === 0;
    m[dead.offset + j] = isDead ? 1 : 0;
    if (isDead) {
      h[at] = 1;
      count++;
    }
  }
  return count;
}
