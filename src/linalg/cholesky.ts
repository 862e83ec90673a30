// Validation of the Cholesky family (potrf, potri, invchol): each takes one square matrix of
// its dtype, works in place and returns LAPACK's info.
import type { DType } from '../core/dtype.js';
import type { KernelBackend } from '../backends/types.js';
import { checkMatrix, checkSquare } from './checks.js';

/** Which in-place Cholesky-based kernel to run. */
export type CholeskyKernel = 'potrf' | 'potri' | 'invchol';

/** Validates A (dtype, square) and runs the kernel; returns its info. */
export async function cholesky(be: KernelBackend, kernel: CholeskyKernel, fn: string, dtype: DType | null, A: unknown): Promise<number> {
  const a = checkMatrix(fn, 'A', A, dtype);
  checkSquare(fn, 'A', a);
  if (a.rows === 0) return 0;
  return await be[kernel](a);
}
