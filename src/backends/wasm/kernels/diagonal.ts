import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';
import type { KernelExports } from '../exports.js';

type DiagonalKernel = KernelExports['sdiagonal'];

/** The kernel for A's dtype and x's (s: float32, d: float64; A's letter first). */
function kernelFor(x: KernelExports, A: Matrix, v: Matrix): DiagonalKernel {
  const a32 = A.dtype === 'float32', x32 = v.dtype === 'float32';
  if (a32) return x32 ? x.sdiagonal : x.sddiagonal;
  return x32 ? x.dsdiagonal : x.ddiagonal;
}

/**
 * x := diag(A) or 1 / diag(A) through sdiagonal, ddiagonal, sddiagonal or dsdiagonal (A's and
 * x's dtypes may differ; see KernelBackend.diagonal). x is 1 x n or n x 1.
 */
export function diagonal(w: WasmContext, A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): void {
  const n = Math.min(A.rows, A.cols), kernel = kernelFor(w.exports, A, x);
  w.call([A, x], [false, true], 0, ([a, v]) => kernel(n, a.ptr, a.ld, v.ptr, x.rows === 1 ? 1 : v.ld, op === 'reciprocal' ? 1 : 0));
}
