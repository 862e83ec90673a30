import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** A[i, :] *= x_i through sscaleRows / dscaleRows (x: 1 x rows or rows x 1, A's dtype; see KernelBackend.scaleRows). */
export function scaleRows(w: WasmContext, A: Matrix, x: Matrix): void {
  const e = w.exports;
  w.call([A, x], [true, false], 0, ([a, v]) => (A.dtype === 'float32' ? e.sscaleRows : e.dscaleRows)(A.rows, A.cols, a.ptr, a.ld, v.ptr, x.rows === 1 ? 1 : v.ld));
}
