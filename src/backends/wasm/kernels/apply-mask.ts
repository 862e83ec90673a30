import type { Mask, Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** A[i, j] := 0 where mask[i, j] = 0 through sapplyMask / dapplyMask (mask may be a strided view). */
export function applyMask(w: WasmContext, A: Matrix, mask: Mask): void {
  const x = w.exports;
  w.call([A, mask], [true, false], 0, ([a, m]) => (A.dtype === 'float32' ? x.sapplyMask : x.dapplyMask)(A.rows, A.cols, a.ptr, a.ld, m.ptr, m.ld));
}
