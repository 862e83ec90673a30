import type { Matrix } from '../../../core/matrix.js';
import type { ArrayArg, WasmContext } from '../context.js';

/** The staged arrays of a PCG call: the mask, the preconditioner as a compact vector, the row state. */
function pcgArrays(mask: Uint8Array, dinv: Matrix, state: Float64Array, rows: number, cols: number): ArrayArg[] {
  return [
    { array: mask.subarray(0, rows * cols), written: false },
    { array: dinv.toArray(), written: false },
    { array: state.subarray(0, rows * 4), written: true },
  ];
}

/** Masked PCG start through spcgStart / dpcgStart (see KernelBackend.pcgStart). */
export function pcgStart(w: WasmContext, X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Uint8Array, dinv: Matrix, tolerance: number, state: Float64Array): number {
  const single = X.dtype === 'float32', rows = X.rows, cols = X.cols, x = w.exports;
  return w.callWith([X, B, R, P], [true, false, true, true], pcgArrays(mask, dinv, state, rows, cols), 0, ([xo, bo, ro, po], [m, d, s]) =>
    (single ? x.spcgStart : x.dpcgStart)(rows, cols, xo.ptr, xo.ld, bo.ptr, bo.ld, ro.ptr, ro.ld, po.ptr, po.ld, m, d, tolerance, s),
  );
}

/** One masked PCG iteration through spcgStep / dpcgStep (see KernelBackend.pcgStep). */
export function pcgStep(w: WasmContext, X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Uint8Array, dinv: Matrix, tolerance: number, state: Float64Array): number {
  const single = X.dtype === 'float32', rows = X.rows, cols = X.cols, x = w.exports;
  return w.callWith([X, R, P, Q], [true, true, true, false], pcgArrays(mask, dinv, state, rows, cols), 0, ([xo, ro, po, qo], [m, d, s]) =>
    (single ? x.spcgStep : x.dpcgStep)(rows, cols, xo.ptr, xo.ld, ro.ptr, ro.ld, po.ptr, po.ld, qo.ptr, qo.ld, m, d, tolerance, s),
  );
}
