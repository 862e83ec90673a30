import type { Mask } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Positions where two masks of one shape differ, through maskDifference. */
export function maskDifference(w: WasmContext, a: Mask, b: Mask): number {
  return w.call([a, b], [false, false], 0, ([x, y]) => w.exports.maskDifference(a.rows, a.cols, x.ptr, x.ld, y.ptr, y.ld));
}
