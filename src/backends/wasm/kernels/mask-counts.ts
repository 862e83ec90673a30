import type { Mask, Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Kept entries per row into rowCounts through maskCounts; returns the most kept in a group (see KernelBackend.maskCounts). */
export function maskCounts(w: WasmContext, mask: Mask, groupSize: number, rowCounts: Matrix<'int32'>): number {
  return w.call([mask, rowCounts], [false, true], 0, ([m, c]) =>
    w.exports.maskCounts(mask.rows, mask.cols, m.ptr, m.ld, groupSize, c.ptr, rowCounts.rows === 1 ? 1 : c.ld),
  );
}
