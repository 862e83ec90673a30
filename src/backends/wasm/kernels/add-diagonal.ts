import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** A[j, j] += alpha through saddDiagonal / daddDiagonal (see KernelBackend.addDiagonal). */
export function addDiagonal(w: WasmContext, A: Matrix, alpha: number): void {
  const x = w.exports, n = Math.min(A.rows, A.cols);
  w.call([A], [true], 0, ([a]) => (A.dtype === 'float32' ? x.saddDiagonal : x.daddDiagonal)(n, alpha, a.ptr, a.ld));
}
