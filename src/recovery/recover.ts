// recover(): k-IHT, Top-k I-OBS and I-OBS with the OBS projection on a RecoveryProblem
// (ALGORITHMS.md §1). θ, the gradient, the Newton direction, u and the projection stay in backend
// vectors; each iteration is a handful of kernel calls (gemm/trsv for the gradient and the Newton
// direction, selectMask or obsGreedy + solveOnSupport for the projection, axpby/dot/mask kernels
// for the history), and the host reads only numbers: a norm, a count, the objective.
import type { DType } from '../core/dtype.js';
import { checkFinite, checkInt, checkKnownKeys, computationError, rangeError, typeError } from '../core/errors.js';
import type { Mask, Matrix } from '../core/matrix.js';
import { checkChoice, checkOptions } from '../linalg/checks.js';
import type { Linalg } from '../linalg/linalg.js';
import { Scope } from '../linalg/scope.js';
import type { RecoveryProblem } from './problem.js';
import { asRow, firstBad, hostVector, norm, unitScale } from './vectors.js';

/** The three methods of the paper. */
export type RecoveryMethod = 'kiht' | 'topk-iobs' | 'iobs';

/**
 * Why a run ended: 'converged' (the stationarity test held, see RecoverResult.converged),
 * 'stalled' (the iterate stopped moving — θ_t = θ_{t−1} exactly, so every later iterate is the
 * same — without being stationary; only tested when tol > 0), 'callback' (onIteration returned
 * false) or 'steps' (options.steps iterations were done).
 */
export type StopReason = 'converged' | 'steps' | 'stalled' | 'callback';

/** Options of recover(). */
export interface RecoverOptions {
  /** Most nonzeros of every iterate, 1 ≤ k ≤ d. */
  k: number;
  /** k-IHT θ ← T_k(θ − η∇f); Top-k I-OBS θ ← T_k(θ − ηH⁻¹∇f); I-OBS: OBS support of u = θ − ηH⁻¹∇f, then the exact minimiser on it. */
  method: RecoveryMethod;
  /** Most iterations (default 100). */
  steps?: number;
  /** Step size: k-IHT default 1/L with L = λ_max(H) by power iteration; I-OBS methods default 1 (a full Newton step). */
  eta?: number;
  /** Tolerance of the stopping test (see RecoverResult.converged); default 0: run every step, no test. */
  tol?: number;
  /** I-OBS support choice: 'greedy' OBS removal with downdates of H⁻¹ (default), or 'oneshot' by u_i²/[H⁻¹]_ii. */
  selection?: 'greedy' | 'oneshot';
  /**
   * 'exact' (default): ∇f as the problem gives it. 'paper': ∇f·2/n, the gradient of the
   * mean-reduced MSE (1/n)‖Aθ − y‖² that the I-OBS authors' synthetic code differentiates while
   * keeping H = AᵀA, so the "Newton" step is scaled by 2/n (leastSquares problems only).
   */
  gradientScale?: 'exact' | 'paper';
  /** Start (default zeros). */
  x0?: ArrayLike<number>;
  /**
   * Called after every iteration t = 1, 2, … with the new iterate (read from the backend: a copy,
   * d values; without a callback nothing is read); return false to stop.
   */
  onIteration?: (t: number, x: Float64Array) => boolean | void;
}

const RECOVER_KEYS = ['k', 'method', 'steps', 'eta', 'tol', 'selection', 'gradientScale', 'x0', 'onIteration'] as const;

/** What recover() returns. */
export interface RecoverResult {
  /** The last iterate (read from the backend once, at the end); at most k nonzeros. */
  x: Float64Array;
  /** Iterations done. */
  iterations: number;
  /**
   * True when the last iterate θ_t passed the stationarity test, which runs only when tol > 0:
   * (1) it stopped moving, ‖θ_t − θ_{t−1}‖ ≤ tol·‖θ_{t−1}‖, and (2) it is stationary on its
   * support S (the k indices the projection kept): ‖∇f(θ_t) restricted to S‖ ≤ tol·‖∇f(θ_0)‖,
   * so no change of the kept entries lowers f to first order. The step test alone is not enough:
   * a step size so small that nothing moves passes it anywhere; such a run ends with converged
   * false and stopReason 'stalled' (an exact fixed point) or 'steps'. A tol below the rounding
   * level of the problem's dtype may never pass (2).
   */
  converged: boolean;
  /** Why the run ended (see StopReason). */
  stopReason: StopReason;
  /** The problem's damping (see RecoveryProblem.dampUsed), or null. */
  dampUsed: number | null;
  /** The step size used. */
  eta: number;
  /** Wall time of the whole call. */
  seconds: number;
  /**
   * Per iteration t = 1…iterations: f(θ_t); the step length ‖θ_t − θ_{t−1}‖; and how many indices
   * entered the support (kept by the projection at t, not kept at t − 1; at t = 1, not nonzero in x0).
   */
  history: { objective: number[]; stepSize: number[]; supportChanges: number[] };
}

interface Checked {
  k: number;
  method: RecoveryMethod;
  steps: number;
  eta: number | undefined;
  tol: number;
  selection: 'greedy' | 'oneshot';
  paper: boolean;
  x0: Float64Array;
  onIteration: RecoverOptions['onIteration'];
}

/** The backend vectors of one run: d x 1 columns of the problem's dtype, 1 x d masks. */
interface Vectors {
  theta: Matrix;
  next: Matrix;
  g: Matrix;
  dir: Matrix;
  u: Matrix;
  work: Matrix;
  spare: Matrix;
  /** The support of theta (1 = kept), and the one the projection is writing. */
  mask: Mask;
  nextMask: Mask;
  count: Matrix<'int32'>;
}

/**
 * Minimises the problem's f over θ with at most k nonzeros by k-IHT, Top-k I-OBS or I-OBS.
 * Every iterate has ≤ k nonzeros; a non-finite iterate is a ComputationError naming options.eta
 * and the step that diverged. Temporaries are freed when it settles, also when it throws.
 * @example
 * const la = await init();
 * const A = la.fromArray([1, 0, 0, 1, 1, 1], 3, 2, 'float64');
 * const y = la.fromArray([1, 2, 3], 3, 1, 'float64');
 * const problem = await leastSquares(la, A, y);
 * const { x, stopReason } = await recover(la, problem, { k: 1, method: 'iobs', tol: 1e-12 });   // x ≈ [0, 2.5], 'converged'
 * problem.free();
 */
export async function recover<D extends DType>(la: Linalg, problem: RecoveryProblem<D>, options: RecoverOptions): Promise<RecoverResult> {
  const start = now();
  checkProblem(problem);
  const o = checkRecoverOptions(options, problem);
  const scope = new Scope();
  try {
    const eta = o.eta ?? (o.method === 'kiht' ? 1 / (await problem.lipschitz()) : 1);
    if (!(eta > 0) || !Number.isFinite(eta)) {
      throw rangeError('recover', 'problem', `λ_max(H) = ${1 / eta}`, 'a Hessian with a positive finite λ_max (or give options.eta)');
    }
    // The 'paper' scale multiplies ∇f before it is used (the test of stationarity sees it unscaled).
    const gradientFactor = o.paper ? 2 / (problem.samples as number) : 1;
    const v = vectors(la, scope, problem.d, problem.dtype);
    const project = await projection(la, scope, problem, o);
    la.write(v.theta, o.x0);
    la.write(v.mask, Uint8Array.from(o.x0, (x) => (x !== 0 ? 1 : 0)));
    let keptBefore = await keptCount(la, v.mask, v.count);
    await problem.gradient(v.theta as Matrix<D>, v.g as Matrix<D>);
    const gradientScale = await startGradientNorm(la, v);
    let thetaNorm = o.tol > 0 ? await norm(la, v.theta, v.work) : 0;
    const history: RecoverResult['history'] = { objective: [], stepSize: [], supportChanges: [] };
    let t = 0, converged = false, stopReason: StopReason = 'steps';
    while (t < o.steps) {
      if (gradientFactor !== 1) await la.axpby(gradientFactor, v.g, 0, v.g);
      if (o.method !== 'kiht') await problem.newtonDirection(v.g as Matrix<D>, v.dir as Matrix<D>);
      await la.copy(v.theta, v.u);
      await la.axpby(-eta, o.method === 'kiht' ? v.g : v.dir, 1, v.u);
      await checkStep(la, o, eta, v, t + 1);
      await project(v.u, v.next, v.nextMask);
      t++;
      const step = await stepLength(la, o, eta, v, t);
      const support = await supportChange(la, v, keptBefore);
      const objective = await problem.evaluate(v.next as Matrix<D>, t < o.steps || o.tol > 0 ? (v.g as Matrix<D>) : null);
      if (!Number.isFinite(objective)) throw diverged(o.method, eta, 'objective', objective, 0, t);
      record(history, objective, step, support.entered);
      keptBefore = support.kept;
      [v.theta, v.next] = [v.next, v.theta];
      [v.mask, v.nextMask] = [v.nextMask, v.mask];
      let verdict: 'converged' | 'stalled' | null = null;
      if (o.tol > 0) {
        verdict = await stoppingTest(la, v, step, thetaNorm, gradientScale, o.tol);
        thetaNorm = await norm(la, v.theta, v.work);
      }
      converged = verdict === 'converged';
      const stop = o.onIteration ? o.onIteration(t, await hostVector(la, v.theta)) === false : false;
      if (verdict !== null || stop) {
        stopReason = verdict ?? 'callback';
        break;
      }
    }
    const x = await hostVector(la, v.theta);
    return { x, iterations: t, converged, stopReason, dampUsed: problem.dampUsed, eta, seconds: (now() - start) / 1000, history };
  } finally {
    scope.free();
  }
}

function vectors(la: Linalg, scope: Scope, d: number, dtype: DType): Vectors {
  const column = () => scope.track(la.matrix(d, 1, dtype));
  return {
    theta: column(), next: column(), g: column(), dir: column(), u: column(), work: column(), spare: column(),
    mask: scope.track(la.mask(1, d)), nextMask: scope.track(la.mask(1, d)), count: scope.track(la.matrix(1, 1, 'int32')),
  };
}

/** A projection u ↦ (next with ≤ k nonzeros, the keep-mask of its support); u is not changed. */
type Projection = (u: Matrix, next: Matrix, mask: Mask) => Promise<void>;

async function projection<D extends DType>(la: Linalg, scope: Scope, problem: RecoveryProblem<D>, o: Checked): Promise<Projection> {
  const d = problem.d;
  // u scaled by a power of two (unitScale) for the selections: the same order, squares in range.
  const scaled = scope.track(la.matrix(d, 1, problem.dtype));
  const scale = async (u: Matrix): Promise<Matrix> => {
    const s = await unitScale(la, u);
    if (s === 1) return u;
    await la.axpby(s, u, 0, scaled);
    return scaled;
  };
  if (o.method !== 'iobs') return hardThreshold(la, o.k, scale);
  const H = await problem.hessian(), Hinv = await problem.inverseHessian();
  const rhs = scope.track(la.matrix(d, 1, problem.dtype));
  const select = o.selection === 'greedy' ? greedySelection(la, scope, Hinv, d, o.k) : await oneshotSelection(la, scope, Hinv, d, o.k);
  return async (u, next, mask) => {
    await problem.hessianTimes(u as Matrix<D>, rhs);
    await select(await scale(u), mask);
    // The exact minimiser of the quadratic model on the support: H[S,S] θ_S = (H u)_S.
    const bad = await la.solveOnSupport(H, asRow(rhs), mask, asRow(next));
    if (bad >= 0) throw computationError('recover', 'problem', 'a Hessian whose restriction to the chosen support has no Cholesky factor', 'the I-OBS re-solve failed; raise the damping');
  };
}

/** T_k: keeps the k largest |u_i| (ties to the smaller index, as topk): one selectMask and one applyMask. */
function hardThreshold(la: Linalg, k: number, scale: (u: Matrix) => Promise<Matrix>): Projection {
  return async (u, next, mask) => {
    await la.selectMask(asRow(await scale(u)), null, { kind: 'row', keep: k }, mask);
    await la.copy(u, next);
    await la.applyMask(asRow(next), mask);
  };
}

/** Greedy OBS: removes d − k entries of (a copy of) u one at a time with downdates of H⁻¹; writes mask. */
function greedySelection(la: Linalg, scope: Scope, Hinv: Matrix, d: number, k: number): (u: Matrix, mask: Mask) => Promise<void> {
  const prune = scope.track(la.matrix(1, 1, 'int32'));
  la.write(prune, [d - k]);
  const w = scope.track(la.matrix(d, 1, Hinv.dtype));
  return async (u, mask) => {
    await la.copy(u, w);
    if ((await la.obsGreedy(asRow(w), Hinv, prune, mask)) >= 0) {
      throw computationError('recover', 'problem', 'an inverse Hessian with a non-positive pivot during greedy OBS', 'greedy OBS failed; raise the damping');
    }
  };
}

/** One-shot OBS: keeps the k largest u_i² / [H⁻¹]_ii; writes mask. */
async function oneshotSelection(la: Linalg, scope: Scope, Hinv: Matrix, d: number, k: number): Promise<(u: Matrix, mask: Mask) => Promise<void>> {
  const weight = scope.track(la.matrix(1, d, Hinv.dtype));
  await la.diagonal(Hinv, weight, 'reciprocal');
  return (u, mask) => la.selectMask(asRow(u), weight, { kind: 'row', keep: k }, mask);
}

/** ‖∇f(θ_0)‖, the scale of the stationarity test; a non-finite gradient at the start is an error. */
async function startGradientNorm(la: Linalg, v: Vectors): Promise<number> {
  const bad = await firstBad(la, v.g);
  if (bad) {
    throw computationError('recover', 'problem', `∇f(x0)[${bad[0]}] = ${bad[2]}`, 'the gradient at the start is not finite: the problem overflows its dtype (scale it down, or use float64)');
  }
  return norm(la, v.g, v.work);
}

/** Throws, naming what diverged first (gradient, Newton direction, or the step itself), when u is not finite. */
async function checkStep(la: Linalg, o: Checked, eta: number, v: Vectors, t: number): Promise<void> {
  if ((await la.firstNonFinite(v.u)) === null) return;
  const suspects: [string, Matrix][] = [['gradient', v.g], ...(o.method === 'kiht' ? [] : [['Newton direction', v.dir] as [string, Matrix]]), ['step θ − η·direction', v.u]];
  for (const [what, M] of suspects) {
    const bad = await firstBad(la, M);
    if (bad) throw diverged(o.method, eta, what, bad[2], bad[0], t);
  }
}

/** ‖θ_t − θ_{t−1}‖ by axpby into a scratch vector and a norm; a non-finite iterate is divergence. */
async function stepLength(la: Linalg, o: Checked, eta: number, v: Vectors, t: number): Promise<number> {
  await la.copy(v.next, v.work);
  await la.axpby(-1, v.theta, 1, v.work);
  const step = await norm(la, v.work, v.spare);
  if (Number.isFinite(step)) return step;
  const bad = await firstBad(la, v.next);
  throw diverged(o.method, eta, 'iterate', bad ? bad[2] : step, bad ? bad[0] : 0, t);
}

/** Kept entries of a 1 x d mask: maskCounts with one group of d columns resolves to its count. */
function keptCount(la: Linalg, mask: Mask, count: Matrix<'int32'>): Promise<number> {
  return la.maskCounts(mask, mask.cols, count);
}

/**
 * Indices that entered the support and the new support's size: with D = |new Δ old| positions
 * that differ, entered − left = kept_new − kept_old and entered + left = D, so
 * entered = (D + kept_new − kept_old) / 2.
 */
async function supportChange(la: Linalg, v: Vectors, keptBefore: number): Promise<{ entered: number; kept: number }> {
  const differ = await la.maskDifference(v.nextMask, v.mask);
  const kept = await keptCount(la, v.nextMask, v.count);
  return { entered: (differ + kept - keptBefore) / 2, kept };
}

/**
 * The stopping test at θ_t (v.theta, its mask v.mask, v.g = ∇f(θ_t)): 'converged' when it stopped
 * moving and is stationary on its support, 'stalled' when θ_t = θ_{t−1} exactly without being
 * stationary (a fixed point of the iteration: nothing will move again), else null.
 */
async function stoppingTest(la: Linalg, v: Vectors, step: number, thetaNorm: number, gradientScale: number, tol: number): Promise<'converged' | 'stalled' | null> {
  if (!(step <= tol * thetaNorm)) return null;
  await la.copy(v.g, v.work);
  await la.applyMask(asRow(v.work), v.mask);
  const onSupport = await norm(la, v.work, v.spare);
  if (onSupport <= tol * gradientScale) return 'converged';
  return step === 0 ? 'stalled' : null;
}

/** The divergence error: the input was valid, the step size made the iteration blow up. */
function diverged(method: RecoveryMethod, eta: number, what: string, value: number, index: number, t: number) {
  return computationError('recover', 'options.eta', eta,
    `the step size in argument options.eta makes ${method} diverge: the ${what} became ${value} (index ${index}) at iteration ${t}; lower it`);
}

function record(h: RecoverResult['history'], objective: number, step: number, changes: number): void {
  h.objective.push(objective);
  h.stepSize.push(step);
  h.supportChanges.push(changes);
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

const PROBLEM_METHODS = ['evaluate', 'gradient', 'hessianTimes', 'newtonDirection', 'lipschitz', 'hessian', 'inverseHessian', 'free'];

function checkProblem(problem: unknown): void {
  const p = problem as RecoveryProblem;
  const ok = typeof p === 'object' && p !== null && Number.isInteger(p.d) && p.d > 0 && (p.dtype === 'float32' || p.dtype === 'float64') &&
    PROBLEM_METHODS.every((m) => typeof (p as unknown as Record<string, unknown>)[m] === 'function');
  if (!ok) throw typeError('recover', 'problem', problem, 'a RecoveryProblem (from leastSquares, hessianProblem, hvpProblem or fisherProblem)');
}

function checkRecoverOptions(options: unknown, problem: RecoveryProblem): Checked {
  const fn = 'recover';
  if (options === undefined) throw typeError(fn, 'options', options, "an object such as { k: 10, method: 'iobs' }");
  const o = checkOptions<RecoverOptions>(fn, options);
  checkKnownKeys(fn, 'options', o, RECOVER_KEYS);
  const d = problem.d;
  const k = checkInt(fn, 'options.k', o.k, 1, d);
  if (o.method === undefined) throw typeError(fn, 'options.method', o.method, "'kiht', 'topk-iobs' or 'iobs'");
  const method = checkChoice(fn, 'options.method', o.method, ['kiht', 'topk-iobs', 'iobs'] as const, 'kiht');
  const steps = o.steps === undefined ? 100 : checkInt(fn, 'options.steps', o.steps, 0);
  let eta: number | undefined;
  if (o.eta !== undefined) {
    eta = checkFinite(fn, 'options.eta', o.eta);
    if (!(eta > 0)) throw rangeError(fn, 'options.eta', eta, 'a finite number > 0');
  }
  const tol = o.tol === undefined ? 0 : checkFinite(fn, 'options.tol', o.tol);
  if (tol < 0) throw rangeError(fn, 'options.tol', tol, 'a finite number ≥ 0');
  const selection = checkChoice(fn, 'options.selection', o.selection, ['greedy', 'oneshot'] as const, 'greedy');
  const scale = checkChoice(fn, 'options.gradientScale', o.gradientScale, ['exact', 'paper'] as const, 'exact');
  if (scale === 'paper' && !(typeof problem.samples === 'number' && problem.samples > 0)) {
    throw rangeError(fn, 'options.gradientScale', scale, "'exact' for this problem ('paper' scales by 2/n and needs a leastSquares problem with n rows)");
  }
  if (o.onIteration !== undefined && typeof o.onIteration !== 'function') throw typeError(fn, 'options.onIteration', o.onIteration, 'a function (t, x) => boolean | void');
  return { k, method, steps, eta, tol, selection, paper: scale === 'paper', x0: checkStart(fn, o.x0, d), onIteration: o.onIteration };
}

function checkStart(fn: string, x0: unknown, d: number): Float64Array {
  if (x0 === undefined) return new Float64Array(d);
  const a = x0 as ArrayLike<number>;
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') throw typeError(fn, 'options.x0', x0, `an array of ${d} numbers`);
  if (a.length !== d) throw rangeError(fn, 'options.x0', `length ${a.length}`, `length d = ${d}`);
  const x = Float64Array.from(a);
  for (let i = 0; i < d; i++) if (!Number.isFinite(x[i])) throw rangeError(fn, 'options.x0', `${a[i]} at index ${i}`, 'finite numbers');
  return x;
}
