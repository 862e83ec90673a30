import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** C = alpha * XᵀX + beta * C (trans) or alpha * X Xᵀ + beta * C through ssyrk / dsyrk. */
export function syrk(w: WasmContext, trans: boolean, alpha: number, X: Matrix, beta: number, C: Matrix): void {
  const single = C.dtype === 'float32';
  const n = C.rows, k = trans ? X.rows : X.cols;
  const x = w.exports;
  w.call([X, C], [false, true], single ? x.ssyrkWorkBytes() : x.dsyrkWorkBytes(), ([a, c], work) => {
    (single ? x.ssyrk : x.dsyrk)(+trans, n, k, alpha, a.ptr, a.ld, beta, c.ptr, c.ld, work);
  });
}
