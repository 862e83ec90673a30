import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Y := alpha X + beta Y through saxpby / daxpby (see KernelBackend.axpby); X may be Y. */
export function axpby(w: WasmContext, alpha: number, X: Matrix, beta: number, Y: Matrix): void {
  const x = w.exports;
  w.call([X, Y], [false, true], 0, ([xo, yo]) =>
    (X.dtype === 'float32' ? x.saxpby : x.daxpby)(X.rows, X.cols, alpha, xo.ptr, xo.ld, beta, yo.ptr, yo.ld),
  );
}
