// pruneLayer: the one entry point for pruning a linear layer. It validates everything, runs the
// method's LayerPruner (registry.ts), times it, checks what came back and reports the relative
// reconstruction error with the undamped H.
import { checkFinite, checkInt, rangeError, show, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { checkMatrix, checkOptions, checkShape } from '../linalg/checks.js';
import { Linalg } from '../linalg/linalg.js';
import { HessianAccumulator } from './accumulator.js';
import { relativeError } from './hessian.js';
import { checkPattern, maskFits, type Pattern } from './pattern.js';
import { availableMethods, METHODS, PRUNERS } from './registry.js';
import type { PruneMethod, PruneResult, PrunerOptions, PrunerOutput } from './types.js';

/** Options of pruneLayer: the method, the pattern, and the pruner options. */
export interface PruneLayerOptions extends PrunerOptions {
  /** Which pruner runs. */
  method: PruneMethod;
  /** Which weights are pruned; see Pattern (parsePattern reads '2:4', '0.5', '0.5/row'). */
  pattern: Pattern;
}

const FN = 'pruneLayer';
const KNOWN_OPTIONS = ['method', 'pattern', 'damp', 'blockSize', 'iterations', 'eta', 'onProgress'];

/**
 * Prunes the layer W (rows = outputs, cols = inputs) with the calibration statistics `stats`:
 * either the cols x cols undamped Hessian H = Σ XᵀX (same dtype as W) or a HessianAccumulator
 * fed with the layer's inputs. Neither W nor H is modified.
 *
 * Returns the pruned weight (a new matrix in la's memory, same dtype; the caller frees it), the
 * keep-mask (1 = kept), relError = tr(ΔHΔᵀ)/tr(WHWᵀ) with the undamped H, the damping λ actually
 * used (null for magnitude and Wanda), the pruner's wall-clock seconds, the method, the pattern
 * and the fraction of weights pruned. Bad input throws an error naming the argument and its value;
 * a pruner that produced a non-finite weight, a weight not zero where pruned, or a mask that breaks
 * an N:M or per-row pattern is an error, never a result.
 * @example
 * const W = la.fromArray([4, -1, 0.5, 3, 2, 0.1, -5, 1], 2, 4);
 * const acc = new HessianAccumulator(la, 4);
 * acc.addBatch({ data: inputs, rows: 100, cols: 4 });
 * const r = pruneLayer(la, W, acc, { method: 'wanda', pattern: parsePattern('2:4') });
 * r.mask;       // Uint8Array: two of every four kept in each row
 * r.relError;   // e.g. 0.08
 */
export function pruneLayer<D extends Matrix['dtype']>(
  la: Linalg, W: Matrix<D>, stats: Matrix<D> | HessianAccumulator, options: PruneLayerOptions,
): PruneResult<D> {
  if (!(la instanceof Linalg)) throw typeError(FN, 'la', la, 'a Linalg (from init())');
  const w = checkWeight(W);
  const o = checkOptions<PruneLayerOptions>(FN, options);
  for (const key of Object.keys(o)) {
    if (!KNOWN_OPTIONS.includes(key)) throw rangeError(FN, `options.${key}`, (o as Record<string, unknown>)[key], `one of the known options (${KNOWN_OPTIONS.join(', ')})`);
  }
  const method = checkMethod(o.method);
  const pattern = checkPattern(FN, 'options.pattern', o.pattern, w.cols);
  const prunerOptions = checkPrunerOptions(o, pattern);

  const ownH = !(stats instanceof Matrix);
  const H = hessianOf(la, w, stats);
  try {
    const t0 = performance.now();
    const out = PRUNERS[method]!(la, w, H, pattern, prunerOptions);
    const seconds = (performance.now() - t0) / 1000;
    checkOutput(method, w, pattern, out);
    const relError = relativeError(la, w, out.weight, H);
    if (!Number.isFinite(relError)) {
      out.weight.free();
      throw new RangeError(`${FN}: the relative error of method '${method}' is ${relError}; tr(W H Wᵀ) = 0 with a changed weight (is H zero?)`);
    }
    let zeros = 0;
    for (let i = 0; i < out.mask.length; i++) zeros += out.mask[i] === 0 ? 1 : 0;
    const sparsity = out.mask.length ? zeros / out.mask.length : 0;
    return { ...out, method, pattern, relError, sparsity, seconds };
  } finally {
    if (ownH) H.free();
  }
}

/** W: a live float32/float64 matrix, at least 1 x 1, all finite. */
function checkWeight<D extends Matrix['dtype']>(W: Matrix<D>): Matrix<D> {
  if (!(W instanceof Matrix)) throw typeError(FN, 'W', W, 'a Matrix');
  const w = checkMatrix(FN, 'W', W, W.dtype);
  if (w.rows < 1 || w.cols < 1) throw rangeError(FN, 'W', w, 'a matrix with at least one row and one column');
  const at = firstNonFinite(w);
  if (at) throw rangeError(FN, 'W', w, `finite values (W[${at[0]}, ${at[1]}] = ${at[2]})`);
  return w;
}

function checkMethod(method: unknown): PruneMethod {
  const available = availableMethods();
  const list = available.map((m) => `'${m}'`).join(', ');
  if (typeof method !== 'string') throw typeError(FN, 'options.method', method, `one of ${list}`);
  if (!(METHODS as readonly string[]).includes(method)) throw rangeError(FN, 'options.method', method, `one of ${list}`);
  if (!available.includes(method as PruneMethod)) {
    throw rangeError(FN, 'options.method', method, `a method available in this build (${list})`);
  }
  return method as PruneMethod;
}

/** The pruner options, validated; an N:M pattern needs a block size that is a multiple of m. */
function checkPrunerOptions(o: Partial<PruneLayerOptions>, pattern: Pattern): PrunerOptions {
  const out: PrunerOptions = {};
  if (o.damp !== undefined) {
    const d = checkFinite(FN, 'options.damp', o.damp);
    if (!(d > 0)) throw rangeError(FN, 'options.damp', d, 'a positive number (λ in H + λ·mean(diag H)·I)');
    out.damp = d;
  }
  if (o.blockSize !== undefined) {
    out.blockSize = checkInt(FN, 'options.blockSize', o.blockSize, 1);
    if (pattern.kind === 'nm' && out.blockSize % pattern.m !== 0) {
      throw rangeError(FN, 'options.blockSize', out.blockSize, `a multiple of m = ${pattern.m} (the N:M group)`);
    }
  }
  if (o.iterations !== undefined) out.iterations = checkInt(FN, 'options.iterations', o.iterations, 0);
  if (o.eta !== undefined) {
    const e = checkFinite(FN, 'options.eta', o.eta);
    if (!(e > 0 && e <= 1)) throw rangeError(FN, 'options.eta', e, 'a step in (0, 1]');
    out.eta = e;
  }
  if (o.onProgress !== undefined) {
    if (typeof o.onProgress !== 'function') throw typeError(FN, 'options.onProgress', o.onProgress, 'a function');
    out.onProgress = o.onProgress;
  }
  return out;
}

/** H from a matrix (checked) or an accumulator (a new matrix, freed by the caller). */
function hessianOf<D extends Matrix['dtype']>(la: Linalg, W: Matrix<D>, stats: unknown): Matrix<D> {
  const c = W.cols;
  if (stats instanceof HessianAccumulator) {
    if (stats.cols !== c) throw rangeError(FN, 'stats', `an accumulator of ${stats.cols} inputs`, `one of ${c} inputs (the columns of W)`);
    if (stats.samples === 0) throw rangeError(FN, 'stats', 'an accumulator of 0 samples', 'an accumulator with at least one batch added');
    const own = stats.hessian(W.dtype);
    const bad = firstNonFinite(own);
    if (bad) {
      own.free();
      throw rangeError(FN, 'stats', `an accumulator whose H[${bad[0]}, ${bad[1]}] = ${bad[2]}`, `inputs whose Σ XᵀX is finite in ${W.dtype}`);
    }
    if (stats.la === la) return own;
    const H = la.copy(own);
    own.free();
    return H;
  }
  if (!(stats instanceof Matrix)) throw typeError(FN, 'stats', stats, 'a Hessian Matrix or a HessianAccumulator');
  const H = checkMatrix(FN, 'stats', stats, W.dtype);
  checkShape(FN, 'stats', H, c, c, `the Hessian of the ${c} inputs of W`);
  checkSymmetricPsdDiagonal(H);
  return H;
}

/** H finite, with a non-negative diagonal, and symmetric up to rounding. */
function checkSymmetricPsdDiagonal(H: Matrix): void {
  const bad = firstNonFinite(H);
  if (bad) throw rangeError(FN, 'stats', H, `a Hessian of finite values (H[${bad[0]}, ${bad[1]}] = ${bad[2]})`);
  const n = H.rows, d = H.data, o = H.offset, s = H.stride;
  const at = (i: number, j: number): number => d[o + i * s + j];
  for (let j = 0; j < n; j++) {
    if (at(j, j) < 0) throw rangeError(FN, 'stats', H, `a Hessian XᵀX with a non-negative diagonal (H[${j}, ${j}] = ${at(j, j)})`);
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const a = at(i, j), b = at(j, i);
      const tol = 1e-5 * (Math.sqrt(at(i, i) * at(j, j)) + Math.abs(a) + Math.abs(b));
      if (!(Math.abs(a - b) <= tol)) throw rangeError(FN, 'stats', H, `a symmetric Hessian (H[${i}, ${j}] = ${a} but H[${j}, ${i}] = ${b})`);
    }
  }
}

/** The first non-finite element as [i, j, value], or null. */
function firstNonFinite(M: Matrix): [number, number, number] | null {
  const d = M.data;
  for (let i = 0; i < M.rows; i++) {
    const o = M.offset + i * M.stride;
    for (let j = 0; j < M.cols; j++) if (!Number.isFinite(d[o + j])) return [i, j, d[o + j]];
  }
  return null;
}

/** What a pruner returned must be a finite weight, zero where pruned, with a mask that fits the pattern. */
function checkOutput(method: PruneMethod, W: Matrix, pattern: Pattern, out: PrunerOutput): void {
  const fail = (what: string): never => {
    out.weight?.free?.();
    throw new RangeError(`${FN}: method '${method}' ${what}; no result is returned`);
  };
  const { rows, cols } = W;
  const Wh = out.weight;
  if (!(Wh instanceof Matrix) || Wh.rows !== rows || Wh.cols !== cols || Wh.dtype !== W.dtype) {
    fail(`returned a weight of the wrong shape (${show(Wh)}, want ${rows}x${cols} ${W.dtype})`);
  }
  const mask = out.mask;
  if (!(mask instanceof Uint8Array) || mask.length !== rows * cols) fail(`returned a mask of the wrong length (${show(mask)})`);
  const at = firstNonFinite(Wh);
  if (at) fail(`produced a non-finite weight (Ŵ[${at[0]}, ${at[1]}] = ${at[2]})`);
  const d = Wh.data;
  for (let i = 0; i < rows; i++) {
    const o = Wh.offset + i * Wh.stride;
    for (let j = 0; j < cols; j++) {
      const m = mask[i * cols + j];
      if (m !== 0 && m !== 1) fail(`returned a mask with the value ${m} at (${i}, ${j})`);
      if (m === 0 && d[o + j] !== 0) fail(`left a pruned weight non-zero (Ŵ[${i}, ${j}] = ${d[o + j]})`);
    }
  }
  if (pattern.kind !== 'unstructured' && !maskFits(pattern, mask, rows, cols)) {
    fail(`returned a mask that does not satisfy the ${pattern.kind === 'nm' ? `${pattern.n}:${pattern.m}` : 'per-row'} pattern`);
  }
  if (out.dampUsed !== null && !(typeof out.dampUsed === 'number' && out.dampUsed > 0 && Number.isFinite(out.dampUsed))) {
    fail(`reported dampUsed = ${show(out.dampUsed)}`);
  }
}
