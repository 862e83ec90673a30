import type { DType } from '../core/dtype.js';
import { checkInt, rangeError } from '../core/errors.js';
import type { KernelBackend } from '../backends/types.js';
import { checkMatrix, checkSquare } from './checks.js';

/** OBS rank-1 downdate of an inverse Hessian at p, validated, then one backend call. */
export async function downdate(be: KernelBackend, fn: string, dtype: DType | null, Hinv: unknown, p: unknown): Promise<void> {
  const h = checkMatrix(fn, 'Hinv', Hinv, dtype);
  checkSquare(fn, 'Hinv', h);
  const pp = checkInt(fn, 'p', p, 0, Math.max(h.rows - 1, 0));
  if (h.rows === 0) throw rangeError(fn, 'Hinv', h, 'a non-empty square matrix');
  // The pivot is one element read through the backend (no host access to device storage).
  const d = (await be.read(h.view(pp, pp, 1, 1)))[0];
  if (!(d > 0) || !Number.isFinite(d)) throw rangeError(fn, `Hinv[${pp}, ${pp}]`, d, 'a finite positive pivot');
  await be.downdate(h, pp);
}
