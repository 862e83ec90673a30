import type { Matrix } from '../../core/matrix.js';
import { cholesky, lowerInverse, readSquare, writeBack } from './dense.js';

/**
 * A := U, upper with A⁻¹ = Uᵀ U, in float64 (lower triangle read, strict lower zeroed). With P the
 * order reversal, P A P = L Lᵀ gives U = P L⁻¹ P. Returns 0, or k when the trailing principal
 * submatrix of order k is the first (from the bottom) found not positive definite.
 */
export function invchol(A: Matrix): number {
  const n = A.rows, a = readSquare(A, true), b = new Float64Array(n * n);
  // Lower triangle of P A P from the lower triangle of A: (P A P)[i][j] = A[n-1-j][n-1-i] for i >= j.
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) b[i * n + j] = a[(n - 1 - j) * n + (n - 1 - i)];
  const info = cholesky(b, n);
  if (info !== 0) return info;
  const m = lowerInverse(b, n), u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = m[(n - 1 - i) * n + (n - 1 - j)];
  writeBack(A, u);
  return 0;
}
