import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/**
 * tr((W − X) H (W − X)ᵀ) in float64 through sobjective / dobjective (blocks of rows, D·H by
 * dgemm in the workspace; see KernelBackend.objective). X null reads as 0 (address 0).
 */
export function objective(w: WasmContext, W: Matrix, X: Matrix | null, H: Matrix<'float64'>): number {
  const x = w.exports, single = W.dtype === 'float32', rows = W.rows, cols = W.cols;
  const work = (single ? x.sobjectiveWorkBytes : x.dobjectiveWorkBytes)(rows, cols);
  const kernel = single ? x.sobjective : x.dobjective;
  if (X === null) {
    return w.call([W, H], [false, false], work, ([wo, h], ws) => kernel(rows, cols, wo.ptr, wo.ld, 0, 0, h.ptr, h.ld, ws));
  }
  return w.call([W, X, H], [false, false, false], work, ([wo, xo, h], ws) => kernel(rows, cols, wo.ptr, wo.ld, xo.ptr, xo.ld, h.ptr, h.ld, ws));
}
