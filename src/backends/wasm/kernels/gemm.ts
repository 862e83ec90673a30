import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** C = alpha * op(A) * op(B) + beta * C through sgemm / dgemm. */
export function gemm(w: WasmContext, transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): void {
  const single = C.dtype === 'float32';
  const m = C.rows, n = C.cols, k = transA ? A.rows : A.cols;
  const x = w.exports;
  w.call([A, B, C], [false, false, true], single ? x.sgemmWorkBytes() : x.dgemmWorkBytes(), ([a, b, c], work) => {
    (single ? x.sgemm : x.dgemm)(+transA, +transB, m, n, k, alpha, a.ptr, a.ld, b.ptr, b.ld, beta, c.ptr, c.ld, work);
  });
}
