import type { Mask, Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/**
 * Row-wise solve of H[S,S] x = B[r,S] on each mask row's support through ssolveOnSupport /
 * dsolveOnSupport (see KernelBackend.solveOnSupport). X may be B. Returns -1 or the failing row.
 */
export function solveOnSupport(w: WasmContext, H: Matrix, B: Matrix, mask: Mask, X: Matrix): number {
  const single = B.dtype === 'float32';
  const rows = B.rows, c = B.cols;
  if (rows === 0) return -1;
  const x = w.exports;
  const work = (single ? x.ssolveOnSupportWorkBytes : x.dsolveOnSupportWorkBytes)(c);
  const info = w.call([H, B, X, mask], [false, false, true, false], work, ([h, b, xm, m], ws) =>
    (single ? x.ssolveOnSupport : x.dsolveOnSupport)(rows, c, h.ptr, h.ld, b.ptr, b.ld, m.ptr, xm.ptr, xm.ld, ws),
  );
  return info === 0 ? -1 : info - 1;
}
