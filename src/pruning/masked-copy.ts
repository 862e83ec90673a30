// The step every mask-only pruner ends with: a copy of W with the pruned weights set to zero.
import type { DType } from '../core/dtype.js';
import type { Mask, Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';

/**
 * A new matrix in la's storage holding W where mask is 1 and 0 where it is 0. W is not modified.
 * @example
 * const P = await maskedCopy(la, la.fromArray([1, 2, 3, 4], 2, 2), la.fromArray([1, 0, 0, 1], 2, 2, 'uint8'));   // [[1, 0], [0, 4]]
 */
export async function maskedCopy<D extends DType>(la: Linalg, W: Matrix<D>, mask: Mask): Promise<Matrix<D>> {
  const out = await la.copy(W);
  try {
    await la.applyMask(out, mask);
    return out;
  } catch (e) {
    out.free();
    throw e;
  }
}
