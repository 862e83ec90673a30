// One damped Hessian for pruning and recovery alike (ALGORITHMS.md §2, "Numerics every OBS
// pruner needs"): refuse an H that is not positive semidefinite beyond rounding, fix dead inputs,
// add λ·mean(diag H)·I (or λ·I), factor, and on failure raise λ ×10 and retry, reporting the λ
// that worked and a warning when it is more than was asked for.
//
// "Not positive semidefinite beyond rounding" is decided by one Cholesky factorisation of
// H + τ·max(diag H)·I with τ = psdTolerance(n, dtype) = 16·n·ε (ε the unit roundoff of H's dtype):
// storing H in its dtype and factoring it each perturb its eigenvalues by about n·ε·max|H_jj|, so
// an H whose smallest eigenvalue is above −τ·max(diag H) passes, and one below it is refused.
// The test costs one extra factorisation, so it runs only on Hessians a caller hands in
// (check: 'psd', the default); Hessians this library forms itself (Σ XᵀX from the accumulator,
// AᵀA, GᵀG) are PSD by construction and pass check: 'trusted'.
import { type DType, unitRoundoff } from '../core/dtype.js';
import { checkFinite, checkInt, computationError, rangeError, show } from '../core/errors.js';
import type { Mask, Matrix } from '../core/matrix.js';
import type { Linalg } from './linalg.js';
import { Scope } from './scope.js';

/** Default relative damping λ: H + λ·mean(diag H)·I. */
export const DEFAULT_DAMP = 0.01;
/** How many times λ is multiplied by 10 after a failed factorisation before giving up. */
export const DAMP_RETRIES = 6;

/**
 * The PSD tolerance τ relative to max(diag H): 16·n·ε for an n x n H of this dtype (ε = 2⁻²⁴ for
 * float32, 2⁻⁵³ for float64). An H with λ_min(H) < −τ·max(diag H) is refused as not positive
 * semidefinite.
 * @example
 * psdTolerance(4096, 'float32');   // ≈ 3.9e-3
 * psdTolerance(100, 'float64');    // ≈ 1.8e-13
 */
export function psdTolerance(n: number, dtype: DType): number {
  return 16 * Math.max(n, 1) * unitRoundoff(dtype);
}

/** What dampedHessian computes of the damped matrix. */
export type DampedFactor = 'none' | 'cholesky' | 'inverse' | 'invchol';

/** Options of dampedHessian. */
export interface DampOptions {
  /** The public function and the argument names errors use: H's source and the damping option. */
  fn: string;
  arg: string;
  dampArg?: string;
  /**
   * λ ≥ 0, or 'auto': add nothing when H factors and is well conditioned to working precision,
   * else start at DEFAULT_DAMP (recovery's default; pruning always gives a number).
   */
  damp: number | 'auto';
  /** 'relative' (default): add λ·mean(diag H); 'absolute': add λ (the empirical Fisher's + λI). */
  scale?: 'relative' | 'absolute';
  /** With damp 'auto': damp even when H factors (H is singular for certain, e.g. fewer samples than unknowns). */
  forceDamp?: boolean;
  /** What to return besides the damped matrix: L (H = LLᵀ), H⁻¹ (both triangles), or U with H⁻¹ = UᵀU. */
  factor: DampedFactor;
  /** Fix dead inputs (H_jj = 0: H_jj := 1) and report them; the caller zeroes those weights. */
  deadInputs?: boolean;
  /** 'psd' (default): refuse an H that is not PSD beyond rounding; 'trusted': H was formed as Σ XᵀX. */
  check?: 'psd' | 'trusted';
  /** Retries of λ ×10 after a failed factorisation (default DAMP_RETRIES). */
  retries?: number;
}

/** The damped Hessian and what was done to it. free() releases everything it holds. */
export interface DampedHessian<D extends DType> {
  /** H with dead inputs fixed, plus `added` on the diagonal. */
  readonly damped: Matrix<D>;
  /** The requested factor of `damped`, or null for factor 'none'. */
  readonly factor: Matrix<D> | null;
  /** The λ in effect (in the scale's units), or null when nothing was added. */
  readonly dampUsed: number | null;
  /** What was added to every diagonal entry. */
  readonly added: number;
  /** mean(diag H) after the dead-input fix (the unit of relative damping). */
  readonly meanDiag: number;
  /** Dead inputs (1 x n uint8, 1 = dead) when deadInputs was asked for, else null. */
  readonly dead: Mask | null;
  readonly deadCount: number;
  /** Said when the damping had to be raised above what was asked for. */
  readonly warnings: string[];
  /** Releases the factor alone (a caller done with it early); `factor` must not be used afterwards. */
  freeFactor(): void;
  free(): void;
}

/**
 * The damped form of a symmetric H (not modified) and its factor. Bad input — a non-finite entry,
 * a negative diagonal, an H that is zero, an H not positive semidefinite beyond rounding — is an
 * ArgumentRangeError naming options.arg; a damping under which nothing factors even after
 * `retries` rises is a ComputationError naming options.dampArg.
 * @example
 * const d = await dampedHessian(la, H, { fn: 'sparseGPT', arg: 'H', damp: 0.01, factor: 'invchol', deadInputs: true });
 * d.factor;      // U, upper, with (H + 0.01·mean(diag H)·I)⁻¹ = UᵀU
 * d.dampUsed;    // 0.01, or more with a warning in d.warnings
 * d.free();
 */
export async function dampedHessian<D extends DType>(la: Linalg, H: Matrix<D>, options: DampOptions): Promise<DampedHessian<D>> {
  const { fn, arg } = options;
  const dampArg = options.dampArg ?? 'options.damp';
  const scale = options.scale ?? 'relative';
  const retries = checkInt(fn, 'retries', options.retries ?? DAMP_RETRIES, 0, 30);
  if (H.rows !== H.cols) throw rangeError(fn, arg, H, 'a square Hessian');
  const n = H.rows;
  const scope = new Scope();
  try {
    const bad = await la.firstNonFinite(H);
    if (bad) {
      throw rangeError(fn, arg, H, `a Hessian of finite values (H[${bad[0]}, ${bad[1]}] is not finite${H.dtype === 'float32' ? '; in float32 this usually means the inputs overflow: use float64' : ''})`);
    }
    // The diagonal: n numbers, read once.
    const diag = scope.track(la.matrix(1, n, 'float64'));
    await la.diagonal(H, diag);
    const d = await la.read(diag);
    let maxDiag = 0, minAt = -1;
    for (let j = 0; j < n; j++) {
      if (d[j] > maxDiag) maxDiag = d[j];
      if (d[j] < 0 && minAt < 0) minAt = j;
    }
    if (minAt >= 0) throw rangeError(fn, arg, H, `a positive semidefinite Hessian (H[${minAt}, ${minAt}] = ${d[minAt]} < 0)`);
    if (!(maxDiag > 0)) {
      throw rangeError(fn, arg, H, 'a Hessian with at least one live input (H is zero: every input is dead, so the calibration data carries no signal)');
    }
    if ((options.check ?? 'psd') === 'psd') await checkPsd(la, H, maxDiag, fn, arg, scope);

    const base = scope.track(await la.copy(H));
    let deadCount = 0, dead: Mask | null = null;
    if (options.deadInputs) {
      dead = scope.track(la.mask(1, n));
      deadCount = await la.deadInputs(base, dead);
      for (let j = 0; j < n; j++) if (d[j] === 0) d[j] = 1;
    }
    let sum = 0;
    for (let j = 0; j < n; j++) sum += d[j];
    const meanDiag = n > 0 ? sum / n : 0;
    const unit = scale === 'relative' ? meanDiag : 1;

    const tryFactor = async (add: number, strict: boolean): Promise<{ damped: Matrix<D>; factor: Matrix<D> | null } | null> => {
      const damped = scope.track(await la.copy(base));
      if (add !== 0) await la.addDiagonal(damped, add);
      const factor = await factorOf(la, damped, options.factor, strict, scope);
      if (factor === undefined) {
        scope.release(damped);
        return null;
      }
      return { damped, factor };
    };

    let lambda: number;
    if (options.damp === 'auto') {
      if (!options.forceDamp) {
        const got = await tryFactor(0, true);
        if (got) return result(got, null, 0, meanDiag, dead, deadCount, [], scope);
      }
      lambda = DEFAULT_DAMP;
    } else {
      lambda = options.damp;
      if (!(lambda >= 0) || !Number.isFinite(lambda)) throw rangeError(fn, dampArg, lambda, 'a finite number >= 0');
    }
    const asked = lambda;
    let tried = lambda;
    for (let attempt = 0; attempt <= retries; attempt++, lambda = lambda === 0 ? DEFAULT_DAMP : lambda * 10) {
      tried = lambda;
      const got = await tryFactor(lambda * unit, options.damp === 'auto');
      if (!got) continue;
      const warnings = lambda > asked
        ? [`${fn}: H + ${asked}·${scale === 'relative' ? 'mean(diag H)·' : ''}I did not factor; damping raised to λ = ${lambda}`]
        : [];
      return result(got, lambda === 0 ? null : lambda, lambda * unit, meanDiag, dead, deadCount, warnings, scope);
    }
    throw computationError(fn, dampArg, options.damp === 'auto' ? 'auto' : asked,
      `no damping up to λ = ${tried} makes H + λ·${scale === 'relative' ? 'mean(diag H)·' : ''}I factor in ${H.dtype}`);
  } catch (e) {
    scope.free();
    throw e;
  }
}

function result<D extends DType>(
  got: { damped: Matrix<D>; factor: Matrix<D> | null }, dampUsed: number | null, added: number, meanDiag: number,
  dead: Mask | null, deadCount: number, warnings: string[], scope: Scope,
): DampedHessian<D> {
  const keep = [got.damped, got.factor, dead].filter((M): M is Matrix<any> => M !== null);
  for (const M of keep) scope.keep(M);
  scope.free();
  let freed = false;
  return {
    damped: got.damped, factor: got.factor, dampUsed, added, meanDiag, dead, deadCount, warnings,
    freeFactor() {
      if (freed || got.factor === null || got.factor === got.damped) return;
      got.factor.free();
      keep.splice(keep.indexOf(got.factor), 1);
    },
    free() {
      if (freed) return;
      freed = true;
      for (const M of new Set(keep)) M.free();
    },
  };
}

/**
 * Symmetry tolerance of a Hessian by dtype, relative to √|H_ii H_jj| + |H_ij| + |H_ji| (see
 * la.symmetryViolation): loose enough for an H summed in another order, tight enough to catch a
 * matrix that is not a Hessian.
 */
export const SYMMETRY_TOLERANCE = { float32: 1e-5, float64: 1e-10 } as const;

/**
 * Throws (naming `arg`) unless the square H is finite, symmetric within SYMMETRY_TOLERANCE, has a
 * non-negative diagonal and is positive semidefinite beyond rounding (psdTolerance). Reads the
 * diagonal (n numbers) and a few codes; one Cholesky factorisation of a copy.
 * @example
 * await checkHessian(la, H, { fn: 'pruneLayer', arg: 'stats' });
 */
export async function checkHessian<D extends DType>(la: Linalg, H: Matrix<D>, where: { fn: string; arg: string }): Promise<void> {
  const { fn, arg } = where;
  const bad = await la.firstNonFinite(H);
  if (bad) throw rangeError(fn, arg, H, `a Hessian of finite values (H[${bad[0]}, ${bad[1]}] is not finite)`);
  const asym = await la.symmetryViolation(H, SYMMETRY_TOLERANCE[H.dtype]);
  if (asym) throw rangeError(fn, arg, H, `a symmetric Hessian (H[${asym[0]}, ${asym[1]}] and H[${asym[1]}, ${asym[0]}] differ by more than ${SYMMETRY_TOLERANCE[H.dtype]} relative)`);
  const scope = new Scope();
  try {
    const diag = scope.track(la.matrix(1, H.rows, 'float64'));
    await la.diagonal(H, diag);
    const d = await la.read(diag);
    let maxDiag = 0;
    for (let j = 0; j < d.length; j++) {
      if (d[j] < 0) throw rangeError(fn, arg, H, `a positive semidefinite Hessian (H[${j}, ${j}] = ${d[j]} < 0)`);
      maxDiag = Math.max(maxDiag, d[j]);
    }
    if (maxDiag > 0) await checkPsd(la, H, maxDiag, fn, arg, scope);
  } finally {
    scope.free();
  }
}

/**
 * Refuses H when H + τ·max(diag H)·I has no Cholesky factor (τ = psdTolerance): then H has an
 * eigenvalue below −τ·max(diag H), which no rounding explains.
 */
async function checkPsd<D extends DType>(la: Linalg, H: Matrix<D>, maxDiag: number, fn: string, arg: string, scope: Scope): Promise<void> {
  const tau = psdTolerance(H.rows, H.dtype);
  const T = scope.track(await la.copy(H));
  await la.addDiagonal(T, tau * maxDiag);
  const info = await la.potrf(T);
  scope.release(T);
  if (info !== 0) {
    throw rangeError(fn, arg, H, `a positive semidefinite Hessian (it has an eigenvalue below −τ·max(diag H) with τ = 16·n·ε = ${show(+tau.toPrecision(3))}: H + τ·max(diag H)·I fails to factor at pivot ${info}, which rounding cannot explain; a Hessian Σ XᵀX never does this)`);
  }
}

/**
 * The factor of M (a new matrix in the scope), null for 'none' (after checking that M factors),
 * or undefined when M does not factor (or, with strict, is singular to working precision).
 */
async function factorOf<D extends DType>(la: Linalg, M: Matrix<D>, kind: DampedFactor, strict: boolean, scope: Scope): Promise<Matrix<D> | null | undefined> {
  const F = scope.track(await la.copy(M));
  const info = kind === 'inverse' ? await la.potri(F) : kind === 'invchol' ? await la.invchol(F) : await la.potrf(F);
  const ok = info === 0 && (await la.firstNonFinite(F)) === null && (!strict || (await wellConditioned(la, kind === 'none' || kind === 'cholesky' ? F : null, M, scope)));
  if (!ok) {
    scope.release(F);
    return undefined;
  }
  if (kind === 'none') {
    scope.release(F);
    return null;
  }
  return F;
}

/**
 * False when some Cholesky pivot L_jj² is below 100·n·ε of H_jj: the Schur complement has lost
 * every significant digit, so H is singular to working precision (AᵀA of rank < d). Reads two
 * diagonals (2n numbers). Without L (an inverse was asked for), H counts as well conditioned when
 * it factored at all.
 */
async function wellConditioned<D extends DType>(la: Linalg, L: Matrix<D> | null, H: Matrix<D>, scope: Scope): Promise<boolean> {
  if (L === null) {
    const T = scope.track(await la.copy(H));
    const info = await la.potrf(T);
    const ok = info === 0 && (await wellConditioned(la, T, H, scope));
    scope.release(T);
    return ok;
  }
  const n = H.rows, eps = unitRoundoff(H.dtype);
  const dl = scope.track(la.matrix(1, n, 'float64')), dh = scope.track(la.matrix(1, n, 'float64'));
  await la.diagonal(L, dl);
  await la.diagonal(H, dh);
  const l = await la.read(dl), h = await la.read(dh);
  scope.release(dl);
  scope.release(dh);
  for (let j = 0; j < n; j++) if (!Number.isFinite(l[j]) || l[j] * l[j] < 100 * n * eps * h[j]) return false;
  return true;
}

/**
 * The one rule for a damping option everywhere (pruners, problems, CLI): a finite λ ≥ 0. λ = 0
 * asks for no damping; where H then does not factor, λ is raised (to DEFAULT_DAMP, then ×10) and
 * the result says so.
 */
export function checkDamp(fn: string, arg: string, value: unknown): number {
  const v = checkFinite(fn, arg, value);
  if (!(v >= 0)) throw rangeError(fn, arg, v, 'a finite number >= 0 (λ in H + λ·mean(diag H)·I)');
  return v;
}
