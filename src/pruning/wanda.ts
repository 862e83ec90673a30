// Wanda (Sun et al. 2023): weight magnitude times input norm, compared within each row.
import type { MaskRule } from '../backends/types.js';
import { maskRule, type Pattern } from './pattern.js';
import { maskedCopy } from './masked-copy.js';
import { optionsOf } from './options.js';
import type { Pruner } from './types.js';

/**
 * The mask rule Wanda uses: as published it compares scores within each row, so 'unstructured'
 * prunes ⌊cols·sparsity⌋ of every row, exactly as 'per-row' does; N:M is unchanged.
 */
export function wandaRule(pattern: Pattern, rows: number, cols: number): MaskRule {
  if (pattern.kind === 'unstructured') return maskRule({ kind: 'per-row', sparsity: pattern.sparsity }, rows, cols);
  return maskRule(pattern, rows, cols);
}

/**
 * Wanda: the score of w_ij is |w_ij|·‖X[:, j]‖₂ = |w_ij|·√H_jj (ranked as w_ij²·H_jj, the same
 * order), compared within each row: 'unstructured' and 'per-row' both prune exactly
 * ⌊cols·sparsity⌋ weights of every row (locuslab/wanda prunes per output row); N:M keeps the n
 * best of every m consecutive inputs. Dead inputs (H_jj = 0) score 0 and go first. Equal scores
 * keep the smaller index. No compensation, no damping (dampUsed is null). It takes no options.
 * @example
 * const r = await pruneLayer(la, W, acc, { pruner: wanda(), pattern: { kind: 'per-row', sparsity: 0.5 } });
 */
export function wanda(options?: Record<string, never>): Pruner {
  optionsOf('wanda', options, []);
  return {
    method: 'wanda',
    options: {},
    factorsHessian: false,
    checkPattern() {},
    async run(la, W, H, pattern, ctx) {
      const scope = la.scope();
      try {
        const diag = scope.track(la.matrix(1, W.cols, W.dtype));
        await la.diagonal(H, diag);
        const mask = scope.track(la.mask(W.rows, W.cols));
        await la.selectMask(W, diag, wandaRule(pattern, W.rows, W.cols), mask);
        const weight = await maskedCopy(la, W, mask);
        ctx.onProgress?.(1, 'wanda');
        return { weight, mask: scope.keep(mask), dampUsed: null, warnings: [], details: {} };
      } finally {
        scope.free();
      }
    },
  };
}
