import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Y := RMSNorm(X) ⊙ weight through srmsNorm / drmsNorm (see KernelBackend.rmsNorm); Y may be X. */
export function rmsNorm(w: WasmContext, X: Matrix, weight: Matrix, eps: number, Y: Matrix): void {
  const x = w.exports;
  w.call([X, weight, Y], [false, false, true], 0, ([xo, wo, yo]) => {
    // A row vector steps by 1; a column vector by its leading dimension.
    const inc = weight.rows === 1 ? 1 : wo.ld;
    (X.dtype === 'float32' ? x.srmsNorm : x.drmsNorm)(X.rows, X.cols, xo.ptr, xo.ld, wo.ptr, inc, eps, yo.ptr, yo.ld);
  });
}
