// What every layer pruner is: a value made by a factory (magnitude(), wanda(), sparseGPT(), obc(),
// iobs()) that carries its own checked options and runs on a layer's weight and its (undamped)
// Hessian H = Σ XᵀX, returning the pruned weight and its keep-mask in backend storage. pruneLayer
// adds the validation, the timing and the relative error around it.
import type { DType } from '../core/dtype.js';
import type { Mask, Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';
import type { Pattern } from './pattern.js';
import type { DampedHessian } from '../linalg/damped.js';

/** The layer pruning methods, by name. */
export type PruneMethod = 'magnitude' | 'wanda' | 'sparsegpt' | 'obc' | 'iobs';

/** What pruneLayer hands a pruner besides the layer. */
export interface RunContext {
  /**
   * 'psd': H came from the caller, so the pruner's damped Hessian checks that it is positive
   * semidefinite; 'trusted': H was formed as Σ XᵀX (an accumulator) or already checked.
   */
  check: 'psd' | 'trusted';
  /** Progress in [0, 1] with a short label (the CLI's stderr), or null. */
  onProgress: ((fraction: number, label: string) => void) | null;
  /**
   * A damped Hessian of this H already factored as U with H⁻¹ = UᵀU (factor 'invchol') at relative
   * damping `damp`, handed down by a caller that runs this pruner as its start (I-OBS): a pruner
   * whose own damping is `damp` and that needs that factor (SparseGPT) uses it instead of
   * factoring H again, and does not free it.
   */
  shared?: { damp: number; hessian: DampedHessian<DType> };
}

/** What a pruner returns (before pruneLayer adds relError, sparsity and seconds). */
export interface PrunerOutput<D extends DType = DType> {
  /** The pruned weight, rows x cols, a new matrix in la's storage; zero wherever mask is 0. */
  weight: Matrix<D>;
  /** Keep-mask, rows x cols uint8 in la's storage: 1 = kept, 0 = pruned. */
  mask: Mask;
  /** The damping λ actually used, or null for methods that do not factor H. */
  dampUsed: number | null;
  /** Said when the pruner had to depart from what was asked (damping raised, …). */
  warnings: string[];
  /** Method-specific extras (I-OBS: objective per iteration, the iteration kept). */
  details: Record<string, unknown>;
}

/**
 * A layer pruner with its options checked. run() prunes W (rows = outputs x cols = inputs) under
 * a pattern already checked against W, with H the cols x cols undamped Hessian of W's dtype;
 * neither is modified. Use it through pruneLayer, which validates W, H and the result.
 */
export interface Pruner {
  readonly method: PruneMethod;
  /** The options in effect, defaults filled in (what a summary or a recipe records). */
  readonly options: Readonly<Record<string, unknown>>;
  /** True when run() factors H (it then checks H itself when ctx.check is 'psd'). */
  readonly factorsHessian: boolean;
  /** Throws (naming the option) unless this pruner can honour the pattern, e.g. blockSize a multiple of m. */
  checkPattern(pattern: Pattern): void;
  run<D extends DType>(la: Linalg, W: Matrix<D>, H: Matrix<D>, pattern: Pattern, ctx: RunContext): Promise<PrunerOutput<D>>;
}

/** What pruneLayer returns. */
export interface PruneResult<D extends DType = DType> extends PrunerOutput<D> {
  method: PruneMethod;
  pattern: Pattern;
  /** The pruner's options, as recorded by it. */
  options: Readonly<Record<string, unknown>>;
  /** tr(ΔHΔᵀ)/tr(WHWᵀ) with the undamped H, Δ = W − Ŵ; never negative. */
  relError: number;
  /** Fraction of weights pruned (zeros of the mask). */
  sparsity: number;
  /** Wall-clock seconds of the pruner itself. */
  seconds: number;
}
