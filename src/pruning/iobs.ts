// I-OBS for a layer (Wu et al. 2024, ALGORITHMS.md §2): from a one-shot pruned Ŵ₀, iterate
//   u = Ŵ_t + η (W − Ŵ_t)                 (damped Newton step of the layer objective),
//   S = the pattern's keep-set of u by OBS saliency u_ij² / [H⁻¹]_jj,
//   Ŵ_{t+1} = argmin over support S of tr((W − Ŵ) H (W − Ŵ)ᵀ), i.e. H[S,S] ŵ_S = (H w)_S per row,
// then, where affordable, the exchange search (exchange.ts: swaps and trades between rows priced by
// exact OBS costs on the current support, our departure from the paper's one-shot saliency) and
// one more re-solve; return the iterate with the least objective (undamped H), the start included,
// so the result is never worse than the start. On layers wide enough that the re-solve is batched
// CG (solver 'auto'), the work is budgeted instead: one iteration, at most AUTO_CG_BUDGET
// low-rank-preconditioned CG iterations per re-solve (preconditioner.ts), each iterate's objective
// from CG's own sums; re-solves are then close to exact rather than exact.
import type { DType } from '../core/dtype.js';
import { checkFinite, checkInt, computationError, rangeError, typeError } from '../core/errors.js';
import type { Mask, Matrix } from '../core/matrix.js';
import { dampedHessian, type DampedHessian } from '../linalg/damped.js';
import { layerObjective } from '../linalg/objective.js';
import type { Linalg } from '../linalg/linalg.js';
import { checkChoice } from '../linalg/checks.js';
import { sparseGPT } from './sparsegpt.js';
import { magnitude } from './magnitude.js';
import { wanda } from './wanda.js';
import { obc } from './obc.js';
import { formatPattern, maskRule, maskSummary, prunedCount, type Pattern } from './pattern.js';
import { solveOnSupportCG, type SupportCGResult } from './pcg.js';
import { jacobiPreconditioner, lowRankPreconditioner, type SupportPreconditioner } from './preconditioner.js';
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
  /**
   * Rounds of Newton step, reselection and re-solve after the start: a number, or 'auto'
   * (default): 3, except 1 where solver 'auto' re-solves by CG (see solver).
   */
  iterations?: number | 'auto';
  /** Step η in u = Ŵ + η(W − Ŵ), in (0, 1] (default 0.5). */
  eta?: number;
  /** Relative damping λ ≥ 0 (default 0.01). */
  damp?: number;
  /**
   * The re-solve H[S,S] ŵ_S = (H w)_S: 'cholesky' factors H[S,S] per row (Σ_r k_r³/3 flops);
   * 'cg' runs masked preconditioned CG (options.preconditioner) over all rows at once (one
   * rows x cols x cols GEMM per iteration), warm-started from the current iterate; 'auto' (default) picks 'cg' when the
   * Cholesky flops exceed those of AUTO_CG_ITERATIONS CG iterations (see autoSolver), and then
   * budgets I-OBS's work unless iterations / maxSolverIterations say otherwise: one iteration,
   * AUTO_CG_BUDGET CG iterations per re-solve (about 13 GEMMs in all; see the README's I-OBS cost).
   */
  solver?: SupportSolver;
  /** CG's relative residual per row (default 1e-5 for float32, 1e-8 for float64). */
  tolerance?: number;
  /** Most CG iterations per re-solve: a number, or 'auto' (default): AUTO_CG_BUDGET where solver 'auto' picked CG, else 500. */
  maxSolverIterations?: number | 'auto';
  /**
   * CG's preconditioner: 'lowrank' (default; lowRankPreconditioner, Jacobi plus the top
   * eigenvectors of the diagonally scaled H, built once per layer) or 'jacobi' (1/H_jj).
   */
  preconditioner?: 'lowrank' | 'jacobi';
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

/**
 * The CG iterations per re-solve where solver 'auto' picked CG (with one I-OBS iteration, so two
 * re-solves). Measured on the synthetic 2048 x 2048 layer at 50% (iobs bench --suite layers'
 * generator): 5 and one iteration gave 0.699x SparseGPT's error at 8.7–10.4x its time (runs
 * differ), against 0.692x at 87x with every re-solve converged; 3 CG iterations over three I-OBS iterations gave 0.703x at
 * 9.0x, 2 over four 0.705x at 11x: fewer, longer re-solves win.
 */
export const AUTO_CG_BUDGET = 5;

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
 * optionally re-solved on its own mask, then options.iterations rounds of Newton step
 * (η = options.eta), OBS reselection under the pattern and re-solve (exact by Cholesky, or CG to
 * its tolerance or cap; see options.solver for the budget of 'auto'), then the exchange search
 * where affordable; the best iterate by tr((W−Ŵ)H(W−Ŵ)ᵀ) (undamped H, float64 sums) is returned,
 * so the result is never worse than the start. Iteration stops early when the reselected mask
 * repeats. Damping as obc.
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
  const o = optionsOf(FN, options, ['start', 'iterations', 'eta', 'damp', 'solver', 'tolerance', 'maxSolverIterations', 'resolveStart', 'exchange', 'exchangeRounds', 'preconditioner']);
  const damp = dampOf(FN, o);
  const start = startOf(o.start, damp);
  const eta = checkFinite(FN, 'options.eta', o.eta ?? 0.5);
  if (!(eta > 0 && eta <= 1)) throw rangeError(FN, 'options.eta', eta, 'a number in (0, 1]');
  const iterations = o.iterations === undefined || o.iterations === 'auto' ? null : checkInt(FN, 'options.iterations', o.iterations, 0);
  const solver = checkChoice(FN, 'options.solver', o.solver, ['auto', 'cholesky', 'cg'] as const, 'auto');
  const resolveStart = o.resolveStart ?? true;
  if (typeof resolveStart !== 'boolean') throw typeError(FN, 'options.resolveStart', resolveStart, 'a boolean');
  const exchange = o.exchange ?? 'auto';
  if (exchange !== 'auto' && typeof exchange !== 'boolean') throw typeError(FN, 'options.exchange', exchange, "true, false or 'auto'");
  const exchangeRounds = checkInt(FN, 'options.exchangeRounds', o.exchangeRounds ?? 100, 0);
  const preconditioner = checkChoice(FN, 'options.preconditioner', o.preconditioner, ['lowrank', 'jacobi'] as const, 'lowrank');
  const cg = {
    preconditioner,
    tolerance: o.tolerance === undefined ? undefined : positive('options.tolerance', o.tolerance),
    maxIterations: o.maxSolverIterations === undefined || o.maxSolverIterations === 'auto' ? undefined : checkInt(FN, 'options.maxSolverIterations', o.maxSolverIterations, 0),
  };
  const recorded = { start: start.method, startOptions: start.options, iterations: iterations ?? 'auto', eta, damp, solver, preconditioner, resolveStart, exchange, exchangeRounds, ...(cg.tolerance === undefined ? {} : { tolerance: cg.tolerance }), maxSolverIterations: cg.maxIterations ?? 'auto' };
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
  iterations: number | null;
  eta: number;
  damp: number;
  solver: SupportSolver;
  resolveStart: boolean;
  exchange: boolean | 'auto';
  exchangeRounds: number;
  cg: { preconditioner: 'lowrank' | 'jacobi'; tolerance?: number; maxIterations?: number };
}

async function iterate<D extends DType>(
  la: Linalg, W: Matrix<D>, H: Matrix<D>, p: Pattern, check: 'psd' | 'trusted',
  onProgress: ((f: number, label: string) => void) | null, s: Settings,
) {
  const rows = W.rows, cols = W.cols;
  const progress = (f: number, label: string): void => onProgress?.(f, label);
  let iterations = s.iterations ?? 3; // settled once the start's mask says which solver 'auto' takes
  const scope = la.scope();
  let precond: SupportPreconditioner | null = null; // built at the first CG re-solve
  const hessian = await dampedHessian(la, H, { fn: FN, arg: 'H', damp: s.damp, factor: 'invchol', deadInputs: true, check });
  try {
    // OBS column weights 1/[H⁻¹]_jj, the squared column norms of U (H⁻¹ = UᵀU); U is then handed to
    // the start (SparseGPT factors nothing again) and released: nothing after it reads U.
    const Hd = hessian.damped;
    const W0 = scope.track(await la.copy(W));
    if (hessian.deadCount > 0) await la.zeroColumns(W0, hessian.dead!);
    const colWeight = scope.track(la.matrix(1, cols, W.dtype));
    await la.gramDiagonal(hessian.factor!, colWeight, 'reciprocal');

    // The start runs before the right-hand sides exist, so its temporaries and ours never coexist.
    progress(0, 'start');
    const first = await s.start.run(la, W, H, p, {
      check: 'trusted',
      onProgress: onProgress && ((f, l) => progress((0.5 * f) / (iterations + 1), `start: ${l}`)),
      shared: { damp: s.damp, hessian: hessian as DampedHessian<DType> },
    });
    hessian.freeFactor();
    scope.track(first.weight);
    scope.track(first.mask);

    // Right-hand sides B = W0 H_damped, and the undamped objective iterates are ranked by. After a
    // CG re-solve it comes from CG's own sums, with no GEMM (H = H_damped − added·I off the dead
    // inputs, where W0 and the iterates are 0):
    //   f(X) = ⟨W0, B⟩ + Σ_r (x Hd x − 2 b·x) − added·‖W0 − X‖².
    // Otherwise in float64 exactly (la.objective on H itself), in float32 by layerObjective (one
    // SYRK in float32 with float64 sums, error about 1e-6 of the value; no float64 copy of H,
    // which at down_proj's 11008 inputs alone is 970 MB).
    const B = scope.track(la.matrix(rows, cols, W.dtype));
    await la.gemm(W0, Hd, B);
    const objective = (X: Matrix<D> | null): Promise<number> =>
      H.dtype === 'float64' ? la.objective(W, X, H as Matrix<'float64'>) : layerObjective(la, W, X, H);
    const energy = await la.dot(W0, B), w0w0 = await la.dot(W0, W0);
    const distance = async (X: Matrix<D>): Promise<number> => w0w0 - 2 * (await la.dot(W0, X)) + (await la.dot(X, X)); // ‖W0 − X‖²
    const fromQuadratic = (quadratic: number, distance: number): number => Math.max(0, energy + quadratic - hessian.added * distance);
    const scale = H.dtype === 'float64' ? await objective(null) : Math.max(0, energy - hessian.added * w0w0);
    const startMask = await maskSummary(la, p, first.mask);
    if (!startMask.fits) {
      // Say how it misses: Wanda, the one start that compares within rows, prunes ⌊cols·p⌋ of every
      // row under 'unstructured', which is ⌊rows·cols·p⌋ only when the two floors agree.
      const why = s.start.method === 'wanda' && p.kind === 'unstructured' ? `; Wanda compares within rows, so it prunes ⌊cols·p⌋ of every row: give I-OBS the per-row pattern '${p.sparsity}/row', or another start` : '';
      throw rangeError(FN, 'options.start', s.start.method, `a pruner whose mask fits the pattern (it pruned ${rows * cols - startMask.kept} weights where ${formatPattern(p)} prunes ${prunedCount(p, rows, cols)}${why})`);
    }

    // Solver 'auto' on CG's side of the line budgets the work (AUTO_CG_BUDGET).
    const budgeted = s.solver === 'auto' && (await autoSolver(la, first.mask)) === 'cg';
    if (s.iterations === null && budgeted) iterations = 1;
    const cgCap = s.cg.maxIterations ?? (budgeted ? AUTO_CG_BUDGET : undefined);
    const steps: string[] = [], objectives: number[] = [], cgRuns: SupportCGResult[] = [];
    let solverUsed: SupportSolver | null = null;
    const X = first.weight;
    let mask: Mask = first.mask;
    let best = { index: 0, W: scope.track(await la.copy(X)), mask: scope.track(await la.copy(mask)), objective: NaN };
    const record = async (label: string, value: number): Promise<void> => {
      if (!Number.isFinite(value)) throw computationError(FN, 'H', H, `the objective after '${label}' is ${value}: H or W holds values too large for ${W.dtype}`);
      steps.push(label);
      objectives.push(value);
      if (Number.isNaN(best.objective) || value < best.objective) {
        await la.copy(X, best.W);
        await la.copy(mask, best.mask);
        best = { ...best, index: steps.length - 1, objective: value };
      }
    };
    // Re-solves X on the mask; resolves to the objectives after and (asked for, X on the mask, CG)
    // before.
    const resolve = async (wantBefore = false): Promise<{ before: number | null; after: number }> => {
      const solver = s.solver === 'auto' ? await autoSolver(la, mask) : s.solver;
      solverUsed = solver;
      if (solver === 'cg') {
        precond ??= s.cg.preconditioner === 'lowrank' ? await lowRankPreconditioner(la, Hd) : await jacobiPreconditioner(la, Hd);
        // Dead inputs' weights change no objective (their rows of H are zero) but would enter
        // the quadratic through the 1 on their diagonal: zeroed, as W0's are.
        if (hessian.deadCount > 0) await la.zeroColumns(X, hessian.dead!);
        const d0 = wantBefore ? await distance(X) : NaN;
        const run = await solveOnSupportCG(la, Hd, B, mask, X, { tolerance: s.cg.tolerance, maxIterations: cgCap, preconditioner: precond });
        cgRuns.push(run);
        return { before: wantBefore ? fromQuadratic(run.quadratic.start, d0) : null, after: fromQuadratic(run.quadratic.end, await distance(X)) };
      }
      const row = await la.solveOnSupport(Hd, B, mask, X);
      if (row >= 0) throw computationError(FN, 'options.damp', s.damp, `H[S,S] has no Cholesky factor on the support of row ${row} at λ = ${hessian.dampUsed}`);
      return { before: null, after: await objective(X) };
    };

    let resolved = false;
    if (s.resolveStart) {
      progress(0.5 / (iterations + 1), 'start re-solved');
      // The start is the first step (best.W holds it); CG's sums at its start price it.
      const { before, after } = await resolve(true);
      const startObjective = before ?? (await objective(best.W));
      if (!Number.isFinite(startObjective)) throw computationError(FN, 'H', H, `the start's objective is ${startObjective}: H or W holds values too large for ${W.dtype}`);
      steps.push('start');
      objectives.push(startObjective);
      best.objective = startObjective;
      await record('start re-solved', after);
      resolved = true;
    } else await record('start', await objective(X));
    const U = scope.track(la.matrix(rows, cols, W.dtype));
    for (let t = 1; t <= iterations; t++) {
      progress(t / (iterations + 1), `iteration ${t}`);
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
      await record(`iteration ${t}`, (await resolve()).after);
      resolved = true;
    }
    let exchanged: ExchangeReport | null = null;
    if (s.exchange === true || (s.exchange === 'auto' && s.exchangeRounds > 0 && (await exchangeFlops(la, best.mask)) <= AUTO_EXCHANGE_FLOPS)) {
      progress(iterations / (iterations + 1), 'exchange');
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
      await record('exchange', (await resolve()).after);
    }
    progress(1, 'done');
    return {
      weight: scope.keep(best.W),
      mask: scope.keep(best.mask),
      dampUsed: (best.index === 0 ? first.dampUsed : null) ?? hessian.dampUsed ?? 0,
      warnings: [...new Set([...hessian.warnings, ...first.warnings])], // a shared factor's warning once
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
    (precond as SupportPreconditioner | null)?.free();
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
