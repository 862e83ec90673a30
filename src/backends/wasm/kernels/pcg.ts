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


/** The update half of a masked PCG iteration through spcgUpdate / dpcgUpdate (see KernelBackend.pcgUpdate). */
export function pcgUpdate(w: WasmContext, X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, tolerance: number, state: Matrix<'float64'>): number {
  const single = X.dtype === 'float32', rows = X.rows, cols = X.cols, x = w.exports;
  return w.call([X, R, P, Q, mask, state], [true, true, false, false, false, true], 0, ([xo, ro, po, qo, m, s]) =>
    (single ? x.spcgUpdate : x.dpcgUpdate)(rows, cols, xo.ptr, xo.ld, ro.ptr, ro.ld, po.ptr, po.ld, qo.ptr, qo.ld, m.ptr, tolerance, s.ptr),
  );
}

/** The direction half through spcgDirection / dpcgDirection (see KernelBackend.pcgDirection); C null: no correction. */
export function pcgDirection(w: WasmContext, R: Matrix, C: Matrix | null, P: Matrix, mask: Mask, dinv: Matrix, restart: boolean, state: Matrix<'float64'>): number {
  const single = R.dtype === 'float32', rows = R.rows, cols = R.cols, x = w.exports;
  const fn = single ? x.spcgDirection : x.dpcgDirection;
  if (C === null) {
    return w.call([R, P, mask, dinv, state], [false, true, false, false, true], 0, ([ro, po, m, dv, s]) =>
      fn(rows, cols, ro.ptr, ro.ld, 0, 0, po.ptr, po.ld, m.ptr, dv.ptr, restart ? 1 : 0, s.ptr),
    );
  }
  return w.call([R, C, P, mask, dinv, state], [false, false, true, false, false, true], 0, ([ro, co, po, m, dv, s]) =>
    fn(rows, cols, ro.ptr, ro.ld, co.ptr, co.ld, po.ptr, po.ld, m.ptr, dv.ptr, restart ? 1 : 0, s.ptr),
  );
}
