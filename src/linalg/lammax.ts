import type { DType } from '../core/dtype.js';
import { checkInt, rangeError, typeError } from '../core/errors.js';
import type { KernelBackend, LammaxResult } from '../backends/types.js';
import { checkMatrix, checkOptions, checkSquare } from './checks.js';

/** Options of slammax / dlammax. */
export interface LammaxOptions {
  /** Most matrix-vector products (default 1000). */
  maxIterations?: number;
  /** Stop when the estimate changes by at most tolerance · |estimate| (default 1e-6). */
  tolerance?: number;
  /** Seed of the deterministic start vector, an integer in [0, 2^32) (default 1). */
  seed?: number;
}

/** λ_max of a symmetric PSD matrix by power iteration, validated, then one backend call. */
export async function lammax(be: KernelBackend, fn: string, dtype: DType | null, A: unknown, options?: LammaxOptions): Promise<LammaxResult> {
  const o = checkOptions<LammaxOptions>(fn, options);
  const a = checkMatrix(fn, 'A', A, dtype);
  checkSquare(fn, 'A', a);
  const maxIterations = o.maxIterations === undefined ? 1000 : checkInt(fn, 'options.maxIterations', o.maxIterations, 1, 2 ** 31 - 1);
  let tolerance = 1e-6;
  if (o.tolerance !== undefined) {
    if (typeof o.tolerance !== 'number') throw typeError(fn, 'options.tolerance', o.tolerance, 'a number');
    if (!(o.tolerance >= 0) || !Number.isFinite(o.tolerance)) throw rangeError(fn, 'options.tolerance', o.tolerance, 'a finite number >= 0');
    tolerance = o.tolerance;
  }
  const seed = o.seed === undefined ? 1 : checkInt(fn, 'options.seed', o.seed, 0, 2 ** 32 - 1);
  return await be.lammax(a, maxIterations, tolerance, seed);
}
