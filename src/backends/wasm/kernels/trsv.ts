import type { Matrix } from '../../../core/matrix.js';
import type { Uplo } from '../../types.js';
import type { WasmContext } from '../context.js';

/** op(A) x = b in place through strsv / dtrsv; x is n x 1 (elements a row apart) or 1 x n. */
export function trsv(w: WasmContext, uplo: Uplo, trans: boolean, unit: boolean, A: Matrix, X: Matrix): void {
  const single = A.dtype === 'float32';
  const n = A.rows;
  const x = w.exports;
  w.call([A, X], [false, true], single ? x.strsvWorkBytes(n) : x.dtrsvWorkBytes(n), ([a, v], work) => {
    const inc = X.rows === 1 ? 1 : v.ld;
    (single ? x.strsv : x.dtrsv)(+(uplo === 'upper'), +trans, +unit, n, a.ptr, a.ld, v.ptr, inc, work);
  });
}
