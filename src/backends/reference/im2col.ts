// im2col in plain loops, written from the definition one element of P at a time (the oracle for
// the Wasm kernel's loop order).
import type { Matrix } from '../../core/matrix.js';
import type { Im2colGeometry } from '../types.js';

/** P := im2col(X) (see KernelBackend.im2col). */
export function im2col(X: Matrix, P: Matrix, g: Im2colGeometry): void {
  const x = X.data, p = P.data;
  const { channels: C, height: H, width: W, kernelHeight: kh, kernelWidth: kw } = g;
  const cols = C * kh * kw;
  for (let b = 0; b < g.images; b++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        const row = P.offset + ((b * g.outHeight + oy) * g.outWidth + ox) * P.stride;
        for (let j = 0; j < cols; j++) {
          const c = Math.floor(j / (kh * kw)), ky = Math.floor(j / kw) % kh, kx = j % kw;
          const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
          const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
          const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
          p[row + j] = inside ? x[X.offset + b * X.stride + (c * H + iy) * W + ix] : 0;
        }
      }
    }
  }
}
