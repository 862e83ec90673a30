// I-OBS for a layer (Wu et al. 2024, ALGORITHMS.md §2): from a one-shot pruned Ŵ₀, iterate
//   u = Ŵ_t + η (W − Ŵ_t)                 (damped Newton step of the layer objective),
//   S = the pattern's keep-set of u by OBS saliency u_ij² / [H⁻¹]_jj,
//   Ŵ_{t+1} = argmin over support S of tr((W − Ŵ) H (W − Ŵ)ᵀ), i.e. H[S,S] ŵ_S = (H w)_S per row,
// then, where affordable, the exchange search (exchange.ts: swaps and trades between rows priced by
// exact OBS costs on the current support, our departure from the paper's one-shot saliency) and
// one more re-solve; return the iterate with the least objective (undamped H), the start included,
// so the result is never worse than the start.
import type { DType } from '../core/dtype.js';
import { checkFinite, checkInt, computationError, rangeError, typeError } from '../core/errors.js';
import type { Mask, Matrix } from '../core/matrix.js';
import { dampedHessian } from '../linalg/damped.js';
import { layerObjective } from '../linalg/objective.js';
import type { Linalg } from '../linalg/linalg.js';
import { checkChoice } from '../linalg/checks.js';
import { sparseGPT } from './sparsegpt.js';
import { magnitude } from './magnitude.js';
import { wanda } from './wanda.js';
import { obc } from './obc.js';
import { formatPattern, maskRule, maskSummary, prunedCount, type Pattern } from './pattern.js';
import { solveOnSupportCG, type SupportCGResult } from './pcg.js';
import { exchangeSearch, type ExchangeReport } from './exchange.js';
import { dampOf, optionsOf } from './options.js';
import type { Pruner, PruneMethod } from './types.js';

const FN = 'iobs';

/** How I-OBS re-solves the weights on a support. */
export type SupportSolver = 'auto' | 'cholesky' | 'cg';

/** Options of iobs(). */
export interface IterativeOBSOptions {
  /**
   * The one-shot start Ŵ₀: a method name ('sparsegpt', default; 'obc', 'wanda', 'magnitude') or a
   * Pruner value (e.g. sparseGPT({ blockSize: 64 })). A name gets this I-OBS's damp. Its mask must
   * prune exactly what the pattern prunes; Wanda under 'unstructured' prunes ⌊cols·p⌋ per row, so
   * it fits only where rows·⌊cols·p⌋ = ⌊rows·cols·p⌋ (use the per-row pattern otherwise).
   */
  start?: Exclude<PruneMethod, 'iobs'> | Pruner;
  /** Rounds of Newton step, reselection and exact re-solve after the start (default 3). */
  iterations?: number;
  /** Step η in u = Ŵ + η(W − Ŵ), in (0, 1] (default 0.5). */
  eta?: number;
  /** Relative damping λ ≥ 0 (default 0.01). */
  damp?: number;
  /**
   * The re-solve H[S,S] ŵ_S = (H w)_S: 'cholesky' factors H[S,S] per row (Σ_r k_r³/3 flops);
   * 'cg' runs masked Jacobi-preconditioned CG over all rows at once (one rows x cols x cols GEMM
   * per iteration), warm-started from the current iterate; 'auto' (default) picks 'cg' when the
   * Cholesky flops exceed those of AUTO_CG_ITERATIONS CG iterations (see autoSolver).
   */
  solver?: SupportSolver;
  /** CG's relative residual per row (default 1e-5 for float32, 1e-8 for float64). */
  tolerance?: number;
  /** Most CG iterations per re-solve (default 500). */
  maxSolverIterations?: number;
  /**
   * Re-solve the start's own mask exactly before iterating (default true): for SparseGPT this
   * alone is a large gain; for OBC (already optimal on its support) it changes nothing.
   */
  resolveStart?: boolean;
  /**
   * After the iterations, the support-aware reselection (exchangeSearch): swap kept and pruned
   * weights within rows (within N:M groups), and under 'unstructured' trade them between rows,
   * while an exchange priced exactly by OBS costs on the current support lowers the objective;
   * then re-solve. true, false, or 'auto' (default): on when one round's factorisations,
   * Σ_r (k_r³ + 2·k_r²·(cols − k_r)) flops for k_r kept in row r, stay below
   * AUTO_EXCHANGE_FLOPS.
   */
  exchange?: boolean | 'auto';
  /** Most rounds of the exchange search (default 100). */
  exchangeRounds?: number;
}

/**
 * The flops of one exchange round (every row's support factored and H[S,P] multiplied) below
 * which exchange 'auto' runs: 5·10¹⁰, a few seconds of float64 Wasm here, so the
 * tinystories-llama layers (at most 128 x 384) take it and a 1024 x 1024 layer (4·10¹¹) does not.
 */
export const AUTO_EXCHANGE_FLOPS = 5e10;

/**
 * The CG iterations per re-solve that solver 'auto' budgets for: with the previous iterate as
 * start and the float32 tolerance 1e-5, I-OBS re-solves on 64 x 256 and 128 x 1024 layers with
 * ReLU-like correlated inputs took 18 to 57 iterations.
 */
export const AUTO_CG_ITERATIONS = 40;

const STARTS = { sparsegpt: sparseGPT, obc, wanda, magnitude } as const;

/** The start pruner from options.start. */
function startOf(start: unknown, damp: number): Pruner {
  if (start === undefined) return sparseGPT({ damp });
  if (typeof start === 'string') {
    if (start === 'sparsegpt' || start === 'obc') return STARTS[start]({ damp });
    if (start === 'wanda' || start === 'magnitude') return STARTS[start]();
    throw rangeError(FN, 'options.start', start, `'sparsegpt', 'obc', 'wanda', 'magnitude' or a Pruner${start === 'iobs' ? ' (I-OBS cannot start from itself)' : ''}`);
  }
  const p = start as Pruner;
  if (typeof p !== 'object' || p === null || typeof p.run !== 'function' || typeof p.method !== 'string') {
    throw typeError(FN, 'options.start', start, "a method name such as 'sparsegpt' or a Pruner such as sparseGPT({ blockSize: 64 })");
  }
  return p;
}

/**
 * I-OBS on a layer as a pruner: the start's result (options.start, default SparseGPT),
 * optionally re-solved exactly on its own mask, then options.iterations rounds of Newton step
 * (η = options.eta), OBS reselection under the pattern and exact re-solve; the best iterate by
 * tr((W−Ŵ)H(W−Ŵ)ᵀ) (undamped H, float64) is returned, so the result is never worse than the
 * start. Iteration stops early when the reselected mask repeats. Damping as obc.
 *
 * details: steps (labels: 'start', 'start re-solved', 'iteration 1', …, 'exchange'), objective and
 * relError per step, kept (index of the returned step), solver, cg (per CG re-solve: iterations,
 * worstResidual, converged), exchange (the ExchangeReport, or null when the search did not run),
 * startDetails.
 * @example
 * const r = await pruneLayer(la, W, H, { pruner: iobs({ start: 'sparsegpt', iterations: 3, eta: 0.5 }), pattern: '0.5' });
 * r.details.relError;   // e.g. [0.081, 0.081, 0.074, 0.072, 0.072]
 * r.details.kept;       // 3
 */
export function iobs(options?: IterativeOBSOptions): Pruner {
  const o = optionsOf(FN, options, ['start', 'iterations', 'eta', 'damp', 'solver', 'tolerance', 'maxSolverIterations', 'resolveStart', 'exchange', 'exchangeRounds']);
  const damp = dampOf(FN, o);
  const start = startOf(o.start, damp);
  const eta = checkFinite(FN, 'options.eta', o.eta ?? 0.5);
  if (!(eta > 0 && eta <= 1)) throw rangeError(FN, 'options.eta', eta, 'a number in (0, 1]');
  const iterations = checkInt(FN, 'options.iterations', o.iterations ?? 3, 0);
  const solver = checkChoice(FN, 'options.solver', o.solver, ['auto', 'cholesky', 'cg'] as const, 'auto');
  const resolveStart = o.resolveStart ?? true;
  if (typeof resolveStart !== 'boolean') throw typeError(FN, 'options.resolveStart', resolveStart, 'a boolean');
  const exchange = o.exchange ?? 'auto';
  if (exchange !== 'auto' && typeof exchange !== 'boolean') throw typeError(FN, 'options.exchange', exchange, "true, false or 'auto'");
  const exchangeRounds = checkInt(FN, 'options.exchangeRounds', o.exchangeRounds ?? 100, 0);
  const cg = {
    tolerance: o.tolerance === undefined ? undefined : positive('options.tolerance', o.tolerance),
    maxIterations: o.maxSolverIterations === undefined ? undefined : checkInt(FN, 'options.maxSolverIterations', o.maxSolverIterations, 0),
  };
  const recorded = { start: start.method, startOptions: start.options, iterations, eta, damp, solver, resolveStart, exchange, exchangeRounds, ...(cg.tolerance === undefined ? {} : { tolerance: cg.tolerance }), ...(cg.maxIterations === undefined ? {} : { maxSolverIterations: cg.maxIterations }) };
  return {
    method: 'iobs',
    options: recorded,
    factorsHessian: true,
    checkPattern(pattern) {
      start.checkPattern(pattern);
    },
    run(la, W, H, pattern, ctx) {
      return iterate(la, W, H, pattern, ctx.check, ctx.onProgress, { start, iterations, eta, damp, solver, resolveStart, exchange, exchangeRounds, cg });
    },
  };
}

interface Settings {
  start: Pruner;
  iterations: number;
  eta: number;
  damp: number;
  solver: SupportSolver;
  resolveStart: boolean;
  exchange: boolean | 'auto';
  exchangeRounds: number;
  cg: { tolerance?: number; maxIterations?: number };
}

async function iterate<D extends DType>(
  la: Linalg, W: Matrix<D>, H: Matrix<D>, p: Pattern, check: 'psd' | 'trusted',
  onProgress: ((f: number, label: string) => void) | null, s: Settings,
) {
  const rows = W.rows, cols = W.cols;
  const progress = (f: number, label: string): void => onProgress?.(f, label);
  const scope = la.scope();
  const hessian = await dampedHessian(la, H, { fn: FN, arg: 'H', damp: s.damp, factor: 'inverse', deadInputs: true, check });
  try {
    // OBS column weights 1/[H⁻¹]_jj (then the inverse is released: nothing else reads it).
    const Hd = hessian.damped;
    const W0 = scope.track(await la.copy(W));
    if (hessian.deadCount > 0) await la.zeroColumns(W0, hessian.dead!);
    const colWeight = scope.track(la.matrix(1, cols, W.dtype));
    await la.diagonal(hessian.factor!, colWeight, 'reciprocal');
    hessian.freeFactor();

    // The start runs before the right-hand sides exist, so its temporaries and ours never coexist.
    progress(0, 'start');
    const first = await s.start.run(la, W, H, p, {
      check: 'trusted',
      onProgress: onProgress && ((f, l) => progress((0.5 * f) / (s.iterations + 1), `start: ${l}`)),
    });
    scope.track(first.weight);
    scope.track(first.mask);

    // Right-hand sides B = W0 H_damped, and the undamped objective iterates are ranked by: in
    // float64 exactly (la.objective on H itself), in float32 by layerObjective (one SYRK in float32
    // with float64 sums, error about 1e-6 of the value; no float64 copy of H, which at down_proj's
    // 11008 inputs alone is 970 MB).
    const B = scope.track(la.matrix(rows, cols, W.dtype));
    await la.gemm(W0, Hd, B);
    const objective = (X: Matrix<D> | null): Promise<number> =>
      H.dtype === 'float64' ? la.objective(W, X, H as Matrix<'float64'>) : layerObjective(la, W, X, H);
    const scale = await objective(null);
    const startMask = await maskSummary(la, p, first.mask);
    if (!startMask.fits) {
      // Say how it misses: Wanda, the one start that compares within rows, prunes ⌊cols·p⌋ of every
      // row under 'unstructured', which is ⌊rows·cols·p⌋ only when the two floors agree.
      const why = s.start.method === 'wanda' && p.kind === 'unstructured' ? `; Wanda compares within rows, so it prunes ⌊cols·p⌋ of every row: give I-OBS the per-row pattern '${p.sparsity}/row', or another start` : '';
      throw rangeError(FN, 'options.start', s.start.method, `a pruner whose mask fits the pattern (it pruned ${rows * cols - startMask.kept} weights where ${formatPattern(p)} prunes ${prunedCount(p, rows, cols)}${why})`);
    }

    const steps: string[] = [], objectives: number[] = [], cgRuns: SupportCGResult[] = [];
    let solverUsed: SupportSolver | null = null;
    const X = first.weight;
    let mask: Mask = first.mask;
    let best = { index: 0, W: scope.track(await la.copy(X)), mask: scope.track(await la.copy(mask)), objective: await objective(X) };
    steps.push('start');
    objectives.push(best.objective);
    const record = async (label: string): Promise<void> => {
      const value = await objective(X);
      steps.push(label);
      objectives.push(value);
      if (value < best.objective) {
        await la.copy(X, best.W);
        await la.copy(mask, best.mask);
        best = { ...best, index: steps.length - 1, objective: value };
      }
    };
    const resolve = async (): Promise<void> => {
      const solver = s.solver === 'auto' ? await autoSolver(la, mask) : s.solver;
      solverUsed = solver;
      if (solver === 'cg') cgRuns.push(await solveOnSupportCG(la, Hd, B, mask, X, s.cg));
      else {
        const row = await la.solveOnSupport(Hd, B, mask, X);
        if (row >= 0) throw computationError(FN, 'options.damp', s.damp, `H[S,S] has no Cholesky factor on the support of row ${row} at λ = ${hessian.dampUsed}`);
      }
    };

    let resolved = false;
    if (s.resolveStart) {
      progress(0.5 / (s.iterations + 1), 'start re-solved');
      await resolve();
      await record('start re-solved');
      resolved = true;
    }
    const U = scope.track(la.matrix(rows, cols, W.dtype));
    for (let t = 1; t <= s.iterations; t++) {
      progress(t / (s.iterations + 1), `iteration ${t}`);
      await la.copy(X, U);
      await la.axpby(s.eta, W0, 1 - s.eta, U); // U = X + η (W0 − X)
      const next = scope.track(la.mask(rows, cols));
      await la.selectMask(U, colWeight, maskRule(p, rows, cols), next);
      if (resolved && (await la.maskDifference(next, mask)) === 0) {
        scope.release(next);
        break; // a fixed point: every later iterate is this one
      }
      if (mask !== first.mask && mask !== best.mask) scope.release(mask);
      mask = next;
      await la.applyMask(X, mask);
      await resolve();
      await record(`iteration ${t}`);
      resolved = true;
    }
    let exchanged: ExchangeReport | null = null;
    if (s.exchange === true || (s.exchange === 'auto' && s.exchangeRounds > 0 && (await exchangeFlops(la, best.mask)) <= AUTO_EXCHANGE_FLOPS)) {
      progress(s.iterations / (s.iterations + 1), 'exchange');
      // From the best iterate's mask, in float64: the damped H and B = W0·H (a float64 layer's own).
      const wide = W.dtype !== 'float64';
      const H64d = wide ? scope.track(await la.convert(Hd, 'float64')) : (Hd as Matrix<'float64'>);
      let B64 = B as Matrix<'float64'>;
      if (wide) {
        const W64 = scope.track(await la.convert(W0, 'float64'));
        B64 = scope.track(la.matrix(rows, cols, 'float64'));
        await la.gemm(W64, H64d, B64);
        scope.release(W64);
      }
      const next = scope.track(await la.copy(best.mask));
      exchanged = await exchangeSearch(la, H64d, B64, next, p, s.exchangeRounds);
      if (wide) {
        scope.release(B64);
        scope.release(H64d);
      }
      if (mask !== first.mask && mask !== best.mask) scope.release(mask);
      mask = next;
      await la.applyMask(X, mask);
      await resolve();
      await record('exchange');
    }
    progress(1, 'done');
    return {
      weight: scope.keep(best.W),
      mask: scope.keep(best.mask),
      dampUsed: (best.index === 0 ? first.dampUsed : null) ?? hessian.dampUsed ?? 0,
      warnings: [...hessian.warnings, ...first.warnings],
      details: {
        steps,
        objective: objectives,
        relError: objectives.map((v) => (scale > 0 ? v / scale : v === 0 ? 0 : Infinity)),
        kept: best.index,
        solver: solverUsed,
        exchange: exchanged,
        cg: cgRuns,
        eta: s.eta,
        startDetails: first.details,
      },
    };
  } finally {
    scope.free();
    hessian.free();
  }
}

/**
 * The re-solve 'auto' picks for a keep-mask: 'cg' when per-row Cholesky would cost more flops,
 * Σ_r k_r³/3, than AUTO_CG_ITERATIONS GEMM iterations of CG, 2·rows·cols² each; else 'cholesky'.
 * Dense supports cross over near cols = 240; at 50% sparsity near cols = 1900 (a 4096 x 4096
 * layer at 50% goes to CG, 2.2x fewer flops; 10 x 128 stays with Cholesky). Reads rows counts.
 * @example
 * await autoSolver(la, mask4096);   // 'cg' for a dense 4096 x 4096 mask
 */
export async function autoSolver(la: Linalg, mask: Mask): Promise<'cg' | 'cholesky'> {
  const rows = mask.rows, cols = mask.cols;
  const cholesky = await sumOverRows(la, mask, (k) => (k * k * k) / 3);
  return cholesky > AUTO_CG_ITERATIONS * 2 * rows * cols * cols ? 'cg' : 'cholesky';
}

/**
 * The flops of one exchange round on a mask: Σ_r (k_r³ + 2·k_r²·(cols − k_r)) (the support's
 * inverse and K·H[S,P] per row). Reads rows counts.
 */
export async function exchangeFlops(la: Linalg, mask: Mask): Promise<number> {
  return sumOverRows(la, mask, (k) => k ** 3 + 2 * k ** 2 * (mask.cols - k));
}

/** Σ_r f(k_r) over the mask's rows, k_r the row's kept count (reads rows numbers). */
async function sumOverRows(la: Linalg, mask: Mask, f: (k: number) => number): Promise<number> {
  const counts = la.matrix(mask.rows, 1, 'int32');
  try {
    await la.maskCounts(mask, 0, counts);
    const k = await la.read(counts);
    let sum = 0;
    for (let r = 0; r < mask.rows; r++) sum += f(k[r]);
    return sum;
  } finally {
    counts.free();
  }
}

function positive(arg: string, x: unknown): number {
  const v = checkFinite(FN, arg, x);
  if (!(v > 0)) throw rangeError(FN, arg, v, 'a positive number');
  return v;
}
