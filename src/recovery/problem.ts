// Recovery problems: min f(θ) subject to ‖θ‖₀ ≤ k for least squares and for a general smooth f
// whose caller supplies ∇f and second-order information as a Hessian, a Hessian-vector product,
// or per-sample gradients (empirical Fisher). Each constructor validates its input and returns a
// RecoveryProblem, which is what recover() iterates on (ALGORITHMS.md §1).
import type { DType } from '../core/dtype.js';
import { checkFinite, checkInt, rangeError, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { checkOptions } from '../linalg/checks.js';
import type { Linalg } from '../linalg/linalg.js';
import { DenseCurvature, type DampPolicy } from './curvature.js';

/** Which constructor made a problem. */
export type ProblemKind = 'least-squares' | 'hessian' | 'hvp' | 'fisher';

/**
 * A smooth objective over θ ∈ ℝ^d with the second-order information the recovery methods use.
 * Vectors are Float64Array of length d. The problem owns backend memory: free() releases it.
 */
export interface RecoveryProblem<D extends DType = DType> {
  readonly kind: ProblemKind;
  /** Number of unknowns. */
  readonly d: number;
  /** The dtype the kernels run in (that of A, of the Hessian, or of the per-sample gradients). */
  readonly dtype: D;
  /**
   * The damping λ in use, or null when H is used as given: relative (H + λ·mean(diag H)·I) for
   * leastSquares and hessianProblem, absolute (H + λI) for hvpProblem and fisherProblem.
   */
  readonly dampUsed: number | null;
  /** The number of rows n of A (leastSquares only; gradientScale 'paper' needs it), else null. */
  readonly samples: number | null;
  /** f(θ). */
  objective(theta: Float64Array): number;
  /** ∇f(θ). */
  gradient(theta: Float64Array): Float64Array;
  /** H v with the (damped) Hessian of the Newton steps. */
  hessianTimes(v: Float64Array): Float64Array;
  /** H⁻¹ g with the (damped) Hessian. */
  newtonDirection(g: Float64Array): Float64Array;
  /** λ_max of the Hessian (the Lipschitz constant of ∇f for a quadratic), for the k-IHT step 1/L. */
  lipschitz(): number;
  /** The dense (damped) Hessian, d x d, owned by the problem (formed on first use for hvpProblem). */
  hessian(): Matrix<D>;
  /** Its inverse, d x d symmetric, owned by the problem (formed on first use). */
  inverseHessian(): Matrix<D>;
  /** Releases the backend memory the problem holds. */
  free(): void;
}

/** Options of leastSquares. */
export interface LeastSquaresOptions {
  /**
   * Relative damping λ: H = AᵀA + λ·mean(diag AᵀA)·I. Left out, H is damped only when AᵀA is
   * singular (fewer rows than columns, a zero column, or rank-deficient to working precision),
   * starting at λ = 0.01 and ×10 until it factors; the result reports dampUsed.
   */
  damp?: number;
}

/** The caller's objective pieces shared by the general problems. */
export interface SmoothSpec {
  /** Number of unknowns. */
  d: number;
  /** ∇f(θ), a length-d array. */
  gradient: (theta: Float64Array) => ArrayLike<number>;
  /**
   * f(θ). Left out, the objective reported is the quadratic model ∇f(0)ᵀθ + ½θᵀHθ,
   * i.e. f(θ) − f(0) exactly when f is quadratic with Hessian H.
   */
  objective?: (theta: Float64Array) => number;
}

/** hessianProblem's input: the Hessian as a d x d symmetric matrix. */
export interface HessianSpec<D extends DType> extends SmoothSpec {
  hessian: Matrix<D>;
  /** Relative damping as leastSquares' (left out: only when H is singular). */
  damp?: number;
}

/** hvpProblem's input: H v as a function; H⁻¹ g is found by conjugate gradients. */
export interface HvpSpec extends SmoothSpec {
  /** H v for a length-d v (H symmetric positive semidefinite). */
  hvp: (v: Float64Array) => ArrayLike<number>;
  /** Absolute damping: the model Hessian is H + damp·I (default 0). */
  damp?: number;
  /** CG stops when ‖r‖ ≤ cgTolerance·‖g‖ (default 1e-12). */
  cgTolerance?: number;
  /** Most CG iterations per solve (default 2d). */
  cgIterations?: number;
  /** dtype of the dense H formed from d products when I-OBS needs it (default 'float64'). */
  dtype?: DType;
}

/** fisherProblem's input: H = (1/m) GᵀG + damp·I from per-sample gradients G (m x d). */
export interface FisherSpec<D extends DType> extends SmoothSpec {
  sampleGradients: Matrix<D>;
  /** Absolute damping λ ≥ 0 (required; the Fisher of m < d samples is singular). */
  damp: number;
}

/**
 * Least squares f(θ) = ½‖Aθ − y‖²: ∇f = Aᵀ(Aθ − y) (two gemm), H = AᵀA (one syrk, damped only
 * when singular unless options.damp is given). A and y are copied; dtype follows A.
 * @example
 * const A = la.fromArray([1, 0, 0, 1, 1, 1], 3, 2, 'float64');
 * const y = la.fromArray([1, 2, 3], 3, 1, 'float64');
 * const problem = leastSquares(la, A, y);
 * recover(la, problem, { k: 1, method: 'iobs' }).x;   // ≈ [0, 2.5]
 */
export function leastSquares<D extends DType>(la: Linalg, A: Matrix<D>, y: Matrix, options?: LeastSquaresOptions): RecoveryProblem<D> {
  const fn = 'leastSquares';
  const o = checkOptions<LeastSquaresOptions>(fn, options);
  const a = checkLive<D>(fn, 'A', A);
  const yv = checkVectorMatrix(fn, 'y', y, a.rows);
  checkAllFinite(fn, 'A', a);
  checkAllFinite(fn, 'y', yv);
  const damp = o.damp === undefined ? undefined : checkDamp(fn, o.damp);
  const n = a.rows, d = a.cols;
  if (d === 0) throw rangeError(fn, 'A', a, 'a matrix with at least one column');
  const Ac = la.copy(a);
  const H = la.matrix(d, d, a.dtype);
  la.backend.syrk(true, 1, Ac, 0, H);
  const policy: DampPolicy = damp === undefined ? { kind: 'auto', force: n < d } : { kind: 'relative', lambda: damp };
  let model: DenseCurvature<D>;
  try {
    model = new DenseCurvature(la, H, policy, fn, 'A', 'options.damp');
  } catch (e) {
    Ac.free();
    H.free();
    throw e;
  }
  const target = Float64Array.from(yv.toArray());
  const theta = la.matrix(d, 1, a.dtype), resid = la.matrix(n, 1, a.dtype), grad = la.matrix(d, 1, a.dtype);
  // The last θ and its residual: recover() asks for f(θ_t) and then ∇f(θ_t), one product saved.
  let lastTheta: Float64Array | null = null, lastResidual: Float64Array | null = null;
  const residual = (t: Float64Array): Float64Array => {
    if (lastTheta !== null && lastResidual !== null && sameValues(lastTheta, t)) return lastResidual;
    lastTheta = Float64Array.from(t);
    lastResidual = product(t);
    return lastResidual;
  };
  const product = (t: Float64Array): Float64Array => {
    theta.assign(t);
    la.backend.gemm(false, false, 1, Ac, theta, 0, resid);
    const r = Float64Array.from(resid.toArray());
    for (let i = 0; i < n; i++) r[i] -= target[i];
    return r;
  };
  return {
    ...denseParts(model, 'least-squares', n),
    objective(t) {
      const r = residual(t);
      let s = 0;
      for (let i = 0; i < n; i++) s += r[i] * r[i];
      return 0.5 * s;
    },
    gradient(t) {
      resid.assign(residual(t));
      la.backend.gemm(true, false, 1, Ac, resid, 0, grad);
      return Float64Array.from(grad.toArray());
    },
    free() {
      for (const M of [Ac, theta, resid, grad]) M.free();
      model.free();
    },
  };
}

/**
 * A smooth f with its Hessian given as a d x d symmetric matrix (copied; dtype follows it).
 * H is damped as in leastSquares. For a quadratic f = ½θᵀHθ − bᵀθ this is exact.
 * @example
 * const H = la.fromArray([2, 0, 0, 1], 2, 2, 'float64');
 * const problem = hessianProblem(la, { d: 2, hessian: H, gradient: (t) => [2 * t[0] - 2, t[1] - 3] });
 */
export function hessianProblem<D extends DType>(la: Linalg, spec: HessianSpec<D>): RecoveryProblem<D> {
  const fn = 'hessianProblem';
  const s = checkSpec<HessianSpec<D>>(fn, spec);
  const Hm = checkLive<D>(fn, 'spec.hessian', s.hessian);
  if (Hm.rows !== s.d || Hm.cols !== s.d) throw rangeError(fn, 'spec.hessian', Hm, `${s.d}x${s.d} (d x d)`);
  checkAllFinite(fn, 'spec.hessian', Hm);
  checkSymmetric(fn, 'spec.hessian', Hm);
  const damp = s.damp === undefined ? undefined : checkDamp(fn, s.damp);
  const H = la.copy(Hm);
  const policy: DampPolicy = damp === undefined ? { kind: 'auto', force: false } : { kind: 'relative', lambda: damp };
  let model: DenseCurvature<D>;
  try {
    model = new DenseCurvature(la, H, policy, fn, 'spec.hessian');
  } catch (e) {
    H.free();
    throw e;
  }
  return withCallerParts(fn, s, denseParts(model, 'hessian', null), () => model.free());
}

/** quadraticProblem is hessianProblem: f given by ∇f and a constant Hessian. */
export const quadraticProblem = hessianProblem;

/**
 * A smooth f with the empirical Fisher H = (1/m) GᵀG + damp·I of m per-sample gradients G
 * (m x d; one syrk; dtype follows G).
 * @example
 * const G = la.fromArray([1, 0, 0, 2, 1, 1], 3, 2, 'float64');
 * const problem = fisherProblem(la, { d: 2, sampleGradients: G, damp: 1e-3, gradient: (t) => [t[0], t[1]] });
 */
export function fisherProblem<D extends DType>(la: Linalg, spec: FisherSpec<D>): RecoveryProblem<D> {
  const fn = 'fisherProblem';
  const s = checkSpec<FisherSpec<D>>(fn, spec);
  const G = checkLive<D>(fn, 'spec.sampleGradients', s.sampleGradients);
  if (G.cols !== s.d || G.rows < 1) throw rangeError(fn, 'spec.sampleGradients', G, `m x ${s.d} with m ≥ 1 (m samples of d = ${s.d} gradients)`);
  checkAllFinite(fn, 'spec.sampleGradients', G);
  if (s.damp === undefined) throw typeError(fn, 'spec.damp', s.damp, 'a number ≥ 0 (the empirical Fisher of m samples has rank ≤ m)');
  const damp = checkDamp(fn, s.damp);
  const Gc = la.copy(G);
  const H = la.matrix(s.d, s.d, G.dtype);
  la.backend.syrk(true, 1 / G.rows, Gc, 0, H);
  Gc.free();
  let model: DenseCurvature<D>;
  try {
    model = new DenseCurvature(la, H, { kind: 'absolute', lambda: damp }, fn, 'spec.sampleGradients');
  } catch (e) {
    H.free();
    throw e;
  }
  return withCallerParts(fn, s, denseParts(model, 'fisher', null), () => model.free());
}

/**
 * A smooth f with Hessian-vector products: Newton directions H⁻¹g by conjugate gradients,
 * λ_max by power iteration on the products; I-OBS (which needs H[S,S] and H⁻¹) forms the dense
 * H from d products on first use.
 * @example
 * const problem = hvpProblem(la, { d: 2, gradient: (t) => [2 * t[0] - 2, t[1] - 3], hvp: (v) => [2 * v[0], v[1]] });
 */
export function hvpProblem(la: Linalg, spec: HvpSpec): RecoveryProblem {
  const fn = 'hvpProblem';
  const s = checkSpec<HvpSpec>(fn, spec);
  if (typeof s.hvp !== 'function') throw typeError(fn, 'spec.hvp', s.hvp, 'a function (v: Float64Array) => H v');
  const damp = s.damp === undefined ? 0 : checkDamp(fn, s.damp);
  const cgTol = s.cgTolerance === undefined ? 1e-12 : checkFinite(fn, 'spec.cgTolerance', s.cgTolerance);
  if (!(cgTol > 0)) throw rangeError(fn, 'spec.cgTolerance', cgTol, 'a number > 0');
  const cgIter = s.cgIterations === undefined ? 2 * s.d : checkInt(fn, 'spec.cgIterations', s.cgIterations, 1);
  const dtype = s.dtype ?? 'float64';
  if (dtype !== 'float32' && dtype !== 'float64') throw typeError(fn, 'spec.dtype', dtype, "'float32' or 'float64'");
  const d = s.d;
  const apply = (v: Float64Array): Float64Array => {
    const hv = callVector(fn, 'spec.hvp', s.hvp, v, d);
    for (let i = 0; i < d; i++) hv[i] += damp * v[i];
    return hv;
  };
  let model: DenseCurvature<DType> | null = null;
  const dense = (): DenseCurvature<DType> => {
    if (model === null) model = new DenseCurvature(la, formHessian(la, apply, d, dtype), { kind: 'relative', lambda: 0 }, fn, 'spec.hvp');
    return model;
  };
  let lmax: number | null = null;
  const base: Omit<RecoveryProblem, 'objective' | 'gradient' | 'free'> = {
    kind: 'hvp', d, dtype, dampUsed: damp === 0 ? null : damp, samples: null,
    hessianTimes: apply,
    newtonDirection: (g) => conjugateGradient(fn, apply, g, cgTol, cgIter),
    lipschitz: () => (lmax ??= powerIteration(apply, d)),
    hessian: () => dense().damped,
    inverseHessian: () => dense().inverse(),
  };
  return withCallerParts(fn, s, base, () => (model as DenseCurvature<DType> | null)?.free());
}

/** The parts of a problem that a DenseCurvature answers. */
function denseParts<D extends DType>(model: DenseCurvature<D>, kind: ProblemKind, samples: number | null): Omit<RecoveryProblem<D>, 'objective' | 'gradient' | 'free'> {
  return {
    kind, d: model.d, dtype: model.H.dtype, dampUsed: model.dampUsed, samples,
    hessianTimes: (v) => model.times(v),
    newtonDirection: (g) => model.solve(g),
    lipschitz: () => model.lambdaMax(),
    hessian: () => model.damped,
    inverseHessian: () => model.inverse(),
  };
}

/** Adds the caller's gradient and objective (or the quadratic model around 0) to a problem. */
function withCallerParts<D extends DType>(
  fn: string, s: SmoothSpec, base: Omit<RecoveryProblem<D>, 'objective' | 'gradient' | 'free'>, release: () => void,
): RecoveryProblem<D> {
  const d = s.d;
  const gradient = (t: Float64Array): Float64Array => callVector(fn, 'spec.gradient', s.gradient, t, d);
  let g0: Float64Array | null = null;
  const model = (t: Float64Array): number => {
    g0 ??= gradient(new Float64Array(d));
    const ht = base.hessianTimes(t);
    let v = 0;
    for (let i = 0; i < d; i++) v += t[i] * (g0[i] + 0.5 * ht[i]);
    return v;
  };
  const objective = s.objective === undefined ? model : (t: Float64Array): number => {
    const v = (s.objective as (t: Float64Array) => number)(t);
    if (typeof v !== 'number' || Number.isNaN(v)) throw rangeError(fn, 'spec.objective', v, 'a function returning a number (it returned this)');
    return v;
  };
  return { ...base, objective, gradient, free: release };
}

/** The d x d matrix [H e_0, …, H e_{d-1}] symmetrised, in dtype. */
function formHessian(la: Linalg, apply: (v: Float64Array) => Float64Array, d: number, dtype: DType): Matrix {
  const cols: Float64Array[] = [];
  const e = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    e[j] = 1;
    cols.push(apply(e));
    e[j] = 0;
  }
  const H = la.matrix(d, d, dtype);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) H.set(i, j, 0.5 * (cols[j][i] + cols[i][j]));
  return H;
}

/** Solves H x = g by conjugate gradients from x = 0; throws when H is not positive definite. */
export function conjugateGradient(fn: string, apply: (v: Float64Array) => Float64Array, g: Float64Array, tol: number, maxIter: number): Float64Array {
  const d = g.length;
  const x = new Float64Array(d), r = Float64Array.from(g), p = Float64Array.from(g);
  let rr = dot(r, r);
  const stop = tol * tol * rr;
  for (let it = 0; it < maxIter && rr > stop; it++) {
    const Ap = apply(p);
    const pAp = dot(p, Ap);
    if (!(pAp > 0)) throw rangeError(fn, 'spec.hvp', `pᵀHp = ${pAp} at CG iteration ${it}`, 'a positive definite H (give damp > 0)');
    const alpha = rr / pAp;
    for (let i = 0; i < d; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * Ap[i];
    }
    const rrNext = dot(r, r);
    const beta = rrNext / rr;
    rr = rrNext;
    for (let i = 0; i < d; i++) p[i] = r[i] + beta * p[i];
  }
  return x;
}

/** λ_max by power iteration on a product (relative change ≤ 1e-8, at most 1000 products). */
function powerIteration(apply: (v: Float64Array) => Float64Array, d: number): number {
  let v: Float64Array = Float64Array.from({ length: d }, (_, i) => 1 + ((i * 7919) % 13) / 13);
  let lambda = 0;
  for (let it = 0; it < 1000; it++) {
    const nv = Math.sqrt(dot(v, v));
    for (let i = 0; i < d; i++) v[i] /= nv;
    const w = apply(v);
    const next = dot(v, w);
    v = w;
    if (Math.abs(next - lambda) <= 1e-8 * Math.abs(next)) return next;
    lambda = next;
  }
  return lambda;
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Calls a caller's vector function and checks it returned d finite numbers. */
function callVector(fn: string, arg: string, f: (v: Float64Array) => ArrayLike<number>, v: Float64Array, d: number): Float64Array {
  const out = f(Float64Array.from(v));
  if (out == null || typeof out.length !== 'number' || out.length !== d) {
    throw rangeError(fn, arg, out, `a function returning ${d} numbers (it returned this)`);
  }
  const r = Float64Array.from(out);
  for (let i = 0; i < d; i++) {
    if (!Number.isFinite(r[i])) throw rangeError(fn, arg, `${r[i]} at index ${i}`, 'a function returning finite numbers');
  }
  return r;
}

function checkSpec<S extends SmoothSpec>(fn: string, spec: unknown): S {
  if (typeof spec !== 'object' || spec === null) throw typeError(fn, 'spec', spec, 'an object { d, gradient, … }');
  const s = spec as S;
  checkInt(fn, 'spec.d', s.d, 1);
  if (typeof s.gradient !== 'function') throw typeError(fn, 'spec.gradient', s.gradient, 'a function (θ: Float64Array) => ∇f(θ)');
  if (s.objective !== undefined && typeof s.objective !== 'function') throw typeError(fn, 'spec.objective', s.objective, 'a function (θ: Float64Array) => f(θ)');
  return s;
}

function checkDamp(fn: string, damp: unknown): number {
  const arg = fn === 'leastSquares' ? 'options.damp' : 'spec.damp';
  const v = checkFinite(fn, arg, damp);
  if (v < 0) throw rangeError(fn, arg, v, 'a finite number ≥ 0');
  return v;
}

function checkLive<D extends DType>(fn: string, arg: string, M: unknown): Matrix<D> {
  if (!(M instanceof Matrix)) throw typeError(fn, arg, M, 'a Matrix');
  if (M.storage.released) throw rangeError(fn, arg, M, 'a matrix that has not been freed');
  return M as Matrix<D>;
}

function checkVectorMatrix(fn: string, arg: string, y: unknown, n: number): Matrix {
  const v = checkLive(fn, arg, y);
  if ((v.cols !== 1 && v.rows !== 1) || v.size !== n) throw rangeError(fn, arg, v, `an ${n} x 1 vector (A has ${n} rows)`);
  return v;
}

function checkAllFinite(fn: string, arg: string, M: Matrix): void {
  const a = M.toArray();
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      const r = Math.floor(i / M.cols), c = i - r * M.cols;
      throw rangeError(fn, arg, `${a[i]} at (${r}, ${c})`, 'a matrix of finite values');
    }
  }
}

function checkSymmetric(fn: string, arg: string, H: Matrix): void {
  for (let i = 0; i < H.rows; i++) {
    for (let j = 0; j < i; j++) {
      const a = H.get(i, j), b = H.get(j, i);
      if (Math.abs(a - b) > 1e-6 * (Math.abs(a) + Math.abs(b)) + 1e-30) {
        throw rangeError(fn, arg, `H[${i}][${j}] = ${a} but H[${j}][${i}] = ${b}`, 'a symmetric matrix');
      }
    }
  }
}
