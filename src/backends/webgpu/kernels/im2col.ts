// im2col for a 2-D convolution: one invocation per element of the patch matrix P, which copies
// the bits of the X element it stands for (one word for float32, two for float64), or zeros in
// the padding. Geometry as in Im2colGeometry (backends/types.ts).
import type { Im2colGeometry } from '../../types.js';
import { LINEAR_INDEX, LINEAR_MAIN, Params, type Program } from '../program.js';

export const IM2COL: Program = {
  name: 'im2col',
  code: `
struct Params {
  rows: u32, cols: u32, words: u32, channels: u32,
  height: u32, width: u32, kh: u32, kw: u32,
  sh: u32, sw: u32, padTop: u32, padLeft: u32,
  dh: u32, dw: u32, oh: u32, ow: u32,
  xOff: u32, xLd: u32, pOff: u32, pLd: u32,
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<u32>;
@group(0) @binding(2) var<storage, read_write> Y: array<u32>;
${LINEAR_INDEX}
${LINEAR_MAIN} {
  let t = linearIndex(wid, nwg, lid);
  if (t >= P.rows * P.cols) { return; }
  let r = t / P.cols;
  let col = t - r * P.cols;
  let positions = P.oh * P.ow;
  let b = r / positions;
  let rem = r - b * positions;
  let oy = rem / P.ow;
  let ox = rem - oy * P.ow;
  let taps = P.kh * P.kw;
  let c = col / taps;
  let k = col - c * taps;
  let ky = k / P.kw;
  let kx = k - ky * P.kw;
  let y = i32(oy * P.sh + ky * P.dh) - i32(P.padTop);
  let x = i32(ox * P.sw + kx * P.dw) - i32(P.padLeft);
  let dst = P.words * (P.pOff + r * P.pLd + col);
  if (y < 0 || x < 0 || y >= i32(P.height) || x >= i32(P.width)) {
    for (var w = 0u; w < P.words; w++) { Y[dst + w] = 0u; }
    return;
  }
  let src = P.words * (P.xOff + b * P.xLd + (c * P.height + u32(y)) * P.width + u32(x));
  for (var w = 0u; w < P.words; w++) { Y[dst + w] = X[src + w]; }
}`,
};

/** The uniforms of IM2COL for X and P (offsets and strides in elements of `words` words). */
export function im2colParams(g: Im2colGeometry, words: number, X: { offset: number; stride: number }, Pm: { rows: number; cols: number; offset: number; stride: number }): Params {
  return new Params().u32(Pm.rows).u32(Pm.cols).u32(words).u32(g.channels)
    .u32(g.height).u32(g.width).u32(g.kernelHeight).u32(g.kernelWidth)
    .u32(g.strideHeight).u32(g.strideWidth).u32(g.padTop).u32(g.padLeft)
    .u32(g.dilationHeight).u32(g.dilationWidth).u32(g.outHeight).u32(g.outWidth)
    .u32(X.offset).u32(X.stride).u32(Pm.offset).u32(Pm.stride);
}
