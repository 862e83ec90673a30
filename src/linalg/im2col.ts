// Validation of im2col: the convolution's geometry is checked and resolved once (defaults filled
// in, output size computed), then one backend call.
import type { DType } from '../core/dtype.js';
import { checkInt, checkKnownKeys, rangeError, show, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import type { Im2colGeometry, KernelBackend } from '../backends/types.js';
import { checkMatrix, checkNoAlias, checkShape } from './checks.js';

/**
 * A 2-D convolution's geometry as ONNX's Conv attributes give it: the input's channels, height
 * and width, kernel_shape [kh, kw], strides [sh, sw] (default [1, 1]), pads [top, left, bottom,
 * right] (default zeros) and dilations [dh, dw] (default [1, 1]).
 */
export interface ConvGeometry {
  channels: number;
  height: number;
  width: number;
  kernel: readonly number[];
  strides?: readonly number[];
  pads?: readonly number[];
  dilations?: readonly number[];
}

const KNOWN = ['channels', 'height', 'width', 'kernel', 'strides', 'pads', 'dilations'];
const MAX = 2 ** 31 - 1;

/** A pair (or quadruple) of integers ≥ min, or the fallback when absent. */
function ints(fn: string, arg: string, x: unknown, length: number, min: number, fallback: number): number[] {
  if (x === undefined) return new Array(length).fill(fallback);
  if (!Array.isArray(x) || x.length !== length) throw typeError(fn, arg, x, `an array of ${length} integers`);
  return x.map((v, i) => checkInt(fn, `${arg}[${i}]`, v, min, MAX));
}

/**
 * The geometry resolved for `images` images: defaults filled in and the output size computed,
 * outHeight = ⌊(height + padTop + padBottom − dh·(kh − 1) − 1) / sh⌋ + 1 (and outWidth alike).
 * Throws naming the field that is wrong, or when the (dilated) kernel is larger than the padded input.
 * @example
 * const g = im2colGeometry(2, { channels: 3, height: 5, width: 5, kernel: [3, 3], pads: [1, 1, 1, 1] });
 * [g.outHeight, g.outWidth];   // [5, 5]: im2col gives 2·25 rows of 27 columns
 */
export function im2colGeometry(images: number, geometry: ConvGeometry, fn = 'im2colGeometry', arg = 'geometry'): Im2colGeometry {
  checkInt(fn, 'images', images, 0, MAX);
  if (typeof geometry !== 'object' || geometry === null || Array.isArray(geometry)) {
    throw typeError(fn, arg, geometry, '{ channels, height, width, kernel: [kh, kw], strides?, pads?, dilations? }');
  }
  checkKnownKeys(fn, arg, geometry, KNOWN);
  const channels = checkInt(fn, `${arg}.channels`, geometry.channels, 1, MAX);
  const height = checkInt(fn, `${arg}.height`, geometry.height, 1, MAX);
  const width = checkInt(fn, `${arg}.width`, geometry.width, 1, MAX);
  if (!Array.isArray(geometry.kernel)) throw typeError(fn, `${arg}.kernel`, geometry.kernel, 'an array [kh, kw] of 2 integers');
  const [kernelHeight, kernelWidth] = ints(fn, `${arg}.kernel`, geometry.kernel, 2, 1, 1);
  const [strideHeight, strideWidth] = ints(fn, `${arg}.strides`, geometry.strides, 2, 1, 1);
  const [padTop, padLeft, padBottom, padRight] = ints(fn, `${arg}.pads`, geometry.pads, 4, 0, 0);
  const [dilationHeight, dilationWidth] = ints(fn, `${arg}.dilations`, geometry.dilations, 2, 1, 1);
  const spanH = dilationHeight * (kernelHeight - 1) + 1, spanW = dilationWidth * (kernelWidth - 1) + 1;
  const paddedH = height + padTop + padBottom, paddedW = width + padLeft + padRight;
  if (spanH > paddedH || spanW > paddedW) {
    throw rangeError(fn, `${arg}.kernel`, geometry.kernel, `a kernel whose dilated extent (${spanH}x${spanW}) fits the padded input (${paddedH}x${paddedW})`);
  }
  const outHeight = Math.floor((paddedH - spanH) / strideHeight) + 1;
  const outWidth = Math.floor((paddedW - spanW) / strideWidth) + 1;
  if (channels * kernelHeight * kernelWidth > MAX || images * outHeight * outWidth > MAX || channels * height * width > MAX) {
    throw rangeError(fn, arg, `${show(geometry)} for ${images} images`, 'a geometry whose input, patch and output sizes fit in 32-bit integers');
  }
  return {
    images, channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth,
    padTop, padLeft, padBottom, padRight, dilationHeight, dilationWidth, outHeight, outWidth,
  };
}

/**
 * P := im2col(X): X holds one image per row (channels·height·width values in C order); P gets
 * one row per output position and one column per (channel, ky, kx). Allocates P when not given.
 */
export async function im2col<D extends DType>(be: KernelBackend, X: unknown, geometry: unknown, P: unknown, allocate: (rows: number, cols: number, dtype: D) => Matrix<D>): Promise<Matrix<D>> {
  const fn = 'im2col';
  const x = checkMatrix<D>(fn, 'X', X, null);
  const g = im2colGeometry(x.rows, geometry as ConvGeometry, fn, 'geometry');
  if (x.cols !== g.channels * g.height * g.width) {
    throw rangeError(fn, 'X', x, `${g.channels * g.height * g.width} columns (channels·height·width = ${g.channels}·${g.height}·${g.width}, one image per row)`);
  }
  const rows = g.images * g.outHeight * g.outWidth, cols = g.channels * g.kernelHeight * g.kernelWidth;
  let p: Matrix<D>;
  if (P === undefined) {
    p = allocate(rows, cols, x.dtype as D);
  } else {
    p = checkMatrix<D>(fn, 'P', P, x.dtype as D);
    checkShape(fn, 'P', p, rows, cols, `images·outHeight·outWidth x channels·kh·kw = ${g.images}·${g.outHeight}·${g.outWidth} x ${g.channels}·${g.kernelHeight}·${g.kernelWidth}`);
    checkNoAlias(fn, 'P', p, { X: x });
  }
  try {
    if (p.size > 0) await be.im2col(x, p, g);
  } catch (e) {
    if (P === undefined) p.free();
    throw e;
  }
  return p;
}
