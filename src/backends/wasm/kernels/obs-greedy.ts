import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/**
 * Greedy OBS removal on every row of W through sobsGreedy / dobsGreedy (see
 * KernelBackend.obsGreedy). counts is read; mask and losses are staged and copied back.
 * Returns -1, or the first row where no positive pivot was found.
 */
export function obsGreedy(
  w: WasmContext, W: Matrix, Hinv: Matrix, counts: Int32Array, groupSize: number, groupPrune: number,
  mask: Uint8Array, losses: Float64Array | null, lossStride: number,
): number {
  const single = W.dtype === 'float32';
  const rows = W.rows, c = W.cols;
  if (rows === 0) return -1;
  const x = w.exports;
  const work = (single ? x.sobsGreedyWorkBytes : x.dobsGreedyWorkBytes)(c, groupSize);
  const arrays = [
    { array: counts.subarray(0, rows), written: false },
    { array: mask.subarray(0, rows * c), written: true },
    { array: losses, written: true },
  ];
  const info = w.callWith([W, Hinv], [true, false], arrays, work, ([wm, h], [cp, m, l], ws) =>
    (single ? x.sobsGreedy : x.dobsGreedy)(rows, c, wm.ptr, wm.ld, h.ptr, h.ld, cp, groupSize, groupPrune, m, l, lossStride, losses ? 1 : 0, ws),
  );
  return info === 0 ? -1 : info - 1;
}
