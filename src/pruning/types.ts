// The solver interface every layer pruner implements: a pure function of the layer's weight, its
// (undamped) Hessian H = Σ XᵀX and the pattern, returning the pruned weight and its keep-mask.
// The pruneLayer facade adds validation, timing and the relative error around it.
import type { Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';
import type { Pattern } from './pattern.js';

/** The layer pruning methods, by name. */
export type PruneMethod = 'magnitude' | 'wanda' | 'sparsegpt' | 'obc' | 'iobs';

/** Options every pruner accepts; each method documents which it reads. */
export interface PrunerOptions {
  /** Relative damping λ (H + λ·mean(diag H)·I), default 0.01; ×10 on a failed factorisation. */
  damp?: number;
  /** SparseGPT's block of columns (default 128; a multiple of m for N:M). */
  blockSize?: number;
  /** I-OBS iterations after the one-shot start (default 3). */
  iterations?: number;
  /** I-OBS step η in u = Ŵ + η(W − Ŵ) (default 0.5). */
  eta?: number;
  /** Called with progress in [0, 1] and a short label; for the CLI's stderr. */
  onProgress?: (fraction: number, label: string) => void;
}

/** What a pruner returns (before the facade adds relError and seconds). */
export interface PrunerOutput<D extends Matrix['dtype'] = Matrix['dtype']> {
  /** The pruned weight, rows x cols, a new matrix in la's memory; zero wherever mask is 0. */
  weight: Matrix<D>;
  /** Keep-mask, row-major rows x cols: 1 = kept, 0 = pruned. */
  mask: Uint8Array;
  /** The damping λ actually used, or null for methods that do not factor H. */
  dampUsed: number | null;
  /** Method-specific extras (I-OBS: objective per iteration, the iteration kept). */
  details?: Record<string, unknown>;
}

/**
 * A layer pruner. W is rows (outputs) x cols (inputs); H is the cols x cols undamped Hessian XᵀX
 * of the same dtype. Neither is modified. The pattern is already validated against W.
 */
export type LayerPruner = <D extends Matrix['dtype']>(
  la: Linalg, W: Matrix<D>, H: Matrix<D>, pattern: Pattern, options: PrunerOptions,
) => PrunerOutput<D>;

/** What pruneLayer returns. */
export interface PruneResult<D extends Matrix['dtype'] = Matrix['dtype']> extends PrunerOutput<D> {
  method: PruneMethod;
  pattern: Pattern;
  /** tr(ΔHΔᵀ)/tr(WHWᵀ) with the undamped H, Δ = W − Ŵ. */
  relError: number;
  /** Fraction of weights pruned (zeros of the mask). */
  sparsity: number;
  /** Wall-clock seconds of the pruner itself. */
  seconds: number;
}
