import type { DType } from '../core/dtype.js';
import { checkFinite, checkFlag, rangeError } from '../core/errors.js';
import type { KernelBackend, Side, Uplo } from '../backends/types.js';
import { checkChoice, checkMatrix, checkNoAlias, checkOptions, checkSquare } from './checks.js';

/** Options of strsm / dtrsm. */
export interface TrsmOptions {
  /** 'left' solves op(A) X = alpha B, 'right' solves X op(A) = alpha B (default 'left'). */
  side?: Side;
  /** Which triangle of A holds the triangular matrix; the other is not read (default 'lower'). */
  uplo?: Uplo;
  /** Use Aᵀ in place of A (default false). */
  transA?: boolean;
  /** Take the diagonal of A as ones without reading it (default false). */
  unitDiagonal?: boolean;
  /** Scale of the right-hand side (default 1). */
  alpha?: number;
}

/** Triangular solve with many right-hand sides, validated, then one backend call. */
export async function trsm(be: KernelBackend, fn: string, dtype: DType | null, A: unknown, B: unknown, options?: TrsmOptions): Promise<void> {
  const o = checkOptions<TrsmOptions>(fn, options);
  const a = checkMatrix(fn, 'A', A, dtype);
  const b = checkMatrix(fn, 'B', B, a.dtype);
  const side = checkChoice(fn, 'options.side', o.side, ['left', 'right'], 'left');
  const uplo = checkChoice(fn, 'options.uplo', o.uplo, ['lower', 'upper'], 'lower');
  const transA = checkFlag(fn, 'options.transA', o.transA);
  const unit = checkFlag(fn, 'options.unitDiagonal', o.unitDiagonal);
  const alpha = o.alpha === undefined ? 1 : checkFinite(fn, 'options.alpha', o.alpha);
  checkSquare(fn, 'A', a);
  const k = side === 'left' ? b.rows : b.cols;
  if (a.rows !== k) {
    throw rangeError(fn, 'B', b, `${a.rows} ${side === 'left' ? 'rows' : 'columns'} to match A (${a.rows}x${a.cols}, side '${side}')`);
  }
  checkNoAlias(fn, 'B', b, { A: a });
  await be.trsm(side, uplo, transA, unit, alpha, a, b);
}
