import type { Mask, Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Masked PCG start through spcgStart / dpcgStart (see KernelBackend.pcgStart). */
export function pcgStart(w: WasmContext, X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): number {
  const single = X.dtype === 'float32', rows = X.rows, cols = X.cols, x = w.exports;
  // dinv is a compact vector (1 x cols, or cols x 1 with stride 1; the facade checks).
  const d = dinv;
  return w.call([X, B, R, P, mask, d, state], [true, false, true, true, false, false, true], 0, ([xo, bo, ro, po, m, dv, s]) =>
    (single ? x.spcgStart : x.dpcgStart)(rows, cols, xo.ptr, xo.ld, bo.ptr, bo.ld, ro.ptr, ro.ld, po.ptr, po.ld, m.ptr, dv.ptr, tolerance, s.ptr),
  );
}

/** One masked PCG iteration through spcgStep / dpcgStep (see KernelBackend.pcgStep). */
export function pcgStep(w: WasmContext, X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): number {
  const single = X.dtype === 'float32', rows = X.rows, cols = X.cols, x = w.exports;
  const d = dinv;
  return w.call([X, R, P, Q, mask, d, state], [true, true, true, false, false, false, true], 0, ([xo, ro, po, qo, m, dv, s]) =>
    (single ? x.spcgStep : x.dpcgStep)(rows, cols, xo.ptr, xo.ld, ro.ptr, ro.ld, po.ptr, po.ld, qo.ptr, qo.ld, m.ptr, dv.ptr, tolerance, s.ptr),
  );
}

