import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/**
 * Copies the mask bytes, the preconditioner (as a compact vector of the dtype) and the per-row
 * state into one scratch block, runs body with their addresses, and copies the state back.
 */
function withScratch<R>(w: WasmContext, mask: Uint8Array, dinv: Matrix, state: Float64Array, rows: number, cols: number, body: (m: number, d: number, s: number) => R): R {
  const single = dinv.dtype === 'float32';
  const maskBytes = Math.ceil((rows * cols) / 16) * 16, dBytes = Math.ceil((cols * (single ? 4 : 8)) / 16) * 16;
  const ptr = w.arena.alloc(maskBytes + dBytes + rows * 32, false);
  try {
    const buf = w.arena.memory.buffer;
    new Uint8Array(buf, ptr, rows * cols).set(mask.subarray(0, rows * cols));
    const T = single ? Float32Array : Float64Array;
    new T(buf, ptr + maskBytes, cols).set(dinv.toArray());
    const s = ptr + maskBytes + dBytes;
    new Float64Array(buf, s, rows * 4).set(state.subarray(0, rows * 4));
    const result = body(ptr, ptr + maskBytes, s);
    state.set(new Float64Array(w.arena.memory.buffer, s, rows * 4));
    return result;
  } finally {
    w.arena.release(ptr);
  }
}

/** Masked PCG start through spcgStart / dpcgStart (see KernelBackend.pcgStart). */
export function pcgStart(w: WasmContext, X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Uint8Array, dinv: Matrix, tolerance: number, state: Float64Array): number {
  const single = X.dtype === 'float32', rows = X.rows, cols = X.cols, x = w.exports;
  return withScratch(w, mask, dinv, state, rows, cols, (m, d, s) =>
    w.call([X, B, R, P], [true, false, true, true], 0, ([xo, bo, ro, po]) =>
      (single ? x.spcgStart : x.dpcgStart)(rows, cols, xo.ptr, xo.ld, bo.ptr, bo.ld, ro.ptr, ro.ld, po.ptr, po.ld, m, d, tolerance, s),
    ),
  );
}

/** One masked PCG iteration through spcgStep / dpcgStep (see KernelBackend.pcgStep). */
export function pcgStep(w: WasmContext, X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Uint8Array, dinv: Matrix, tolerance: number, state: Float64Array): number {
  const single = X.dtype === 'float32', rows = X.rows, cols = X.cols, x = w.exports;
  return withScratch(w, mask, dinv, state, rows, cols, (m, d, s) =>
    w.call([X, R, P, Q], [true, true, true, false], 0, ([xo, ro, po, qo]) =>
      (single ? x.spcgStep : x.dpcgStep)(rows, cols, xo.ptr, xo.ld, ro.ptr, ro.ld, po.ptr, po.ld, qo.ptr, qo.ld, m, d, tolerance, s),
    ),
  );
}
