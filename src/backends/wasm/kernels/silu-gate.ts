import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Y := silu(G) ⊙ U through ssiluGate / dsiluGate (see KernelBackend.siluGate); Y may be G or U. */
export function siluGate(w: WasmContext, G: Matrix, U: Matrix, Y: Matrix): void {
  const x = w.exports;
  w.call([G, U, Y], [false, false, true], 0, ([g, u, y]) => {
    (G.dtype === 'float32' ? x.ssiluGate : x.dsiluGate)(G.rows, G.cols, g.ptr, g.ld, u.ptr, u.ld, y.ptr, y.ld);
  });
}
