import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/**
 * Top-k indices of a vector through stopk / dtopk. The kernel's i32 workspace (indices, then a
 * bitmap) doubles as its output: the first k entries are copied out. Returns -1 or a NaN's index.
 */
export function topk(w: WasmContext, X: Matrix, k: number, byValue: boolean, out: Matrix<'int32'>): number {
  const single = X.dtype === 'float32';
  const n = X.size;
  const x = w.exports;
  return w.call([X], [false], single ? x.stopkWorkBytes(n) : x.dtopkWorkBytes(n), ([a], work) => {
    // A row vector is contiguous; a column vector steps by its leading dimension.
    const inc = X.rows === 1 ? 1 : a.ld;
    const info = (single ? x.stopk : x.dtopk)(n, a.ptr, inc, k, +byValue, work);
    if (info !== 0) return info - 1;
    // out is a contiguous int32 vector of this backend (the facade checks); the call may not grow memory now.
    const o = out.data;
    o.set(new Int32Array(w.arena.memory.buffer, work, k), out.offset);
    return -1;
  });
}
