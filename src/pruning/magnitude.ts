// Magnitude pruning: keep the weights of largest |w|, under any pattern. The Hessian is not read.
import type { Pruner } from './types.js';
import { maskRule } from './pattern.js';
import { optionsOf } from './options.js';
import { maskedCopy } from './masked-copy.js';

/**
 * Magnitude pruning: the score of w_ij is |w_ij|. 'unstructured' keeps the largest of the whole
 * layer (one threshold), 'per-row' the largest of each row, N:M the n largest of every m
 * consecutive inputs of each row. Equal scores keep the smaller index. No compensation, no
 * damping (dampUsed is null); H is not read. It takes no options.
 * @example
 * const r = await pruneLayer(la, W, H, { pruner: magnitude(), pattern: '2:4' });
 */
export function magnitude(options?: Record<string, never>): Pruner {
  optionsOf('magnitude', options, []);
  return {
    method: 'magnitude',
    options: {},
    factorsHessian: false,
    checkPattern() {},
    async run(la, W, _H, pattern, ctx) {
      const mask = la.mask(W.rows, W.cols);
      try {
        await la.selectMask(W, null, maskRule(pattern, W.rows, W.cols), mask);
        const weight = await maskedCopy(la, W, mask);
        ctx.onProgress?.(1, 'magnitude');
        return { weight, mask, dampUsed: null, warnings: [], details: {} };
      } catch (e) {
        mask.free();
        throw e;
      }
    },
  };
}
