import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** x_j := (AᵀA)_jj or its reciprocal through sgramDiagonal / dgramDiagonal (x: A.cols elements, A's dtype; see KernelBackend.gramDiagonal). */
export function gramDiagonal(w: WasmContext, A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): void {
  const e = w.exports;
  w.call([A, x], [false, true], 8 * A.cols, ([a, v], work) =>
    (A.dtype === 'float32' ? e.sgramDiagonal : e.dgramDiagonal)(A.rows, A.cols, a.ptr, a.ld, v.ptr, x.rows === 1 ? 1 : v.ld, op === 'reciprocal' ? 1 : 0, work));
}
