// Magnitude pruning: keep the weights of largest |w|, under any pattern. The Hessian is not read.
import { maskRule } from './pattern.js';
import { maskedCopy } from './apply-mask.js';
import type { LayerPruner } from './types.js';

/**
 * Magnitude pruning: the score of w_ij is |w_ij|. 'unstructured' keeps the largest of the whole
 * layer (one threshold), 'per-row' the largest of each row, N:M the n largest of every m
 * consecutive inputs of each row. Equal scores keep the smaller index. No compensation, no
 * damping (dampUsed is null); H is ignored.
 * @example
 * const out = magnitude(la, W, H, { kind: 'nm', n: 2, m: 4 }, {});   // out.weight, out.mask
 */
export const magnitude: LayerPruner = (la, W, _H, pattern, options) => {
  const mask = new Uint8Array(W.rows * W.cols);
  la.backend.selectMask(W, null, maskRule(pattern, W.rows, W.cols), mask);
  options.onProgress?.(1, 'magnitude');
  return { weight: maskedCopy(la, W, mask), mask, dampUsed: null };
};
