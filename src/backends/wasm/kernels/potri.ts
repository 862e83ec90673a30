import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** A := A⁻¹ (SPD, via Cholesky) in place through spotri / dpotri; returns info. */
export function potri(w: WasmContext, A: Matrix): number {
  const single = A.dtype === 'float32';
  const n = A.rows;
  const x = w.exports;
  return w.call([A], [true], single ? x.spotriWorkBytes(n) : x.dpotriWorkBytes(n), ([a], work) =>
    (single ? x.spotri : x.dpotri)(n, a.ptr, a.ld, work),
  );
}
