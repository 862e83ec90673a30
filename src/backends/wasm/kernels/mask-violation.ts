import type { Mask, Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Row-major index of the first pruned (mask 0) nonzero weight through smaskViolation / dmaskViolation, or -1. */
export function maskViolation(w: WasmContext, W: Matrix, mask: Mask): number {
  const x = w.exports;
  return w.call([W, mask], [false, false], 0, ([wo, m]) => (W.dtype === 'float32' ? x.smaskViolation : x.dmaskViolation)(W.rows, W.cols, wo.ptr, wo.ld, m.ptr, m.ld));
}
