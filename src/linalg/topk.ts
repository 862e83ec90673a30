import type { DType } from '../core/dtype.js';
import { checkInt, rangeError } from '../core/errors.js';
import type { KernelBackend } from '../backends/types.js';
import { checkMatrix, checkOptions } from './checks.js';

/** Options of stopk / dtopk. */
export interface TopkOptions {
  /** Rank by |x_i| ('abs', the default) or by the signed x_i ('value'). */
  by?: 'abs' | 'value';
}

/** Indices of the k best entries of a vector, validated, then one backend call. */
export function topk(be: KernelBackend, fn: string, dtype: DType, x: unknown, k: unknown, options?: TopkOptions): Int32Array {
  const o = checkOptions<TopkOptions>(fn, options);
  const v = checkMatrix(fn, 'x', x, dtype);
  if (v.rows !== 1 && v.cols !== 1) throw rangeError(fn, 'x', v, 'a vector (an n x 1 or 1 x n matrix)');
  const kk = checkInt(fn, 'k', k, 0, v.size);
  if (o.by !== undefined && o.by !== 'abs' && o.by !== 'value') throw rangeError(fn, 'options.by', o.by, "'abs' or 'value'");
  const out = new Int32Array(kk);
  const nan = be.topk(v, kk, o.by === 'value', out);
  if (nan >= 0) throw rangeError(fn, 'x', `NaN at index ${nan}`, 'a vector without NaN');
  return out;
}
