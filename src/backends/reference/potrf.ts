import type { Matrix } from '../../core/matrix.js';
import { cholesky, readSquare, writeBack } from './dense.js';

/** Cholesky A = L Lᵀ in float64 (lower triangle read, strict upper zeroed); returns info. */
export function potrf(A: Matrix): number {
  const n = A.rows, a = readSquare(A, true);
  const info = cholesky(a, n);
  if (info === 0) writeBack(A, a);
  return info;
}
