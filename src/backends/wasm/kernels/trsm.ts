import type { Matrix } from '../../../core/matrix.js';
import type { Side, Uplo } from '../../types.js';
import type { WasmContext } from '../context.js';

/** op(A) X = alpha B or X op(A) = alpha B, X over B, through strsm / dtrsm. */
export function trsm(w: WasmContext, side: Side, uplo: Uplo, transA: boolean, unit: boolean, alpha: number, A: Matrix, B: Matrix): void {
  const single = B.dtype === 'float32';
  const x = w.exports;
  w.call([A, B], [false, true], single ? x.strsmWorkBytes() : x.dtrsmWorkBytes(), ([a, b], work) => {
    (single ? x.strsm : x.dtrsm)(+(side === 'right'), +(uplo === 'upper'), +transA, +unit, B.rows, B.cols, alpha, a.ptr, a.ld, b.ptr, b.ld, work);
  });
}
