import type { DType } from '../core/dtype.js';
import { checkInt, rangeError } from '../core/errors.js';
import type { KernelBackend } from '../backends/types.js';
import { checkMatrix, checkOptions, checkStored } from './checks.js';
import { checkVector } from './elementwise.js';
import { Matrix } from '../core/matrix.js';

/** Options of stopk / dtopk. */
export interface TopkOptions {
  /** Rank by |x_i| ('abs', the default) or by the signed x_i ('value'). */
  by?: 'abs' | 'value';
}

/** Indices of the k best entries of a vector, validated, then one backend call. */
export async function topk(be: KernelBackend, fn: string, dtype: DType | null, x: unknown, k: unknown, options?: TopkOptions, into?: Matrix<'int32'>): Promise<Int32Array> {
  const o = checkOptions<TopkOptions>(fn, options);
  const v = checkMatrix(fn, 'x', x, dtype);
  if (v.rows !== 1 && v.cols !== 1) throw rangeError(fn, 'x', v, 'a vector (an n x 1 or 1 x n matrix)');
  const kk = checkInt(fn, 'k', k, 0, v.size);
  if (o.by !== undefined && o.by !== 'abs' && o.by !== 'value') throw rangeError(fn, 'options.by', o.by, "'abs' or 'value'");
  if (into !== undefined) {
    const t = checkStored(fn, 'into', into, 'int32');
    checkVector(fn, 'into', t, kk);
  }
  // The indices land in backend storage (an int32 vector shaped like `into`) and are read back: k numbers.
  const row = into !== undefined && into.rows === 1 && kk !== 1;
  const out = new Matrix(be.allocate(Math.max(kk, 1) * 4), 'int32', row ? 1 : kk, row ? kk : 1);
  try {
    const nan = await be.topk(v, kk, o.by === 'value', out);
    if (nan >= 0) throw rangeError(fn, 'x', `NaN at index ${nan}`, 'a vector without NaN');
    if (into) await be.copy(out, into);
    return (await be.read(out)) as Int32Array;
  } finally {
    out.free();
  }
}
