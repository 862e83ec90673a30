import type { Matrix } from '../../../core/matrix.js';
import type { WasmContext } from '../context.js';

/** Scaled, optionally causal row softmax in place through ssoftmaxRows / dsoftmaxRows (see KernelBackend.softmaxRows). */
export function softmaxRows(w: WasmContext, S: Matrix, scale: number, causal: boolean, offset: number): void {
  const x = w.exports;
  w.call([S], [true], x.softmaxRowsWorkBytes(S.cols), ([s], work) => {
    (S.dtype === 'float32' ? x.ssoftmaxRows : x.dsoftmaxRows)(S.rows, S.cols, s.ptr, s.ld, scale, +causal, offset, work);
  });
}
