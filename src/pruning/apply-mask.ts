// The step every mask-only pruner ends with: a copy of W with the pruned weights set to zero.
import type { Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';

/**
 * A new matrix in la's memory holding W where mask is 1 and 0 where it is 0 (mask row-major,
 * W.rows x W.cols bytes). W is not modified.
 * @example
 * const P = maskedCopy(la, la.fromArray([1, 2, 3, 4], 2, 2), Uint8Array.of(1, 0, 0, 1));  // [[1, 0], [0, 4]]
 */
export function maskedCopy<D extends Matrix['dtype']>(la: Linalg, W: Matrix<D>, mask: Uint8Array): Matrix<D> {
  const out = la.matrix(W.rows, W.cols, W.dtype);
  const src = W.data, dst = out.data, c = W.cols;
  for (let r = 0; r < W.rows; r++) {
    const so = W.offset + r * W.stride, mo = r * c;
    for (let j = 0; j < c; j++) dst[mo + j] = mask[mo + j] ? src[so + j] : 0;
  }
  return out;
}
