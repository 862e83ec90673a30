import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/**
 * OBC's global allocation through obcAllocate (quickselect of the threshold on a workspace copy,
 * then one counting pass; see KernelBackend.obcAllocate). Returns the chosen losses' sum.
 */
export function obcAllocate(w: WasmContext, losses: Matrix<'float64'>, total: number, rowCounts: Matrix<'int32'>): number {
  const x = w.exports, rows = losses.rows, steps = losses.cols;
  return w.call([losses, rowCounts], [false, true], x.obcAllocateWorkBytes(rows, steps), ([l, c], work) =>
    x.obcAllocate(rows, steps, l.ptr, l.ld, total, c.ptr, rowCounts.rows === 1 ? 1 : c.ld, work),
  );
}
