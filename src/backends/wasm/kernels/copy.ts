import { bytesPer, type StorageDType } from '../../../core/dtype.js';
import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** The convert kernel's code for a float dtype. */
const FLOAT_CODE: Partial<Record<StorageDType, number>> = { float32: 0, float64: 1, float16: 2, bfloat16: 3 };

/**
 * B := A through copyMatrix (same dtype, any element size) or convert (float dtypes into one
 * another, round to nearest even; see KernelBackend.copy). A and B do not overlap.
 */
export function copy(w: WasmContext, A: Matrix<any>, B: Matrix<any>): void {
  const x = w.exports, rows = A.rows, cols = A.cols;
  const from = A.dtype as StorageDType, to = B.dtype as StorageDType;
  w.call([A, B], [false, true], 0, ([a, b]) => {
    if (from === to) x.copyMatrix(rows, cols, bytesPer(from), a.ptr, a.ld, b.ptr, b.ld);
    else x.convert(rows, cols, FLOAT_CODE[from]!, a.ptr, a.ld, FLOAT_CODE[to]!, b.ptr, b.ld);
  });
}
