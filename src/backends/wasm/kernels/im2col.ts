import type { Matrix } from '../../../core/matrix.js';
import type { Im2colGeometry } from '../../types.js';
import type { WasmContext } from '../context.js';

/** P := im2col(X) through sim2col / dim2col (see KernelBackend.im2col). */
export function im2col(w: WasmContext, X: Matrix, P: Matrix, g: Im2colGeometry): void {
  const x = w.exports;
  const kernel = X.dtype === 'float32' ? x.sim2col : x.dim2col;
  w.call([X, P], [false, true], 0, ([a, p]) => kernel(
    g.images, g.channels, g.height, g.width, g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth,
    g.padTop, g.padLeft, g.dilationHeight, g.dilationWidth, g.outHeight, g.outWidth, a.ptr, a.ld, p.ptr, p.ld,
  ));
}
