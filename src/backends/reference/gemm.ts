import type { Matrix } from '../../core/matrix.js';

/** C = alpha * op(A) * op(B) + beta * C, each dot product summed in float64. */
export function gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): void {
  const m = C.rows, n = C.cols, k = transA ? A.rows : A.cols;
  const a = A.data, b = B.data, c = C.data;
  // Element (i, p) of op(A) is a[ao + i * ai + p * ap]; likewise for op(B).
  const ao = A.offset, ai = transA ? 1 : A.stride, ap = transA ? A.stride : 1;
  const bo = B.offset, bp = transB ? 1 : B.stride, bj = transB ? B.stride : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ao + i * ai + p * ap] * b[bo + p * bp + j * bj];
      const o = C.offset + i * C.stride + j;
      c[o] = beta === 0 ? alpha * s : alpha * s + beta * c[o];
    }
  }
}
