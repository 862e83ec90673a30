import { bytesPer } from '../../../core/dtype.js';
import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Y[t, :] := E[ids[t], :] through gatherRows (see KernelBackend.gather); returns -1 or the first bad t. */
export function gather(w: WasmContext, E: Matrix, ids: Matrix<'int32'>, Y: Matrix): number {
  const x = w.exports, n = ids.size;
  return w.call([E, ids, Y], [false, false, true], 0, ([e, i, y]) => {
    const inc = ids.rows === 1 ? 1 : i.ld;
    return x.gatherRows(n, E.cols, bytesPer(E.dtype), E.rows, e.ptr, e.ld, i.ptr, inc, y.ptr, y.ld);
  });
}
