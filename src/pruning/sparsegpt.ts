// SparseGPT (Frantar & Alistarh 2023) as IST-DASLab/sparsegpt `fasterprune` does it (ALGORITHMS.md
// §2, §4): dead inputs, relative damping, U = the upper Cholesky factor of the damped H⁻¹, blocks of
// columns with the mask chosen per block, the column loop of each block on the backend
// (sparsegptBlock), and the lazy update of all later columns with one matrix product per block.
import { checkFinite, checkInt, rangeError, typeError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { MaskRule } from '../backends/types.js';
import type { Linalg } from '../linalg/linalg.js';
import { checkOptions } from '../linalg/checks.js';
import { DEFAULT_DAMP, deadInputs, factorDamped, withDeadInputs } from './hessian.js';
import type { Pattern } from './pattern.js';
import type { LayerPruner, PrunerOptions, PrunerOutput } from './types.js';

const FN = 'sparseGPT';

/** SparseGPT's default block of columns. */
export const DEFAULT_BLOCK_SIZE = 128;

/** The options sparseGPT reads, validated, with defaults. */
interface SparseGPTSettings {
  damp: number;
  blockSize: number;
  onProgress: ((fraction: number, label: string) => void) | null;
}

function readOptions(options: unknown, pattern: Pattern): SparseGPTSettings {
  const o = checkOptions<PrunerOptions>(FN, options);
  let damp = DEFAULT_DAMP;
  if (o.damp !== undefined) {
    damp = checkFinite(FN, 'options.damp', o.damp);
    if (!(damp > 0)) throw rangeError(FN, 'options.damp', damp, 'a finite number > 0 (relative damping λ)');
  }
  const blockSize = o.blockSize === undefined ? DEFAULT_BLOCK_SIZE : checkInt(FN, 'options.blockSize', o.blockSize, 1);
  if (pattern.kind === 'nm' && blockSize % pattern.m !== 0) {
    throw rangeError(FN, 'options.blockSize', blockSize, `a multiple of m = ${pattern.m} (the ${pattern.n}:${pattern.m} groups are chosen every m columns of a block)`);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw typeError(FN, 'options.onProgress', o.onProgress, 'a function');
  return { damp, blockSize, onProgress: o.onProgress ?? null };
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

function checkInputs(W: Matrix, H: Matrix): void {
  if (H.rows !== W.cols || H.cols !== W.cols) throw rangeError(FN, 'H', H, `${W.cols}x${W.cols} (W has ${W.cols} columns)`);
  if (H.dtype !== W.dtype) throw typeError(FN, 'H', H, `a ${W.dtype} matrix like W`);
  const w = W.toArray();
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) throw rangeError(FN, `W[${Math.floor(i / W.cols)}, ${i % W.cols}]`, w[i], 'a finite number');
  }
}

/**
 * SparseGPT: prunes W (rows = outputs x cols = inputs) under `pattern`, compensating the error of
 * each pruned weight in the later columns through U, the upper Cholesky factor of the damped H⁻¹.
 * Follows IST-DASLab/sparsegpt `fasterprune`: inputs with H_jj = 0 are dead (H_jj := 1,
 * W[:, j] := 0); H + λ·mean(diag H)·I is factored (λ = options.damp, default 0.01, ×10 on
 * failure; dampUsed reports it); columns go in blocks of options.blockSize (default 128; a
 * multiple of m for N:M); each block's mask is chosen by w²/U_jj² (per block for unstructured,
 * per row and block for per-row, every m columns from the current weights for N:M), its column
 * loop runs on the backend, and W[:, end:] −= Err1 · U[block, end:] updates the rest.
 *
 * Unstructured sparsity is exact per block, ⌊rows·b·p⌋ (the published code prunes every score at
 * or below the ⌊rows·b·p⌋-th smallest, 0-based, which is one more plus ties; here ties keep the
 * smaller index); the layer's total can be below ⌊rows·cols·p⌋ by less than the number of blocks,
 * and details.sparsity reports the fraction actually pruned. Per-row and N:M are exact.
 * W and H (cols x cols, undamped, same dtype) are not modified; float32 and float64 both work.
 * @example
 * const out = sparseGPT(la, W, H, { kind: 'nm', n: 2, m: 4 }, { blockSize: 128 });
 * out.weight; out.mask; out.dampUsed;    // 0.01 unless H needed more damping
 */
export const sparseGPT: LayerPruner = <D extends Matrix['dtype']>(
  la: Linalg, W: Matrix<D>, H: Matrix<D>, pattern: Pattern, options: PrunerOptions,
): PrunerOutput<D> => {
  const { damp, blockSize, onProgress } = readOptions(options, pattern);
  checkInputs(W, H);
  const rows = W.rows, cols = W.cols;
  const dead = deadInputs(H);
  const Wc = la.copy(W);
  for (const j of dead) for (let r = 0; r < rows; r++) Wc.set(r, j, 0);
  const fixed = withDeadInputs(la, H, dead);
  let U: Matrix<D> | null = null, Err: Matrix<D> | null = null;
  try {
    const f = factorDamped(la, fixed.H, fixed.meanDiag, damp, 'invchol', FN);
    U = f.M;
    Err = la.matrix(rows, Math.min(blockSize, cols), W.dtype);
    const mask = new Uint8Array(rows * cols);
    const blockMask = new Uint8Array(rows * Math.min(blockSize, cols));
    const blocks = Math.ceil(cols / blockSize);
    for (let k = 0, c0 = 0; c0 < cols; k++, c0 += blockSize) {
      const c1 = Math.min(c0 + blockSize, cols), b = c1 - c0;
      const E = Err.view(0, 0, rows, b);
      const info = la.backend.sparsegptBlock(Wc.view(0, c0, rows, b), U.view(c0, c0, b, b), blockRule(pattern, rows, c0, c1), E, blockMask);
      if (info >= 0) throw rangeError(FN, 'H', H, `a Hessian whose damped inverse factor has a finite positive diagonal (U[${c0 + info}, ${c0 + info}] is not)`);
      for (let r = 0; r < rows; r++) mask.set(blockMask.subarray(r * b, (r + 1) * b), r * cols + c0);
      if (c1 < cols) lazyUpdate(la, E, U.view(c0, c1, b, cols - c1), Wc.view(0, c1, rows, cols - c1));
      onProgress?.(c1 / cols, `sparsegpt block ${k + 1}/${blocks}`);
    }
    let pruned = 0;
    for (let i = 0; i < mask.length; i++) pruned += 1 - mask[i];
    return {
      weight: Wc,
      mask,
      dampUsed: f.dampUsed,
      details: { blockSize, blocks, deadInputs: dead.length, pruned, sparsity: mask.length ? pruned / mask.length : 0 },
    };
  } catch (e) {
    Wc.free();
    throw e;
  } finally {
    fixed.H.free();
    U?.free();
    Err?.free();
  }
};

/** W[:, end:] −= Err1 · U[block, end:] on views, in the layer's precision. */
function lazyUpdate(la: Linalg, E: Matrix, Urest: Matrix, Wrest: Matrix): void {
  const o = { alpha: -1, beta: 1 };
  if (E.dtype === 'float32') la.sgemm(E as Matrix<'float32'>, Urest as Matrix<'float32'>, Wrest as Matrix<'float32'>, o);
  else la.dgemm(E as Matrix<'float64'>, Urest as Matrix<'float64'>, Wrest as Matrix<'float64'>, o);
}
