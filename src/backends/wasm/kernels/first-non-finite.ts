import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Row-major index of the first NaN or ±Inf through sfirstNonFinite / dfirstNonFinite, or -1. */
export function firstNonFinite(w: WasmContext, A: Matrix): number {
  const x = w.exports;
  return w.call([A], [false], 0, ([a]) => (A.dtype === 'float32' ? x.sfirstNonFinite : x.dfirstNonFinite)(A.rows, A.cols, a.ptr, a.ld));
}
