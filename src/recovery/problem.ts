// Recovery problems: min f(θ) subject to ‖θ‖₀ ≤ k for least squares and for a general smooth f
// whose caller supplies ∇f and second-order information as a Hessian, a Hessian-vector product,
// or per-sample gradients (empirical Fisher). Each constructor validates its input and resolves to
// a RecoveryProblem, which is what recover() iterates on (ALGORITHMS.md §1).
//
// Device neutral: θ and every other vector stay in backend storage (d x 1 columns of the
// problem's dtype) and every operation is a kernel call. The host sees a vector only where a
// caller's function needs one (the general problems' gradient, objective and hvp take
// Float64Array): θ is read (d values) and the answer written back.
import type { DType } from '../core/dtype.js';
import { checkFinite, checkInt, checkKnownKeys, isIobsError, rangeError, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { checkOptions } from '../linalg/checks.js';
import type { Linalg } from '../linalg/linalg.js';
import { Scope } from '../linalg/scope.js';
import { DenseCurvature } from './curvature.js';
import { asColumn, checkColumn, firstBad, hostVector } from './vectors.js';

/** Which constructor made a problem. */
export type ProblemKind = 'least-squares' | 'hessian' | 'hvp' | 'fisher';

/**
 * A smooth objective over θ ∈ ℝ^d with the second-order information the recovery methods use.
 * Every vector argument is a contiguous d x 1 matrix of the problem's dtype in the problem's
 * backend; `out` arguments are written and must not be the input. The problem owns backend
 * memory: free() releases all of it.
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
  /** What the damping said (λ raised above the one asked for); empty when nothing happened. */
  readonly warnings: readonly string[];
  /** The number of rows n of A (leastSquares only; gradientScale 'paper' needs it), else null. */
  readonly samples: number | null;
  /** f(θ); with `gradient` given, also ∇f(θ) into it (least squares shares the residual). */
  evaluate(theta: Matrix<D>, gradient: Matrix<D> | null): Promise<number>;
  /** out := ∇f(θ). */
  gradient(theta: Matrix<D>, out: Matrix<D>): Promise<void>;
  /** out := H v with the (damped) Hessian of the Newton steps. */
  hessianTimes(v: Matrix<D>, out: Matrix<D>): Promise<void>;
  /** out := H⁻¹ g with the (damped) Hessian. */
  newtonDirection(g: Matrix<D>, out: Matrix<D>): Promise<void>;
  /** λ_max of the Hessian (the Lipschitz constant of ∇f for a quadratic), for the k-IHT step 1/L. */
  lipschitz(): Promise<number>;
  /** The dense (damped) Hessian, d x d, owned by the problem (formed on first use for hvpProblem). */
  hessian(): Promise<Matrix<D>>;
  /** Its inverse, d x d symmetric, owned by the problem (formed on first use). */
  inverseHessian(): Promise<Matrix<D>>;
  /** Releases the backend memory the problem holds. */
  free(): void;
}

/** Options of leastSquares. */
export interface LeastSquaresOptions {
  /**
   * Relative damping λ: H = AᵀA + λ·mean(diag AᵀA)·I (raised ×10, with a warning, while it does
   * not factor). Left out, H is damped only when AᵀA is singular (fewer rows than columns, a zero
   * column, or rank-deficient to working precision), starting at λ = 0.01; dampUsed reports it.
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

/** hessianProblem's input: the Hessian as a d x d symmetric positive semidefinite matrix. */
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
  /** dtype of the vectors and of the dense H formed from d products when I-OBS needs it (default 'float64'). */
  dtype?: DType;
}

/** fisherProblem's input: H = (1/m) GᵀG + damp·I from per-sample gradients G (m x d). */
export interface FisherSpec<D extends DType> extends SmoothSpec {
  sampleGradients: Matrix<D>;
  /** Absolute damping λ ≥ 0 (required; the Fisher of m < d samples is singular). */
  damp: number;
}

const SMOOTH_KEYS = ['d', 'gradient', 'objective'] as const;
const LEAST_SQUARES_KEYS = ['damp'] as const;
const HESSIAN_KEYS = [...SMOOTH_KEYS, 'hessian', 'damp'] as const;
const HVP_KEYS = [...SMOOTH_KEYS, 'hvp', 'damp', 'cgTolerance', 'cgIterations', 'dtype'] as const;
const FISHER_KEYS = [...SMOOTH_KEYS, 'sampleGradients', 'damp'] as const;

/** The methods of a problem that its second-order model answers. */
type Curvature<D extends DType> = Pick<RecoveryProblem<D>, 'hessianTimes' | 'newtonDirection' | 'lipschitz' | 'hessian' | 'inverseHessian'>;

/**
 * Least squares f(θ) = ½‖Aθ − y‖²: ∇f = Aᵀ(Aθ − y) (two gemm), H = AᵀA (one syrk, damped only
 * when singular unless options.damp is given). A and y are copied; dtype follows A. An AᵀA that
 * overflows the dtype is refused, naming A.
 * @example
 * const A = la.fromArray([1, 0, 0, 1, 1, 1], 3, 2, 'float64');
 * const y = la.fromArray([1, 2, 3], 3, 1, 'float64');
 * const problem = await leastSquares(la, A, y);
 * (await recover(la, problem, { k: 1, method: 'iobs' })).x;   // ≈ [0, 2.5]
 * problem.free();
 */
export async function leastSquares<D extends DType>(la: Linalg, A: Matrix<D>, y: Matrix, options?: LeastSquaresOptions): Promise<RecoveryProblem<D>> {
  const fn = 'leastSquares';
  const o = checkOptions<LeastSquaresOptions>(fn, options);
  checkKnownKeys(fn, 'options', o, LEAST_SQUARES_KEYS);
  const a = checkFloat<D>(fn, 'A', A);
  const yv = checkVectorMatrix(fn, 'y', y, a.rows);
  const damp = o.damp === undefined ? undefined : checkDamp(fn, 'options.damp', o.damp);
  const n = a.rows, d = a.cols;
  if (d === 0) throw rangeError(fn, 'A', a, 'a matrix with at least one column');
  await checkAllFinite(la, fn, 'A', a);
  await checkAllFinite(la, fn, 'y', yv);
  const scope = new Scope();
  try {
    const Ac = scope.track(await la.copy(a));
    // y as an n x 1 column of A's dtype: a contiguous copy, seen as a column.
    const yc = asColumn(scope.track(await la.copy(yv, undefined, a.dtype)));
    const resid = scope.track(la.matrix(n, 1, a.dtype));
    const H = scope.track(la.matrix(d, d, a.dtype));
    await la.syrk(Ac, H);
    await checkGramFinite(la, fn, 'A', a, H);
    const model = await DenseCurvature.create(la, scope.keep(H), {
      fn, arg: 'A', dampArg: 'options.damp', damp: damp ?? 'auto', forceDamp: n < d, scale: 'relative', check: 'trusted',
    });
    /** resid := Aθ − y; resolves to ½‖resid‖². */
    const residual = async (theta: Matrix<D>): Promise<number> => {
      await la.gemm(Ac, theta, resid);
      await la.axpby(-1, yc, 1, resid);
      return 0.5 * (await la.dot(resid, resid));
    };
    const gradientOfResidual = (out: Matrix<D>) => la.gemm(Ac, resid, out, { transA: true });
    return {
      kind: 'least-squares', d, dtype: a.dtype, dampUsed: model.dampUsed, warnings: model.warnings, samples: n,
      ...curvatureOf(fn, model),
      async evaluate(theta, gradient) {
        checkColumn(fn, 'theta', theta, d, a.dtype);
        const f = await residual(theta);
        if (gradient !== null) await gradientOfResidual(checkColumn(fn, 'gradient', gradient, d, a.dtype) as Matrix<D>);
        return f;
      },
      async gradient(theta, out) {
        checkColumn(fn, 'theta', theta, d, a.dtype);
        await residual(theta);
        await gradientOfResidual(checkColumn(fn, 'out', out, d, a.dtype) as Matrix<D>);
      },
      free() {
        scope.free();
        model.free();
      },
    };
  } catch (e) {
    scope.free();
    throw e;
  }
}

/**
 * A smooth f with its Hessian given as a d x d symmetric positive semidefinite matrix (copied;
 * dtype follows it). H is damped as in leastSquares; an H that is not PSD beyond rounding is
 * refused, naming spec.hessian. For a quadratic f = ½θᵀHθ − bᵀθ this is exact.
 * @example
 * const H = la.fromArray([2, 0, 0, 1], 2, 2, 'float64');
 * const problem = await hessianProblem(la, { d: 2, hessian: H, gradient: (t) => [2 * t[0] - 2, t[1] - 3] });
 * (await recover(la, problem, { k: 1, method: 'iobs' })).x;   // [0, 3]
 * problem.free();
 */
export async function hessianProblem<D extends DType>(la: Linalg, spec: HessianSpec<D>): Promise<RecoveryProblem<D>> {
  const fn = 'hessianProblem';
  const s = checkSpec<HessianSpec<D>>(fn, spec, HESSIAN_KEYS);
  const Hm = checkFloat<D>(fn, 'spec.hessian', s.hessian);
  if (Hm.rows !== s.d || Hm.cols !== s.d) throw rangeError(fn, 'spec.hessian', Hm, `${s.d}x${s.d} (d x d)`);
  const damp = s.damp === undefined ? undefined : checkDamp(fn, 'spec.damp', s.damp);
  await checkAllFinite(la, fn, 'spec.hessian', Hm);
  await checkSymmetric(la, fn, 'spec.hessian', Hm);
  const model = await DenseCurvature.create(la, await la.copy(Hm), {
    fn, arg: 'spec.hessian', dampArg: 'spec.damp', damp: damp ?? 'auto', scale: 'relative', check: 'psd',
  });
  return withCallerParts(la, fn, s, { kind: 'hessian', dtype: Hm.dtype, dampUsed: model.dampUsed, warnings: model.warnings }, curvatureOf(fn, model), () => model.free());
}

/** quadraticProblem is hessianProblem: f given by ∇f and a constant Hessian. */
export const quadraticProblem = hessianProblem;

/**
 * A smooth f with the empirical Fisher H = (1/m) GᵀG + damp·I of m per-sample gradients G
 * (m x d; one syrk; dtype follows G).
 * @example
 * const G = la.fromArray([1, 0, 0, 2, 1, 1], 3, 2, 'float64');
 * const problem = await fisherProblem(la, { d: 2, sampleGradients: G, damp: 1e-3, gradient: (t) => [t[0] - 1, t[1]] });
 * problem.free();
 */
export async function fisherProblem<D extends DType>(la: Linalg, spec: FisherSpec<D>): Promise<RecoveryProblem<D>> {
  const fn = 'fisherProblem';
  const s = checkSpec<FisherSpec<D>>(fn, spec, FISHER_KEYS);
  const G = checkFloat<D>(fn, 'spec.sampleGradients', s.sampleGradients);
  if (G.cols !== s.d || G.rows < 1) throw rangeError(fn, 'spec.sampleGradients', G, `m x ${s.d} with m ≥ 1 (m samples of d = ${s.d} gradients)`);
  if (s.damp === undefined) throw typeError(fn, 'spec.damp', s.damp, 'a number ≥ 0 (the empirical Fisher of m samples has rank ≤ m)');
  const damp = checkDamp(fn, 'spec.damp', s.damp);
  await checkAllFinite(la, fn, 'spec.sampleGradients', G);
  const scope = new Scope();
  let H: Matrix<D>;
  try {
    H = scope.track(la.matrix(s.d, s.d, G.dtype));
    await la.syrk(G, H, { alpha: 1 / G.rows });
    await checkGramFinite(la, fn, 'spec.sampleGradients', G, H);
    scope.keep(H);
  } finally {
    scope.free();
  }
  const model = await DenseCurvature.create(la, H, {
    fn, arg: 'spec.sampleGradients', dampArg: 'spec.damp', damp, scale: 'absolute', check: 'trusted',
  });
  return withCallerParts(la, fn, s, { kind: 'fisher', dtype: G.dtype, dampUsed: model.dampUsed, warnings: model.warnings }, curvatureOf(fn, model), () => model.free());
}

/**
 * A smooth f with Hessian-vector products: Newton directions H⁻¹g by conjugate gradients on
 * backend vectors, λ_max by power iteration on the products; I-OBS (which needs H[S,S] and H⁻¹)
 * forms the dense H from d products on first use (refused, naming spec.hvp, when it is not
 * positive semidefinite).
 * @example
 * const problem = await hvpProblem(la, { d: 2, gradient: (t) => [2 * t[0] - 2, t[1] - 3], hvp: (v) => [2 * v[0], v[1]] });
 * (await recover(la, problem, { k: 1, method: 'topk-iobs' })).x;   // [0, 3]
 * problem.free();
 */
export async function hvpProblem(la: Linalg, spec: HvpSpec): Promise<RecoveryProblem> {
  const fn = 'hvpProblem';
  const s = checkSpec<HvpSpec>(fn, spec, HVP_KEYS);
  if (typeof s.hvp !== 'function') throw typeError(fn, 'spec.hvp', s.hvp, 'a function (v: Float64Array) => H v');
  const damp = s.damp === undefined ? 0 : checkDamp(fn, 'spec.damp', s.damp);
  const cgTol = s.cgTolerance === undefined ? 1e-12 : checkFinite(fn, 'spec.cgTolerance', s.cgTolerance);
  if (!(cgTol > 0)) throw rangeError(fn, 'spec.cgTolerance', cgTol, 'a number > 0');
  const cgIter = s.cgIterations === undefined ? 2 * s.d : checkInt(fn, 'spec.cgIterations', s.cgIterations, 1);
  const dtype = s.dtype ?? 'float64';
  if (dtype !== 'float32' && dtype !== 'float64') throw typeError(fn, 'spec.dtype', dtype, "'float32' or 'float64'");
  const d = s.d;
  const scope = new Scope();
  const column = () => scope.track(la.matrix(d, 1, dtype));
  /** out := (H + damp·I) v, v read once (or given as vh, its host values). */
  const apply = async (v: Matrix, out: Matrix, vh?: Float64Array): Promise<void> => {
    la.write(out, callVector(fn, 'spec.hvp', s.hvp, vh ?? (await hostVector(la, v)), d));
    if (damp !== 0) await la.axpby(damp, v, 1, out);
  };
  let model: DenseCurvature<DType> | null = null;
  const dense = async (): Promise<DenseCurvature<DType>> => {
    model ??= await denseFromProducts(la, fn, (e) => callVector(fn, 'spec.hvp', s.hvp, e, d), d, damp, dtype);
    return model;
  };
  const cg = { x: column(), r: column(), p: column(), q: column() };
  let lmax: number | null = null;
  const curvature: Curvature<DType> & { times: typeof apply } = {
    times: apply,
    hessianTimes: (v, out) => apply(checkColumn(fn, 'v', v, d, dtype), checkColumn(fn, 'out', out, d, dtype)),
    newtonDirection: (g, out) => conjugateGradient(la, fn, apply, checkColumn(fn, 'g', g, d, dtype), checkColumn(fn, 'out', out, d, dtype), cg, cgTol, cgIter),
    lipschitz: async () => (lmax ??= await powerIteration(la, apply, column(), column())),
    hessian: async () => (await dense()).damped,
    inverseHessian: async () => (await dense()).inverse(),
  };
  return withCallerParts(la, fn, s, { kind: 'hvp', dtype, dampUsed: damp === 0 ? null : damp, warnings: [] }, curvature, () => {
    scope.free();
    (model as DenseCurvature<DType> | null)?.free();
  });
}

/** The problem methods a DenseCurvature answers. */
function curvatureOf<D extends DType>(fn: string, model: DenseCurvature<D>): Curvature<D> & { times: (v: Matrix<D>, out: Matrix<D>) => Promise<void> } {
  const d = model.d, dtype = model.dtype;
  return {
    times: (v, out) => model.times(v, out),
    hessianTimes: (v, out) => model.times(checkColumn(fn, 'v', v, d, dtype) as Matrix<D>, checkColumn(fn, 'out', out, d, dtype) as Matrix<D>),
    newtonDirection: (g, out) => model.solve(checkColumn(fn, 'g', g, d, dtype) as Matrix<D>, checkColumn(fn, 'out', out, d, dtype) as Matrix<D>),
    lipschitz: () => model.lambdaMax(),
    hessian: async () => model.damped,
    inverseHessian: () => model.inverse(),
  };
}

/** What a general problem is besides its curvature and the caller's functions. */
interface ProblemHead<D extends DType> {
  kind: ProblemKind;
  dtype: D;
  dampUsed: number | null;
  warnings: readonly string[];
}

/**
 * Adds the caller's gradient and objective (or the quadratic model around 0) to a problem's
 * curvature. θ is read once per call (d values); the gradient is written back.
 */
async function withCallerParts<D extends DType>(
  la: Linalg, fn: string, s: SmoothSpec, head: ProblemHead<D>,
  curvature: Curvature<D> & { times: (v: Matrix<D>, out: Matrix<D>, vh?: Float64Array) => Promise<void> }, release: () => void,
): Promise<RecoveryProblem<D>> {
  const d = s.d, dtype = head.dtype;
  const scope = new Scope();
  const free = () => {
    scope.free();
    release();
  };
  try {
    const hv = scope.track(la.matrix(d, 1, dtype));
    let g0: Matrix<D> | null = null;
    const callGradient = (t: Float64Array) => callVector(fn, 'spec.gradient', s.gradient, t, d);
    /** ∇f(0)ᵀθ + ½θᵀHθ on the backend (g0 from one call of the caller's gradient). */
    const model = async (theta: Matrix<D>, th: Float64Array): Promise<number> => {
      if (g0 === null) {
        g0 = scope.track(la.matrix(d, 1, dtype));
        la.write(g0, callGradient(new Float64Array(d)));
      }
      await curvature.times(theta, hv as Matrix<D>, th);
      return (await la.dot(theta, g0)) + 0.5 * (await la.dot(theta, hv));
    };
    const objective = async (theta: Matrix<D>, th: Float64Array): Promise<number> => {
      if (s.objective === undefined) return model(theta, th);
      const v = s.objective(Float64Array.from(th));
      if (typeof v !== 'number' || Number.isNaN(v)) throw rangeError(fn, 'spec.objective', v, 'a function returning a number (it returned this)');
      return v;
    };
    const { times: _times, ...methods } = curvature;
    return {
      ...head, d, samples: null, ...methods,
      async evaluate(theta, gradient) {
        const th = await hostVector(la, checkColumn(fn, 'theta', theta, d, dtype));
        if (gradient !== null) la.write(checkColumn(fn, 'gradient', gradient, d, dtype), callGradient(th));
        return objective(theta, th);
      },
      async gradient(theta, out) {
        const th = await hostVector(la, checkColumn(fn, 'theta', theta, d, dtype));
        la.write(checkColumn(fn, 'out', out, d, dtype), callGradient(th));
      },
      free,
    };
  } catch (e) {
    free();
    throw e;
  }
}

/**
 * The dense H of an hvp problem: column j is the product with e_j (d calls; the host builds the
 * columns from the caller's answers), symmetrised, written once, then checked PSD and factored by
 * dampedHessian with nothing added (the products already hold the damping).
 */
async function denseFromProducts(la: Linalg, fn: string, product: (v: Float64Array) => Float64Array, d: number, damp: number, dtype: DType): Promise<DenseCurvature<DType>> {
  const cols: Float64Array[] = [];
  const e = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    e[j] = 1;
    const c = product(e);
    c[j] += damp;
    cols.push(c);
    e[j] = 0;
  }
  const values = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) values[i * d + j] = 0.5 * (cols[j][i] + cols[i][j]);
  const H = la.fromArray(values, d, d, dtype);
  try {
    return await DenseCurvature.create(la, H, { fn, arg: 'spec.hvp', dampArg: 'spec.damp', damp: 0, scale: 'absolute', check: 'psd', retries: 0 });
  } catch (e) {
    if (isIobsError(e) && e.kind === 'computation') {
      throw rangeError(fn, 'spec.damp', damp, 'a damping under which H + damp·I (formed from d products) is positive definite (it is not; give damp > 0)');
    }
    throw e;
  }
}

/** CG vectors (d x 1), owned by the problem. */
interface CgVectors {
  x: Matrix;
  r: Matrix;
  p: Matrix;
  q: Matrix;
}

/**
 * out := H⁻¹ g by conjugate gradients from x = 0 on backend vectors (each product reads p once);
 * stops when ‖r‖ ≤ tol·‖g‖ or after maxIter products; throws when pᵀHp ≤ 0 (H not positive definite).
 */
async function conjugateGradient(
  la: Linalg, fn: string, apply: (v: Matrix, out: Matrix) => Promise<void>, g: Matrix, out: Matrix, v: CgVectors, tol: number, maxIter: number,
): Promise<void> {
  await la.fill(v.x, 0);
  await la.copy(g, v.r);
  await la.copy(g, v.p);
  let rr = await la.dot(v.r, v.r);
  const stop = tol * tol * rr;
  for (let it = 0; it < maxIter && rr > stop; it++) {
    await apply(v.p, v.q);
    const pq = await la.dot(v.p, v.q);
    if (!(pq > 0)) throw rangeError(fn, 'spec.hvp', `pᵀHp = ${pq} at CG iteration ${it}`, 'a positive definite H (give damp > 0)');
    const alpha = rr / pq;
    await la.axpby(alpha, v.p, 1, v.x);
    await la.axpby(-alpha, v.q, 1, v.r);
    const next = await la.dot(v.r, v.r);
    const beta = next / rr;
    rr = next;
    await la.axpby(1, v.r, beta, v.p);
  }
  await la.copy(v.x, out);
}

/** λ_max by power iteration on the products (relative change ≤ 1e-8, at most 1000 products). */
async function powerIteration(la: Linalg, apply: (v: Matrix, out: Matrix) => Promise<void>, v: Matrix, w: Matrix): Promise<number> {
  const d = v.rows;
  la.write(v, Float64Array.from({ length: d }, (_, i) => 1 + ((i * 7919) % 13) / 13));
  let lambda = 0;
  for (let it = 0; it < 1000; it++) {
    await la.axpby(1 / Math.sqrt(await la.dot(v, v)), v, 0, v);
    await apply(v, w);
    const next = await la.dot(v, w);
    [v, w] = [w, v];
    if (Math.abs(next - lambda) <= 1e-8 * Math.abs(next)) return next;
    lambda = next;
  }
  return lambda;
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

function checkSpec<S extends SmoothSpec>(fn: string, spec: unknown, known: readonly string[]): S {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw typeError(fn, 'spec', spec, 'an object { d, gradient, … }');
  checkKnownKeys(fn, 'spec', spec, known);
  const s = spec as S;
  checkInt(fn, 'spec.d', s.d, 1);
  if (typeof s.gradient !== 'function') throw typeError(fn, 'spec.gradient', s.gradient, 'a function (θ: Float64Array) => ∇f(θ)');
  if (s.objective !== undefined && typeof s.objective !== 'function') throw typeError(fn, 'spec.objective', s.objective, 'a function (θ: Float64Array) => f(θ)');
  return s;
}

function checkDamp(fn: string, arg: string, damp: unknown): number {
  const v = checkFinite(fn, arg, damp);
  if (v < 0) throw rangeError(fn, arg, v, 'a finite number ≥ 0');
  return v;
}

/** A live float32 or float64 matrix. */
function checkFloat<D extends DType>(fn: string, arg: string, M: unknown): Matrix<D> {
  if (!(M instanceof Matrix)) throw typeError(fn, arg, M, 'a Matrix');
  if (M.freed) throw rangeError(fn, arg, M, 'a matrix that has not been freed');
  if (M.dtype !== 'float32' && M.dtype !== 'float64') throw typeError(fn, arg, M, `a float32 or float64 matrix (convert ${M.dtype} with la.convert first)`);
  return M as Matrix<D>;
}

function checkVectorMatrix(fn: string, arg: string, y: unknown, n: number): Matrix {
  const v = checkFloat(fn, arg, y);
  if ((v.cols !== 1 && v.rows !== 1) || v.size !== n) throw rangeError(fn, arg, v, `an ${n} x 1 vector (A has ${n} rows)`);
  return v;
}

/** Throws, naming the first non-finite entry, unless every entry of M is finite (one kernel call). */
async function checkAllFinite(la: Linalg, fn: string, arg: string, M: Matrix): Promise<void> {
  const bad = await firstBad(la, M);
  if (bad) throw rangeError(fn, arg, `${bad[2]} at (${bad[0]}, ${bad[1]})`, 'a matrix of finite values');
}

/**
 * Throws, naming the input X, when its Gram matrix H = XᵀX (just formed) has a non-finite entry:
 * X is finite (checked before), so the products overflowed the dtype.
 */
async function checkGramFinite(la: Linalg, fn: string, arg: string, X: Matrix, H: Matrix): Promise<void> {
  const bad = await la.firstNonFinite(H);
  if (bad === null) return;
  throw rangeError(fn, arg, X, `a matrix whose Gram matrix ${arg}ᵀ${arg} fits ${X.dtype} (entry [${bad[0]}, ${bad[1]}] overflows to a non-finite value; scale the problem down${X.dtype === 'float32' ? ' or use float64' : ''})`);
}

/** Throws, naming the first pair, unless H is symmetric to 1e-6 relative (one kernel call). */
async function checkSymmetric(la: Linalg, fn: string, arg: string, H: Matrix): Promise<void> {
  const at = await la.symmetryViolation(H, 1e-6);
  if (at === null) return;
  const [i, j] = at;
  const [a] = await la.read(H.view(i, j, 1, 1));
  const [b] = await la.read(H.view(j, i, 1, 1));
  throw rangeError(fn, arg, `H[${i}][${j}] = ${a} but H[${j}][${i}] = ${b}`, 'a symmetric matrix');
}

