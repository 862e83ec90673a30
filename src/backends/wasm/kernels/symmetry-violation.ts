import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** First i·n + j (i > j) where H is not symmetric within tolerance, through ssymmetryViolation / dsymmetryViolation, or -1. */
export function symmetryViolation(w: WasmContext, H: Matrix, tolerance: number): number {
  const x = w.exports;
  return w.call([H], [false], 0, ([h]) => (H.dtype === 'float32' ? x.ssymmetryViolation : x.dsymmetryViolation)(H.rows, h.ptr, h.ld, tolerance));
}
