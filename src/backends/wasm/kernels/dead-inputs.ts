import type { Mask, Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Marks and repairs the dead inputs of H through sdeadInputs / ddeadInputs (see KernelBackend.deadInputs). */
export function deadInputs(w: WasmContext, H: Matrix, dead: Mask): number {
  const x = w.exports, n = H.rows;
  return w.call([H, dead], [true, true], 0, ([h, d]) => (H.dtype === 'float32' ? x.sdeadInputs : x.ddeadInputs)(n, h.ptr, h.ld, d.ptr));
}
