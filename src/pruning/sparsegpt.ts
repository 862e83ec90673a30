// SparseGPT (Frantar & Alistarh 2023) as IST-DASLab/sparsegpt `fasterprune` does it (ALGORITHMS.md
// §2, §4): dead inputs, relative damping, U = the upper Cholesky factor of the damped H⁻¹, blocks of
// columns with the mask chosen per block, the column loop of each block on the backend
// (sparsegptBlock), and the lazy update of all later columns with one matrix product per block.
import { computationError, rangeError } from '../core/errors.js';
import type { MaskRule } from '../backends/types.js';
import { dampedHessian } from '../linalg/damped.js';
import type { Pattern } from './pattern.js';
import { dampOf, optionsOf, positiveIntOf } from './options.js';
import type { Pruner } from './types.js';

const FN = 'sparseGPT';

/** SparseGPT's default block of columns. */
export const DEFAULT_BLOCK_SIZE = 128;

/** Options of sparseGPT(). */
export interface SparseGPTOptions {
  /** Relative damping λ ≥ 0 in H + λ·mean(diag H)·I (default 0.01; ×10 while H fails to factor). */
  damp?: number;
  /** Columns per block (default 128; a multiple of m for N:M patterns). */
  blockSize?: number;
}

/**
 * The mask rule of the block of columns [c0, c1) of a rows x cols layer:
 * - unstructured: ⌊rows·c1·p⌋ − ⌊rows·c0·p⌋ pruned in the block, chosen over the whole block. The
 *   published code prunes ⌊rows·b·p⌋ (b = c1 − c0); the cumulative form differs from it by at
 *   most one weight per block and makes the layer's total exactly ⌊rows·cols·p⌋, the count every
 *   other method prunes (so I-OBS can start from it and results compare at equal sparsity);
 * - per-row: ⌊c1·p⌋ − ⌊c0·p⌋ per row, which sums to exactly ⌊cols·p⌋ in every row;
 * - N:M: n kept of every m, chosen inside the column loop.
 */
export function blockRule(pattern: Pattern, rows: number, c0: number, c1: number): MaskRule {
  const b = c1 - c0;
  if (pattern.kind === 'nm') return { kind: 'nm', n: pattern.n, m: pattern.m };
  const p = pattern.sparsity;
  if (pattern.kind === 'per-row') return { kind: 'row', keep: b - (Math.floor(c1 * p) - Math.floor(c0 * p)) };
  return { kind: 'layer', keep: rows * b - (Math.floor(rows * c1 * p) - Math.floor(rows * c0 * p)) };
}

/**
 * SparseGPT as a pruner: prunes W (rows = outputs x cols = inputs) under the pattern, compensating
 * the error of each pruned weight in the later columns through U, the upper Cholesky factor of the
 * damped H⁻¹. Follows IST-DASLab/sparsegpt `fasterprune`: inputs with H_jj = 0 are dead (H_jj := 1,
 * W[:, j] := 0); H + λ·mean(diag H)·I is factored (λ = options.damp, ×10 on failure, reported as
 * dampUsed with a warning); columns go in blocks of options.blockSize; each block's mask is chosen
 * by w²/U_jj² (per block for unstructured, per row and block for per-row, every m columns from the
 * current weights for N:M), its column loop runs on the backend (la.sparsegptBlock), and
 * W[:, end:] −= Err1 · U[block, end:] updates the rest. Every count is exact (blockRule).
 * @example
 * const r = await pruneLayer(la, W, H, { pruner: sparseGPT({ blockSize: 128 }), pattern: '2:4' });
 * r.weight; r.mask; r.dampUsed;    // 0.01 unless H needed more damping
 */
export function sparseGPT(options?: SparseGPTOptions): Pruner {
  const o = optionsOf(FN, options, ['damp', 'blockSize']);
  const damp = dampOf(FN, o);
  const blockSize = positiveIntOf(FN, o, 'blockSize', DEFAULT_BLOCK_SIZE);
  return {
    method: 'sparsegpt',
    options: { damp, blockSize },
    factorsHessian: true,
    checkPattern(pattern) {
      if (pattern.kind === 'nm' && blockSize % pattern.m !== 0) {
        throw rangeError(FN, 'options.blockSize', blockSize, `a multiple of m = ${pattern.m} (the ${pattern.n}:${pattern.m} groups are chosen every m columns of a block)`);
      }
    },
    async run(la, W, H, pattern, ctx) {
      this.checkPattern(pattern);
      const rows = W.rows, cols = W.cols;
      const scope = la.scope();
      // The caller's factor when it has this damping's (I-OBS starting from SparseGPT), else ours.
      const own = ctx.shared?.damp === damp ? null : await dampedHessian(la, H, { fn: FN, arg: 'H', damp, factor: 'invchol', deadInputs: true, check: ctx.check });
      const hessian = own ?? ctx.shared!.hessian;
      try {
        const Wc = scope.track(await la.copy(W));
        if (hessian.deadCount > 0) await la.zeroColumns(Wc, hessian.dead!);
        const U = hessian.factor!;
        const width = Math.min(blockSize, cols);
        const Err = scope.track(la.matrix(rows, width, W.dtype));
        const mask = scope.track(la.mask(rows, cols));
        const blockMask = scope.track(la.mask(rows, width));
        const blocks = Math.ceil(cols / blockSize);
        for (let k = 0, c0 = 0; c0 < cols; k++, c0 += blockSize) {
          const c1 = Math.min(c0 + blockSize, cols), b = c1 - c0;
          const E = Err.view(0, 0, rows, b);
          const bm = b === width ? blockMask : scope.track(la.mask(rows, b));
          const info = await la.sparsegptBlock(Wc.view(0, c0, rows, b), U.view(c0, c0, b, b), blockRule(pattern, rows, c0, c1), E, bm);
          if (info >= 0) throw computationError(FN, 'H', H, `the damped inverse's Cholesky factor has a diagonal entry U[${c0 + info}, ${c0 + info}] that is not finite and positive`);
          await la.copy(bm, mask.view(0, c0, rows, b));
          if (c1 < cols) await la.gemm(E, U.view(c0, c1, b, cols - c1), Wc.view(0, c1, rows, cols - c1), { alpha: -1, beta: 1 });
          ctx.onProgress?.(c1 / cols, `sparsegpt block ${k + 1}/${blocks}`);
        }
        return {
          weight: scope.keep(Wc),
          mask: scope.keep(mask),
          dampUsed: hessian.dampUsed ?? 0, // damp 0 that factored: λ = 0, not null (null is for methods without H)
          warnings: hessian.warnings,
          details: { blockSize, blocks, deadInputs: hessian.deadCount },
        };
      } finally {
        scope.free();
        own?.free();
      }
    },
  };
}
