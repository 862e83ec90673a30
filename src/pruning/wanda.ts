// Wanda (Sun et al. 2023): weight magnitude times input norm, compared within each row.
import type { MaskRule } from '../backends/types.js';
import { maskRule, type Pattern } from './pattern.js';
import { maskedCopy } from './apply-mask.js';
import type { LayerPruner } from './types.js';

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
 * keep the smaller index. No compensation, no damping (dampUsed is null).
 * @example
 * const out = wanda(la, W, H, { kind: 'per-row', sparsity: 0.5 }, {});
 */
export const wanda: LayerPruner = (la, W, H, pattern, options) => {
  const cols = W.cols;
  const diag = la.matrix(1, cols, W.dtype);
  try {
    const d = diag.data;
    for (let j = 0; j < cols; j++) d[j] = H.get(j, j);
    const mask = new Uint8Array(W.rows * cols);
    la.backend.selectMask(W, diag, wandaRule(pattern, W.rows, cols), mask);
    options.onProgress?.(1, 'wanda');
    return { weight: maskedCopy(la, W, mask), mask, dampUsed: null };
  } finally {
    diag.free();
  }
};
