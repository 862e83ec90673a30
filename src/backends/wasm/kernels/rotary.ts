import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Rotary embedding in place through srotary / drotary (see KernelBackend.rotary). */
export function rotary(w: WasmContext, X: Matrix, headDim: number, theta: number, start: number, positions: Matrix<'int32'> | null): void {
  const x = w.exports;
  const mats: Matrix<any>[] = positions ? [X, positions] : [X];
  w.call(mats, [true, false], 0, ([xo, po]) => {
    const inc = positions ? (positions.rows === 1 ? 1 : po.ld) : 0;
    (X.dtype === 'float32' ? x.srotary : x.drotary)(X.rows, X.cols, xo.ptr, xo.ld, headDim, theta, start, po ? po.ptr : 0, inc);
  });
}
