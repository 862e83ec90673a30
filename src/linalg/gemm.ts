import type { DType } from '../core/dtype.js';
import { checkFinite, checkFlag, rangeError } from '../core/errors.js';
import type { KernelBackend } from '../backends/types.js';
import { checkMatrix, checkNoAlias, checkOptions } from './checks.js';

/** Options of sgemm / dgemm. */
export interface GemmOptions {
  /** Use Aᵀ in place of A (default false). */
  transA?: boolean;
  /** Use Bᵀ in place of B (default false). */
  transB?: boolean;
  /** Scale of the product (default 1). */
  alpha?: number;
  /** Scale of C before the product is added (default 0: C is overwritten, NaN in C does not survive). */
  beta?: number;
}

/** C = alpha * op(A) * op(B) + beta * C, validated, then one backend call. */
export async function gemm(be: KernelBackend, fn: string, dtype: DType | null, A: unknown, B: unknown, C: unknown, options?: GemmOptions): Promise<void> {
  const o = checkOptions<GemmOptions>(fn, options);
  const a = checkMatrix(fn, 'A', A, dtype);
  const b = checkMatrix(fn, 'B', B, a.dtype);
  const c = checkMatrix(fn, 'C', C, a.dtype);
  const transA = checkFlag(fn, 'options.transA', o.transA);
  const transB = checkFlag(fn, 'options.transB', o.transB);
  const alpha = o.alpha === undefined ? 1 : checkFinite(fn, 'options.alpha', o.alpha);
  const beta = o.beta === undefined ? 0 : checkFinite(fn, 'options.beta', o.beta);
  const [m, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const [kb, n] = transB ? [b.cols, b.rows] : [b.rows, b.cols];
  if (kb !== k) throw rangeError(fn, 'B', b, `${k} ${transB ? 'columns' : 'rows'} to match op(A) (${m}x${k})`);
  if (c.rows !== m || c.cols !== n) throw rangeError(fn, 'C', c, `${m}x${n} (op(A) ${m}x${k} times op(B) ${k}x${n})`);
  checkNoAlias(fn, 'C', c, { A: a, B: b });
  await be.gemm(transA, transB, alpha, a, b, beta, c);
}
