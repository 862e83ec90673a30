import type { Mask, Matrix } from '../../../core/matrix.js';
import type { ExchangeTrajectories } from '../../types.js';
import type { WasmContext } from '../context.js';

/**
 * Exchange search on every row marked in todo through dobsExchange (see KernelBackend.obsExchange).
 * Returns -1, or the first row whose H[S,S] had no factor or whose pivot was not positive.
 */
export function obsExchange(
  w: WasmContext, H: Matrix<'float64'>, B: Matrix<'float64'>, mask: Mask, todo: Matrix<'int32'>, groupSize: number,
  maxSwaps: number, swaps: Matrix<'int32'>, t: ExchangeTrajectories | null,
): number {
  const x = w.exports, rows = B.rows, c = B.cols;
  if (rows === 0) return -1;
  const steps = t ? t.addGain.cols : 0;
  const mats: Matrix<any>[] = [H, B, mask, todo, swaps];
  const written = [false, false, true, false, true];
  if (t) mats.push(t.addGain, t.addIndex, t.removeCost, t.removeIndex), written.push(true, true, true, true);
  const info = w.call(mats, written, x.obsExchangeWorkBytes(c), ([h, b, m, td, sw, ag, ai, rc, ri], work) =>
    x.dobsExchange(rows, c, h.ptr, h.ld, b.ptr, b.ld, m.ptr, td.ptr, groupSize, maxSwaps, steps, sw.ptr,
      ag ? ag.ptr : 0, ai ? ai.ptr : 0, rc ? rc.ptr : 0, ri ? ri.ptr : 0, work),
  );
  return info === 0 ? -1 : info - 1;
}

/** Pairs additions with removals across rows through dobsExchangeAllocate (see KernelBackend.obsExchangeAllocate). */
export function obsExchangeAllocate(w: WasmContext, t: ExchangeTrajectories, mask: Mask, changed: Matrix<'int32'>): number {
  const x = w.exports, rows = mask.rows, c = mask.cols, steps = t.addGain.cols;
  return w.call([t.addGain, t.addIndex, t.removeCost, t.removeIndex, mask, changed], [false, false, false, false, true, true], 0,
    ([ag, ai, rc, ri, m, ch]) => x.dobsExchangeAllocate(rows, c, steps, ag.ptr, ai.ptr, rc.ptr, ri.ptr, m.ptr, ch.ptr));
}
