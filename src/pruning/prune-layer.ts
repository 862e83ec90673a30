// pruneLayer: the one entry point for pruning a linear layer. It validates everything once, runs
// the pruner value it is given, times it, checks what came back and reports the relative
// reconstruction error with the undamped H. All data stays in backend storage; the checks read
// codes, counts and the diagonal, never a whole matrix.
import type { DType } from '../core/dtype.js';
import { checkKnownKeys, computationError, rangeError, show, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { checkMatrix, checkShape } from '../linalg/checks.js';
import { checkHessian } from '../linalg/damped.js';
import { Linalg } from '../linalg/linalg.js';
import { layerObjective } from '../linalg/objective.js';
import { HessianAccumulator } from './accumulator.js';
import { checkPattern, maskSummary, type Pattern } from './pattern.js';
import type { PruneResult, Pruner, PrunerOutput } from './types.js';

/** Options of pruneLayer. */
export interface PruneLayerOptions {
  /** The pruner, with its own options: magnitude(), wanda(), sparseGPT({…}), obc({…}), iobs({…}). */
  pruner: Pruner;
  /** Which weights are pruned: a Pattern, or its text ('2:4', '0.5', '0.5/row'). */
  pattern: Pattern | string;
  /** Progress in [0, 1] with a short label (for a CLI's stderr). */
  onProgress?: (fraction: number, label: string) => void;
}

const FN = 'pruneLayer';
const KNOWN = ['pruner', 'pattern', 'onProgress'];

/**
 * Prunes the layer W (rows = outputs, cols = inputs) with the calibration statistics `stats`:
 * either the cols x cols undamped Hessian H = Σ XᵀX (same dtype as W; checked to be finite,
 * symmetric and positive semidefinite beyond rounding) or a HessianAccumulator fed with the
 * layer's inputs. Neither W nor H is modified.
 *
 * Returns the pruned weight and its keep-mask (new matrices in la's storage; the caller frees
 * them), relError = tr(ΔHΔᵀ)/tr(WHWᵀ) with the undamped H (never negative), the damping λ
 * actually used (null for magnitude and Wanda), any warnings, the pruner's wall-clock seconds, the
 * method, its options, the pattern and the fraction pruned. Bad input throws an ArgumentTypeError
 * or ArgumentRangeError naming the argument (`W`, `stats`, `options.pattern`, …); a layer whose
 * output is zero on the calibration data (tr(WHWᵀ) = 0) is refused before any work, since every
 * pruning is then equally good and the relative error means nothing; a pruner that produced a
 * non-finite weight, a weight not zero where pruned, or a mask that breaks the pattern is a
 * ComputationError, never a result.
 * @example
 * const W = la.fromArray([4, -1, 0.5, 3, 2, 0.1, -5, 1], 2, 4);
 * const acc = new HessianAccumulator(la, 4);
 * await acc.addBatch({ data: inputs, rows: 100, cols: 4 });
 * const r = await pruneLayer(la, W, acc, { pruner: wanda(), pattern: '2:4' });
 * await la.read(r.mask);   // two of every four kept in each row
 * r.relError;              // e.g. 0.08
 */
export async function pruneLayer<D extends DType>(
  la: Linalg, W: Matrix<D>, stats: Matrix<D> | HessianAccumulator, options: PruneLayerOptions,
): Promise<PruneResult<D>> {
  if (!(la instanceof Linalg)) throw typeError(FN, 'la', la, 'a Linalg (from init())');
  const w = await checkWeight(la, W);
  if (typeof options !== 'object' || options === null) throw typeError(FN, 'options', options, "an object such as { pruner: sparseGPT(), pattern: '2:4' }");
  checkKnownKeys(FN, 'options', options, KNOWN);
  const pruner = checkPruner(options.pruner);
  const pattern = checkPattern(FN, 'options.pattern', options.pattern, w.cols);
  pruner.checkPattern(pattern);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw typeError(FN, 'options.onProgress', options.onProgress, 'a function');

  const scope = la.scope();
  try {
    const { H, check } = await hessianOf(la, w, stats, scope);
    // A caller's H is checked here, once, for every method (one Cholesky of a copy, outside the
    // pruner's time); an accumulator's is Σ XᵀX and needs no check.
    if (check === 'psd') await checkHessian(la, H, { fn: FN, arg: 'stats' });
    const energy = await layerObjective(la, w, null, H);
    if (!Number.isFinite(energy)) {
      throw rangeError(FN, 'W', w, `a layer whose output energy tr(W H Wᵀ) is finite in ${w.dtype} (it overflows: W or H holds values too large for ${w.dtype}; use float64)`);
    }
    if (!(energy > 0)) {
      throw rangeError(FN, 'stats', H, `calibration data on which the layer's output is not zero (tr(W H Wᵀ) = ${energy}: H is zero, or W is zero on every input that was active)`);
    }
    const t0 = now();
    const out = await pruner.run(la, w, H, pattern, { check: 'trusted', onProgress: options.onProgress ?? null });
    const seconds = (now() - t0) / 1000;
    scope.track(out.weight);
    scope.track(out.mask);
    const sparsity = await checkOutput(la, pruner, w, pattern, out);
    const relError = relative(pruner, await layerObjective(la, w, out.weight, H), energy);
    scope.keep(out.weight);
    scope.keep(out.mask);
    return { ...out, method: pruner.method, options: pruner.options, pattern, relError, sparsity, seconds };
  } finally {
    scope.free();
  }
}

/**
 * tr((W−Ŵ) H (W−Ŵ)ᵀ) / tr(W H Wᵀ) with products in W's dtype and float64 sums; pass the undamped H.
 * @example
 * await relativeError(la, W, What, H);   // e.g. 0.0123
 */
export async function relativeError<D extends DType>(la: Linalg, W: Matrix<D>, What: Matrix<D>, H: Matrix<D>): Promise<number> {
  const energy = await layerObjective(la, W, null, H);
  const num = await layerObjective(la, W, What, H);
  if (!(energy > 0)) return num === 0 ? 0 : Infinity;
  return Math.max(0, num) / energy;
}

/** num / energy, with a rounding-level negative numerator read as 0 and anything worse refused. */
function relative(pruner: Pruner, num: number, energy: number): number {
  if (!Number.isFinite(num)) throw computationError(FN, null, num, `method '${pruner.method}' produced a weight whose error tr(ΔHΔᵀ) is not finite`);
  if (num < 0) {
    if (-num <= 1e-6 * energy) return 0; // rounding of a near-exact result
    throw computationError(FN, 'stats', num, 'tr(ΔHΔᵀ) came out negative: H is not positive semidefinite');
  }
  return num / energy;
}

/** W: a live float32/float64 matrix, at least 1 x 1, all finite. */
async function checkWeight<D extends DType>(la: Linalg, W: Matrix<D>): Promise<Matrix<D>> {
  const w = checkMatrix<D>(FN, 'W', W, null);
  if (w.rows < 1 || w.cols < 1) throw rangeError(FN, 'W', w, 'a matrix with at least one row and one column');
  const at = await la.firstNonFinite(w);
  if (at) throw rangeError(FN, 'W', w, `finite values (W[${at[0]}, ${at[1]}] is not finite)`);
  return w;
}

function checkPruner(p: unknown): Pruner {
  const ok = typeof p === 'object' && p !== null && typeof (p as Pruner).run === 'function' && typeof (p as Pruner).method === 'string';
  if (!ok) throw typeError(FN, 'options.pruner', p, "a pruner such as sparseGPT(), iobs({ iterations: 3 }) or makePruner('wanda')");
  return p as Pruner;
}

/** H from a matrix (checked when the pruner will not) or an accumulator (a new matrix in the scope). */
async function hessianOf<D extends DType>(la: Linalg, W: Matrix<D>, stats: unknown, scope: ReturnType<Linalg['scope']>): Promise<{ H: Matrix<D>; check: 'psd' | 'trusted' }> {
  const c = W.cols;
  if (stats instanceof HessianAccumulator) {
    if (stats.cols !== c) throw rangeError(FN, 'stats', `an accumulator of ${stats.cols} inputs`, `one of ${c} inputs (the columns of W)`);
    if (stats.samples === 0) throw rangeError(FN, 'stats', 'an accumulator of 0 samples', 'an accumulator with at least one batch added');
    const own = scope.track(await stats.hessian(W.dtype));
    const bad = await la.firstNonFinite(own);
    if (bad) throw rangeError(FN, 'stats', `an accumulator whose H[${bad[0]}, ${bad[1]}] is not finite`, `inputs whose Σ XᵀX is finite in ${W.dtype}`);
    if (stats.la === la) return { H: own, check: 'trusted' };
    // Another Linalg's storage: cross through the host once.
    const H = scope.track(la.fromArray(await stats.la.read(own), c, c, W.dtype));
    return { H, check: 'trusted' };
  }
  if (!(stats instanceof Matrix)) throw typeError(FN, 'stats', stats, 'a Hessian Matrix or a HessianAccumulator');
  const H = checkMatrix<D>(FN, 'stats', stats, null);
  if (H.dtype !== W.dtype) throw typeError(FN, 'stats', H, `a ${W.dtype} Hessian (the dtype of W; convert with la.convert)`);
  checkShape(FN, 'stats', H, c, c, `the Hessian of the ${c} inputs of W`);
  const bad = await la.firstNonFinite(H);
  if (bad) throw rangeError(FN, 'stats', H, `a Hessian of finite values (H[${bad[0]}, ${bad[1]}] is not finite)`);
  return { H, check: 'psd' };
}

/** What a pruner returned must be a finite weight, zero where pruned, with a mask that fits the pattern; returns the sparsity. */
async function checkOutput(la: Linalg, pruner: Pruner, W: Matrix, pattern: Pattern, out: PrunerOutput): Promise<number> {
  const fail = (what: string): never => {
    throw computationError(FN, null, pruner.method, `method '${pruner.method}' ${what}; no result is returned`);
  };
  const { rows, cols } = W;
  const Wh = out.weight;
  if (!(Wh instanceof Matrix) || Wh.rows !== rows || Wh.cols !== cols || Wh.dtype !== W.dtype) {
    fail(`returned a weight of the wrong shape (${show(Wh)}, want ${rows}x${cols} ${W.dtype})`);
  }
  const mask = out.mask;
  if (!(mask instanceof Matrix) || mask.dtype !== 'uint8' || mask.rows !== rows || mask.cols !== cols) fail(`returned a mask of the wrong shape (${show(mask)})`);
  const at = await la.firstNonFinite(Wh);
  if (at) fail(`produced a non-finite weight (Ŵ[${at[0]}, ${at[1]}]); the layer or its Hessian may be too large for ${W.dtype}`);
  const kept = await la.maskViolation(Wh, mask);
  if (kept) fail(`left a pruned weight non-zero (Ŵ[${kept[0]}, ${kept[1]}])`);
  const summary = await maskSummary(la, pattern, mask);
  // Unstructured counts are the method's choice (Wanda prunes per row); the others are exact.
  if (pattern.kind !== 'unstructured' && !summary.fits) fail('returned a mask that does not satisfy the pattern');
  if (out.dampUsed !== null && !(typeof out.dampUsed === 'number' && out.dampUsed >= 0 && Number.isFinite(out.dampUsed))) {
    fail(`reported dampUsed = ${show(out.dampUsed)}`);
  }
  return summary.sparsity;
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
