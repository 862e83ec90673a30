import type { DType } from '../core/dtype.js';
import { checkFinite, checkFlag } from '../core/errors.js';
import type { KernelBackend } from '../backends/types.js';
import { checkMatrix, checkNoAlias, checkOptions, checkShape } from './checks.js';

/** Options of ssyrk / dsyrk. */
export interface SyrkOptions {
  /** C = alpha · XᵀX + beta · C (true, the default: X is samples x features) or alpha · X Xᵀ + beta · C (false). */
  trans?: boolean;
  /** Scale of the product (default 1). */
  alpha?: number;
  /** Scale of C before the product is added (default 0: C is overwritten). Only C's lower triangle is read. */
  beta?: number;
}

/** Symmetric rank-k update, validated, then one backend call. */
export async function syrk(be: KernelBackend, fn: string, dtype: DType | null, X: unknown, C: unknown, options?: SyrkOptions): Promise<void> {
  const o = checkOptions<SyrkOptions>(fn, options);
  const x = checkMatrix(fn, 'X', X, dtype);
  const c = checkMatrix(fn, 'C', C, x.dtype);
  const trans = o.trans === undefined ? true : checkFlag(fn, 'options.trans', o.trans);
  const alpha = o.alpha === undefined ? 1 : checkFinite(fn, 'options.alpha', o.alpha);
  const beta = o.beta === undefined ? 0 : checkFinite(fn, 'options.beta', o.beta);
  const n = trans ? x.cols : x.rows;
  checkShape(fn, 'C', c, n, n, trans ? `XᵀX of the ${x.rows}x${x.cols} X` : `X Xᵀ of the ${x.rows}x${x.cols} X`);
  checkNoAlias(fn, 'C', c, { X: x });
  await be.syrk(trans, alpha, x, beta, c);
}
