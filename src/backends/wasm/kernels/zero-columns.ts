import type { Mask, Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** A[:, j] := 0 where cols_j ≠ 0 through szeroColumns / dzeroColumns (cols: 1 x A.cols uint8). */
export function zeroColumns(w: WasmContext, A: Matrix, cols: Mask): void {
  const x = w.exports;
  w.call([A, cols], [true, false], 0, ([a, c]) => (A.dtype === 'float32' ? x.szeroColumns : x.dzeroColumns)(A.rows, A.cols, a.ptr, a.ld, c.ptr));
}
