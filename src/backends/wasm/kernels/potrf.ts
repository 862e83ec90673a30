import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Cholesky A = L Lᵀ in place through spotrf / dpotrf; returns info. */
export function potrf(w: WasmContext, A: Matrix): number {
  const single = A.dtype === 'float32';
  const x = w.exports;
  return w.call([A], [true], single ? x.spotrfWorkBytes() : x.dpotrfWorkBytes(), ([a], work) =>
    (single ? x.spotrf : x.dpotrf)(A.rows, a.ptr, a.ld, work),
  );
}
