import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** A := U upper with A⁻¹ = Uᵀ U, in place through sinvchol / dinvchol; returns info. */
export function invchol(w: WasmContext, A: Matrix): number {
  const single = A.dtype === 'float32';
  const n = A.rows;
  const x = w.exports;
  return w.call([A], [true], single ? x.sinvcholWorkBytes(n) : x.dinvcholWorkBytes(n), ([a], work) =>
    (single ? x.sinvchol : x.dinvchol)(n, a.ptr, a.ld, work),
  );
}
