import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/**
 * Σ A_ij B_ij in float64 through ddot (f64 · f64), dsdot (f32 · f32) or dmdot (f32 · f64, the
 * operands swapped when A is the float64 one: the products and their order are the same).
 */
export function dot(w: WasmContext, A: Matrix, B: Matrix): number {
  const x = w.exports, rows = A.rows, cols = A.cols;
  return w.call([A, B], [false, false], 0, ([a, b]) => {
    if (A.dtype === B.dtype) return (A.dtype === 'float32' ? x.dsdot : x.ddot)(rows, cols, a.ptr, a.ld, b.ptr, b.ld);
    return A.dtype === 'float32' ? x.dmdot(rows, cols, a.ptr, a.ld, b.ptr, b.ld) : x.dmdot(rows, cols, b.ptr, b.ld, a.ptr, a.ld);
  });
}
