import type { Mask, Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/**
 * Greedy OBS removal on every row of W through sobsGreedy / dobsGreedy (see
 * KernelBackend.obsGreedy). counts, mask and losses are contiguous backend matrices.
 * Returns -1, or the first row where no positive pivot was found.
 */
export function obsGreedy(
  w: WasmContext, W: Matrix, Hinv: Matrix, counts: Matrix<'int32'>, groupSize: number, groupPrune: number,
  mask: Mask, losses: Matrix<'float64'> | null,
): number {
  const single = W.dtype === 'float32';
  const rows = W.rows, c = W.cols;
  if (rows === 0) return -1;
  const x = w.exports;
  const work = (single ? x.sobsGreedyWorkBytes : x.dobsGreedyWorkBytes)(c, groupSize);
  const mats: Matrix<any>[] = losses ? [W, Hinv, counts, mask, losses] : [W, Hinv, counts, mask];
  const info = w.call(mats, [true, false, false, true, true], work, ([wm, h, cp, m, l], ws) =>
    (single ? x.sobsGreedy : x.dobsGreedy)(rows, c, wm.ptr, wm.ld, h.ptr, h.ld, cp.ptr, groupSize, groupPrune, m.ptr, l ? l.ptr : 0, l ? l.ld : 0, losses ? 1 : 0, ws),
  );
  return info === 0 ? -1 : info - 1;
}
