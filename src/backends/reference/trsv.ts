import type { Matrix } from '../../core/matrix.js';
import type { Uplo } from '../types.js';
import { trsm } from './trsm.js';

/** op(A) x = b in place in float64; x is n x 1 or 1 x n (a left solve on a column, or a right solve on a row by the transpose). */
export function trsv(uplo: Uplo, trans: boolean, unit: boolean, A: Matrix, x: Matrix): void {
  // A row vector x (1 x n) solves op(A) xᵀ = bᵀ, i.e. x op(A)ᵀ = b: a right-side solve with the other transpose.
  if (x.rows === 1 && x.cols !== 1) trsm('right', uplo, !trans, unit, 1, A, x);
  else trsm('left', uplo, trans, unit, 1, A, x);
}
