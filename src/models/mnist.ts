// MNIST digits as the shipped CNN expects them: float32 [N, 1, 28, 28], each pixel (x/255 − 0.1307)/0.3081
// (the torchvision normalisation the model was trained with). Platform neutral.
import { checkInt, rangeError } from '../core/errors.js';
import type { IdxArray } from '../io/idx.js';

/** Mean and standard deviation of MNIST training pixels (in [0, 1]), as torchvision's example uses. */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

/**
 * Images start … start+count−1 of an IDX image file ([N, 28, 28] bytes) as normalised float32 in
 * C order, shape [count, 1, 28, 28].
 *
 * @example
 * const images = await readIdxFile('../shared/data/mnist/t10k-images-idx3-ubyte.gz');
 * const x = mnistInputs(images, 0, 2000);   // Float32Array(2000·784)
 */
export function mnistInputs(images: IdxArray, start: number, count: number): Float32Array {
  const fn = 'mnistInputs';
  if (images.shape.length !== 3) throw rangeError(fn, 'images', `shape [${images.shape.join(', ')}]`, 'an IDX image array [N, rows, cols]');
  const n = images.shape[0], size = images.shape[1] * images.shape[2];
  checkInt(fn, 'start', start, 0, n);
  checkInt(fn, 'count', count, 0, n - start);
  const out = new Float32Array(count * size);
  const src = images.data.subarray(start * size, (start + count) * size);
  for (let i = 0; i < out.length; i++) out[i] = (src[i] / 255 - MNIST_MEAN) / MNIST_STD;
  return out;
}

/**
 * Labels start … start+count−1 of an IDX label file ([N] bytes).
 * @example
 * const labels = mnistLabels(await readIdxFile('../shared/data/mnist/t10k-labels-idx1-ubyte.gz'), 0, 2000);
 */
export function mnistLabels(labels: IdxArray, start: number, count: number): Uint8Array {
  const fn = 'mnistLabels';
  if (labels.shape.length !== 1) throw rangeError(fn, 'labels', `shape [${labels.shape.join(', ')}]`, 'an IDX label array [N]');
  checkInt(fn, 'start', start, 0, labels.shape[0]);
  checkInt(fn, 'count', count, 0, labels.shape[0] - start);
  return labels.data.slice(start, start + count);
}
