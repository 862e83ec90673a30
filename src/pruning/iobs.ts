// I-OBS for a layer (Wu et al. 2024, ALGORITHMS.md §2): from a one-shot pruned Ŵ₀, iterate
//   u = Ŵ_t + η (W − Ŵ_t)                 (damped Newton step of the layer objective),
//   S = the pattern's keep-set of u by OBS saliency u_ij² / [H⁻¹]_jj,
//   Ŵ_{t+1} = argmin over support S of tr((W − Ŵ) H (W − Ŵ)ᵀ), i.e. H[S,S] ŵ_S = (H w)_S per row,
// and return the iterate with the least objective (undamped H), the start included, so the result
// is never worse than the start.
import { checkFinite, checkInt, rangeError, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';
import { checkChoice, checkOptions } from '../linalg/checks.js';
import { DEFAULT_DAMP, deadInputs, factorDamped, layerObjective, withDeadInputs, type LayerObjective } from './hessian.js';
import { sparseGPT } from './sparsegpt.js';
import { checkPattern, maskFits, maskRule, type Pattern } from './pattern.js';
import { solveOnSupportCG, zeroOffMask, type SupportCGResult } from './pcg.js';
import type { LayerPruner, PrunerOptions, PrunerOutput } from './types.js';

/** How I-OBS re-solves the weights on a support. */
export type SupportSolver = 'auto' | 'cholesky' | 'cg';

/** I-OBS options: the pruner options plus the start and the re-solve. */
export interface IterativeOBSOptions extends PrunerOptions {
  /**
   * The one-shot pruner that gives Ŵ₀ (called with the same W, H, pattern and options). Default
   * SparseGPT (the start the I-OBS measurements in ALGORITHMS.md use; obc is exact greedy OBS but
   * O(rows·k·cols²)). Its mask must fit the pattern.
   */
  start?: LayerPruner;
  /**
   * The re-solve H[S,S] ŵ_S = (H w)_S: 'cholesky' factors H[S,S] per row (Σ_r k_r³/3 flops);
   * 'cg' runs masked Jacobi-preconditioned CG over all rows at once (one rows x cols x cols GEMM
   * per iteration), warm-started from the current iterate; 'auto' (default) picks 'cg' when the
   * Cholesky flops Σ_r k_r³/3 (k_r = weights kept in row r) exceed those of AUTO_CG_ITERATIONS
   * CG iterations, 2·rows·cols² each, else 'cholesky' (see autoSolver).
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
}

/**
 * The CG iterations per re-solve that solver 'auto' budgets for: with the previous iterate as
 * start and the float32 tolerance 1e-5, I-OBS re-solves on 64 x 256 and 128 x 1024 layers with
 * ReLU-like correlated inputs took 18 to 57 iterations.
 */
export const AUTO_CG_ITERATIONS = 40;

/** Options of I-OBS after validation. */
interface Settings {
  start: LayerPruner;
  solver: SupportSolver;
  iterations: number;
  eta: number;
  damp: number;
  resolveStart: boolean;
  cg: { tolerance?: number; maxIterations?: number };
}

/**
 * I-OBS on a layer: the start's result (options.start, default SparseGPT), optionally re-solved exactly
 * on its own mask, then options.iterations (default 3) rounds of Newton step (η = options.eta,
 * default 0.5), OBS reselection under the pattern and exact re-solve; the best iterate by
 * tr((W−Ŵ)H(W−Ŵ)ᵀ) (undamped H) is returned. Iteration stops early when the reselected mask
 * repeats. Damping as obc (dead inputs fixed, λ·mean(diag H), ×10 on failure).
 *
 * details: steps (labels: 'start', 'start re-solved', 'iteration 1', …), objective and relError
 * per step, kept (index of the returned step), solver, cg (per CG re-solve: iterations,
 * worstResidual, converged), startDetails.
 * @example
 * const out = iterativeOBS(la, W, H, { kind: 'unstructured', sparsity: 0.5 }, { iterations: 3 });
 * out.details.relError;   // e.g. [0.081, 0.081, 0.074, 0.072, 0.072]
 * out.details.kept;       // 3
 */
export function iterativeOBS<D extends Matrix['dtype']>(
  la: Linalg, W: Matrix<D>, H: Matrix<D>, pattern: Pattern, options: IterativeOBSOptions = {},
): PrunerOutput<D> {
  const fn = 'iterativeOBS';
  checkOperands(fn, W, H);
  const p = checkPattern(fn, 'pattern', pattern, W.cols);
  const s = settings(fn, options);
  const rows = W.rows, cols = W.cols, be = la.backend;
  const progress = (f: number, label: string): void => options.onProgress?.(f, label);
  const owned: Matrix[] = [];
  const keep = <M extends Matrix>(M: M): M => (owned.push(M), M);
  let layer: LayerObjective | null = null;
  try {
    // Damped Hessian, OBS column weights 1/[H⁻¹]_jj and right-hand sides B = W H_damped.
    const dead = deadInputs(H);
    const fixed = withDeadInputs(la, H, dead);
    const Hd = keep(fixed.H);
    const W0 = keep(la.copy(W));
    for (const j of dead) for (let r = 0; r < rows; r++) W0.set(r, j, 0);
    const { M: Hinv, dampUsed } = factorDamped(la, Hd, fixed.meanDiag, s.damp, 'inverse', fn);
    const colWeight = keep(la.matrix(1, cols, W.dtype));
    for (let j = 0; j < cols; j++) colWeight.set(0, j, 1 / Hinv.get(j, j));
    Hinv.free();
    for (let j = 0; j < cols; j++) Hd.set(j, j, Hd.get(j, j) + dampUsed * fixed.meanDiag);
    const B = keep(la.matrix(rows, cols, W.dtype));
    be.gemm(false, false, 1, W0, Hd, 0, B);
    const exact = (layer = layerObjective(la, W, H));
    const objective = (X: Matrix | null): number => exact.value(X);
    const scale = objective(null);

    progress(0, 'start');
    const startProgress = options.onProgress && ((f: number, l: string) => progress((0.5 * f) / (s.iterations + 1), `start: ${l}`));
    const first = s.start(la, W, H, p, { ...options, start: undefined, onProgress: startProgress } as PrunerOptions);
    if (first.weight instanceof Matrix) keep(first.weight);
    if (!(first.weight instanceof Matrix) || first.weight.rows !== rows || first.weight.cols !== cols || first.weight.dtype !== W.dtype) {
      throw typeError(fn, 'options.start', first.weight, `a pruner returning a ${rows}x${cols} ${W.dtype} weight`);
    }
    if (!maskFits(p, first.mask, rows, cols)) throw rangeError(fn, 'options.start', 'its mask', 'a pruner whose mask fits the pattern');

    const steps: string[] = [], objectives: number[] = [], cgRuns: SupportCGResult[] = [];
    let solverUsed: SupportSolver | null = null;
    let X = first.weight, mask = first.mask;
    let best = { index: 0, W: la.copy(X), mask: mask.slice(), objective: objective(X) };
    steps.push('start');
    objectives.push(best.objective);
    const record = (label: string): void => {
      const o = objective(X);
      steps.push(label);
      objectives.push(o);
      if (o < best.objective) {
        best.W.free();
        best = { index: steps.length - 1, W: la.copy(X), mask: mask.slice(), objective: o };
      }
    };
    const resolve = (): void => {
      const solver = s.solver === 'auto' ? autoSolver(mask, rows, cols) : s.solver;
      solverUsed = solver;
      if (solver === 'cg') cgRuns.push(solveOnSupportCG(la, Hd, B, mask, X, s.cg));
      else {
        const row = be.solveOnSupport(Hd, B, mask, X);
        if (row >= 0) throw rangeError(fn, 'options.damp', s.damp, `a damping under which H[S,S] factors on every support (row ${row} failed at λ = ${dampUsed})`);
      }
    };

    try {
      let resolved = false;
      if (s.resolveStart) {
        progress(0.5 / (s.iterations + 1), 'start re-solved');
        resolve();
        record('start re-solved');
        resolved = true;
      }
      const U = keep(la.matrix(rows, cols, W.dtype));
      for (let t = 1; t <= s.iterations; t++) {
        progress(t / (s.iterations + 1), `iteration ${t}`);
        newtonStep(U, X, W0, s.eta);
        const next = new Uint8Array(rows * cols);
        be.selectMask(U, colWeight, maskRule(p, rows, cols), next);
        if (resolved && equal(next, mask)) break; // a fixed point: every later iterate is this one
        mask = next;
        zeroOffMask(X, mask);
        resolve();
        record(`iteration ${t}`);
        resolved = true;
      }
    } catch (e) {
      best.W.free();
      throw e;
    }
    progress(1, 'done');
    return {
      weight: best.W,
      mask: best.mask,
      dampUsed: best.index === 0 ? first.dampUsed ?? dampUsed : dampUsed,
      details: {
        steps,
        objective: objectives,
        relError: objectives.map((o) => (scale > 0 ? o / scale : o === 0 ? 0 : Infinity)),
        kept: best.index,
        solver: solverUsed,
        cg: cgRuns,
        eta: s.eta,
        startDetails: first.details,
      },
    };
  } finally {
    for (const M of owned) M.free();
    layer?.free();
  }
}

/**
 * I-OBS as a LayerPruner, starting from options.start (default SparseGPT) — see iterativeOBS.
 * @example
 * const out = iobs(la, W, H, { kind: 'nm', n: 2, m: 4 }, { iterations: 3, eta: 0.5 });
 */
export const iobs: LayerPruner = (la, W, H, pattern, options) => iterativeOBS(la, W, H, pattern, options);

/**
 * The re-solve 'auto' picks for a keep-mask: 'cg' when per-row Cholesky would cost more flops,
 * Σ_r k_r³/3, than AUTO_CG_ITERATIONS GEMM iterations of CG, 2·rows·cols² each; else 'cholesky'.
 * Dense supports cross over near cols = 240; at 50% sparsity near cols = 1900 (a 4096 x 4096
 * layer at 50% goes to CG, 2.2x fewer flops; 10 x 128 stays with Cholesky).
 * @example
 * autoSolver(new Uint8Array(4096 * 4096).fill(1), 4096, 4096);   // 'cg'
 */
export function autoSolver(mask: Uint8Array, rows: number, cols: number): 'cg' | 'cholesky' {
  let cholesky = 0;
  for (let r = 0; r < rows; r++) {
    let k = 0;
    for (let j = 0; j < cols; j++) k += mask[r * cols + j];
    cholesky += (k * k * k) / 3;
  }
  return cholesky > AUTO_CG_ITERATIONS * 2 * rows * cols * cols ? 'cg' : 'cholesky';
}

/** U = X + η (W − X), elementwise (all three rows x cols). */
function newtonStep(U: Matrix, X: Matrix, W: Matrix, eta: number): void {
  const x = X.toArray(), w = W.toArray(), u = new Float64Array(x.length);
  for (let i = 0; i < u.length; i++) u[i] = x[i] + eta * (w[i] - x[i]);
  U.assign(u);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkOperands(fn: string, W: unknown, H: unknown): void {
  if (!(W instanceof Matrix)) throw typeError(fn, 'W', W, 'a Matrix');
  if (!(H instanceof Matrix)) throw typeError(fn, 'H', H, 'a Matrix');
  if (H.rows !== W.cols || H.cols !== W.cols) throw rangeError(fn, 'H', H, `${W.cols}x${W.cols} (W has ${W.cols} columns)`);
  if (H.dtype !== W.dtype) throw typeError(fn, 'H', H, `a ${W.dtype} matrix like W`);
  for (const [name, M] of [['W', W], ['H', H]] as const) {
    const a = M.toArray();
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw rangeError(fn, name, a[i], 'finite entries');
  }
}

function settings(fn: string, options: IterativeOBSOptions): Settings {
  const o = checkOptions<IterativeOBSOptions>(fn, options);
  const start = o.start ?? sparseGPT;
  if (typeof start !== 'function') throw typeError(fn, 'options.start', start, 'a LayerPruner function');
  const eta = checkFinite(fn, 'options.eta', o.eta ?? 0.5);
  if (!(eta > 0 && eta <= 1)) throw rangeError(fn, 'options.eta', eta, 'a number in (0, 1]');
  const damp = checkFinite(fn, 'options.damp', o.damp ?? DEFAULT_DAMP);
  if (!(damp >= 0)) throw rangeError(fn, 'options.damp', damp, 'a number >= 0');
  const resolveStart = o.resolveStart ?? true;
  if (typeof resolveStart !== 'boolean') throw typeError(fn, 'options.resolveStart', resolveStart, 'a boolean');
  return {
    start,
    solver: checkChoice(fn, 'options.solver', o.solver, ['auto', 'cholesky', 'cg'] as const, 'auto'),
    iterations: checkInt(fn, 'options.iterations', o.iterations ?? 3, 0),
    eta,
    damp,
    resolveStart,
    cg: {
      tolerance: o.tolerance === undefined ? undefined : positive(fn, 'options.tolerance', o.tolerance),
      maxIterations: o.maxSolverIterations === undefined ? undefined : checkInt(fn, 'options.maxSolverIterations', o.maxSolverIterations, 0),
    },
  };
}

function positive(fn: string, arg: string, x: unknown): number {
  const v = checkFinite(fn, arg, x);
  if (!(v > 0)) throw rangeError(fn, arg, v, 'a positive number');
  return v;
}
