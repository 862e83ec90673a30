// recover(): k-IHT, Top-k I-OBS and I-OBS with the OBS projection on a RecoveryProblem
// (ALGORITHMS.md §1). Each iteration is a handful of kernel calls (gemm/trsv for the gradient
// and the Newton direction, topk or obsGreedy/selectMask + solveOnSupport for the projection);
// the loop itself only moves length-d vectors.
import type { DType } from '../core/dtype.js';
import { checkFinite, checkInt, rangeError, typeError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { checkChoice, checkOptions } from '../linalg/checks.js';
import type { Linalg } from '../linalg/linalg.js';
import type { RecoveryProblem } from './problem.js';

/** The three methods of the paper. */
export type RecoveryMethod = 'kiht' | 'topk-iobs' | 'iobs';

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
  /** Stop when ‖θ_{t+1} − θ_t‖ ≤ tol·‖θ_t‖ (default 0: run every step). */
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
  /** Called after every iteration t = 1, 2, … with the new iterate (a copy); return false to stop. */
  onIteration?: (t: number, x: Float64Array) => boolean | void;
}

/** What recover() returns. */
export interface RecoverResult {
  /** The last iterate; at most k nonzeros. */
  x: Float64Array;
  /** Iterations done. */
  iterations: number;
  /** True when the tolerance test ‖θ_{t+1} − θ_t‖ ≤ tol·‖θ_t‖ held at the last iteration. */
  converged: boolean;
  /** The problem's damping (see RecoveryProblem.dampUsed), or null. */
  dampUsed: number | null;
  /** The step size used. */
  eta: number;
  /** Wall time of the whole call. */
  seconds: number;
  /**
   * Per iteration t = 1…iterations: f(θ_t); the step length ‖θ_t − θ_{t−1}‖; and how many indices
   * entered the support (nonzeros of θ_t that were zero in θ_{t−1}).
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

/**
 * Minimises the problem's f over θ with at most k nonzeros by k-IHT, Top-k I-OBS or I-OBS.
 * Every iterate has ≤ k nonzeros; a non-finite iterate is an error naming the step that diverged.
 * @example
 * const la = await init();
 * const A = la.fromArray([1, 0, 0, 1, 1, 1], 3, 2, 'float64');
 * const y = la.fromArray([1, 2, 3], 3, 1, 'float64');
 * const { x } = recover(la, leastSquares(la, A, y), { k: 1, method: 'iobs' });   // x ≈ [0, 2.5]
 */
export function recover<D extends DType>(la: Linalg, problem: RecoveryProblem<D>, options: RecoverOptions): RecoverResult {
  const start = now();
  checkProblem(problem);
  const o = checkRecoverOptions(options, problem);
  const d = problem.d;
  const eta = o.eta ?? (o.method === 'kiht' ? 1 / problem.lipschitz() : 1);
  if (!(eta > 0) || !Number.isFinite(eta)) {
    throw rangeError('recover', 'problem', `λ_max(H) = ${1 / eta}`, 'a Hessian with a positive finite λ_max (or give options.eta)');
  }
  const scale = o.paper ? 2 / (problem.samples as number) : 1;
  const project = makeProjection(la, problem, o);
  const history: RecoverResult['history'] = { objective: [], stepSize: [], supportChanges: [] };
  let x = o.x0, t = 0, converged = false;
  try {
    while (t < o.steps) {
      const g = problem.gradient(x);
      for (let i = 0; i < d; i++) g[i] *= scale;
      diverged(o, eta, 'gradient', g, t + 1);
      const dir = o.method === 'kiht' ? g : problem.newtonDirection(g);
      const u = new Float64Array(d);
      for (let i = 0; i < d; i++) u[i] = x[i] - eta * dir[i];
      diverged(o, eta, 'step θ − η·direction', u, t + 1);
      const next = project(u);
      diverged(o, eta, 'iterate', next, t + 1);
      t++;
      const step = distance(next, x);
      converged = step <= o.tol * norm(x);
      record(history, problem.objective(next), step, entered(x, next));
      diverged(o, eta, 'objective', [history.objective[t - 1]], t);
      x = next;
      if (o.onIteration && o.onIteration(t, Float64Array.from(x)) === false) break;
      if (o.tol > 0 && converged) break;
    }
  } finally {
    project.free();
  }
  return { x, iterations: t, converged, dampUsed: problem.dampUsed, eta, seconds: (now() - start) / 1000, history };
}

/** A projection u ↦ θ with ≤ k nonzeros, holding its scratch matrices until free(). */
type Projection = ((u: Float64Array) => Float64Array) & { free(): void };

function makeProjection<D extends DType>(la: Linalg, problem: RecoveryProblem<D>, o: Checked): Projection {
  const d = problem.d, dtype = problem.dtype, be = la.backend;
  const row = la.matrix(1, d, dtype);
  const scratch: Matrix[] = [row];
  const free = () => scratch.forEach((M) => M.free());
  let f: (u: Float64Array) => Float64Array;
  if (o.method !== 'iobs') {
    const idx = new Int32Array(o.k);
    f = (u) => {
      row.assign(u);
      be.topk(row, o.k, false, idx);
      const out = new Float64Array(d);
      for (const i of idx) out[i] = u[i];
      return out;
    };
  } else {
    const mask = new Uint8Array(d), rhs = la.matrix(1, d, dtype), sol = la.matrix(1, d, dtype);
    scratch.push(rhs, sol);
    const select = o.selection === 'greedy' ? greedySelection(la, problem, o.k, row, mask) : oneshotSelection(la, problem, o.k, row, mask, scratch);
    f = (u) => {
      row.assign(u);
      select();
      rhs.assign(problem.hessianTimes(u));
      const bad = be.solveOnSupport(problem.hessian(), rhs, mask, sol);
      if (bad >= 0) throw rangeError('recover', 'problem', 'a Hessian whose restriction to the chosen support has no Cholesky factor', 'a positive definite (damped) Hessian');
      const out = Float64Array.from(sol.toArray());
      for (let i = 0; i < d; i++) if (!mask[i]) out[i] = 0;
      return out;
    };
  }
  return Object.assign(f, { free });
}

/** Greedy OBS: removes d − k entries of `row` one at a time with downdates of H⁻¹; writes mask. */
function greedySelection(la: Linalg, problem: RecoveryProblem, k: number, row: Matrix, mask: Uint8Array): () => void {
  const Hinv = problem.inverseHessian();
  const counts = Int32Array.of(problem.d - k);
  return () => {
    if (la.backend.obsGreedy(row, Hinv, counts, 0, 0, mask, null, 0) >= 0) {
      throw rangeError('recover', 'problem', 'an inverse Hessian with a non-positive pivot during greedy OBS', 'a positive definite (damped) Hessian');
    }
  };
}

/** One-shot OBS: keeps the k largest u_i² / [H⁻¹]_ii; writes mask. */
function oneshotSelection(la: Linalg, problem: RecoveryProblem, k: number, row: Matrix, mask: Uint8Array, scratch: Matrix[]): () => void {
  const Hinv = problem.inverseHessian();
  const weight = la.matrix(1, problem.d, problem.dtype);
  scratch.push(weight);
  for (let j = 0; j < problem.d; j++) weight.set(0, j, 1 / Hinv.get(j, j));
  return () => la.backend.selectMask(row, weight, { kind: 'row', keep: k }, mask);
}

/** Throws when v holds a non-finite value, naming what diverged, where and the step size. */
function diverged(o: Checked, eta: number, what: string, v: ArrayLike<number>, t: number): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw rangeError('recover', 'options.eta', eta, `a step size under which ${o.method} does not diverge: the ${what} became ${v[i]} (index ${i}) at iteration ${t}; lower eta`);
    }
  }
}

function record(h: RecoverResult['history'], objective: number, step: number, changes: number): void {
  h.objective.push(objective);
  h.stepSize.push(step);
  h.supportChanges.push(changes);
}

/** Nonzeros of b that are zero in a. */
function entered(a: Float64Array, b: Float64Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) if (b[i] !== 0 && a[i] === 0) c++;
  return c;
}

function norm(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}

function checkProblem(problem: unknown): void {
  const p = problem as RecoveryProblem;
  const ok = typeof p === 'object' && p !== null && Number.isInteger(p.d) && p.d > 0 &&
    ['objective', 'gradient', 'hessianTimes', 'newtonDirection', 'lipschitz', 'hessian', 'inverseHessian'].every((m) => typeof (p as unknown as Record<string, unknown>)[m] === 'function');
  if (!ok) throw typeError('recover', 'problem', problem, 'a RecoveryProblem (from leastSquares, hessianProblem, hvpProblem or fisherProblem)');
}

function checkRecoverOptions(options: unknown, problem: RecoveryProblem): Checked {
  const fn = 'recover';
  if (options === undefined) throw typeError(fn, 'options', options, "an object such as { k: 10, method: 'iobs' }");
  const o = checkOptions<RecoverOptions>(fn, options);
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
