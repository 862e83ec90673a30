import type { DType } from '../core/dtype.js';
import { checkFlag, rangeError } from '../core/errors.js';
import type { KernelBackend, Uplo } from '../backends/types.js';
import { checkChoice, checkMatrix, checkNoAlias, checkOptions, checkSquare } from './checks.js';

/** Options of strsv / dtrsv. */
export interface TrsvOptions {
  /** Which triangle of A holds the triangular matrix; the other is not read (default 'lower'). */
  uplo?: Uplo;
  /** Solve with Aᵀ in place of A (default false). */
  trans?: boolean;
  /** Take the diagonal of A as ones without reading it (default false). */
  unitDiagonal?: boolean;
}

/** Triangular solve op(A) x = b in place for one vector, validated, then one backend call. */
export async function trsv(be: KernelBackend, fn: string, dtype: DType | null, A: unknown, x: unknown, options?: TrsvOptions): Promise<void> {
  const o = checkOptions<TrsvOptions>(fn, options);
  const a = checkMatrix(fn, 'A', A, dtype);
  const v = checkMatrix(fn, 'x', x, a.dtype);
  const uplo = checkChoice(fn, 'options.uplo', o.uplo, ['lower', 'upper'], 'lower');
  const trans = checkFlag(fn, 'options.trans', o.trans);
  const unit = checkFlag(fn, 'options.unitDiagonal', o.unitDiagonal);
  checkSquare(fn, 'A', a);
  const n = a.rows;
  if (!((v.rows === n && v.cols === 1) || (v.rows === 1 && v.cols === n))) {
    throw rangeError(fn, 'x', v, `a vector of length ${n} (${n}x1 or 1x${n}) to match A (${n}x${n})`);
  }
  checkNoAlias(fn, 'x', v, { A: a });
  await be.trsv(uplo, trans, unit, a, v);
}
