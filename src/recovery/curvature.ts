// The dense second-order model every recovery problem with a d x d Hessian shares: the Hessian
// H as given, its damped form, the Cholesky factor of the damped form (Newton directions), its
// inverse (OBS saliencies) and λ_max(H) (the k-IHT step). Every product and factorisation is one
// kernel call on the problem's backend; vectors cross as Float64Array.
import type { DType } from '../core/dtype.js';
import { rangeError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';
import { DAMP_RETRIES, DEFAULT_DAMP } from '../pruning/hessian.js';

/**
 * How H is damped: 'auto' adds λ·mean(diag H)·I only when H does not factor or is numerically
 * singular (λ from DEFAULT_DAMP, ×10 per failed try) or when `force` says H is singular for
 * certain (fewer samples than unknowns); 'relative' adds exactly λ·mean(diag H)·I; 'absolute'
 * exactly λ·I.
 */
export type DampPolicy =
  | { kind: 'auto'; force: boolean }
  | { kind: 'relative'; lambda: number }
  | { kind: 'absolute'; lambda: number };

/** A dense SPD model H (d x d, dtype D) with the factorisations the recovery methods need. */
export class DenseCurvature<D extends DType> {
  /** The damping λ applied (in the policy's units), or null when H was used as given. */
  readonly dampUsed: number | null;
  /** H + damping (the same matrix as H when no damping was added). */
  readonly damped: Matrix<D>;
  private readonly chol: Matrix<D>;
  private inv: Matrix<D> | null = null;
  private lmax: number | null = null;
  private readonly vin: Matrix<D>;
  private readonly vout: Matrix<D>;
  private readonly absolute: boolean;

  /** Takes ownership of H (freed by free()); `fn`, `arg` (H's source) and `dampArg` name the caller's arguments in errors. */
  constructor(readonly la: Linalg, readonly H: Matrix<D>, policy: DampPolicy, fn: string, arg: string, dampArg = 'spec.damp') {
    const d = H.rows;
    const meanDiag = diagonalMean(H);
    if (!(meanDiag > 0)) throw rangeError(fn, arg, H, 'a positive semidefinite matrix with a positive diagonal (mean of diag is ' + meanDiag + ')');
    const { damped, chol, lambda } = dampAndFactor(la, H, meanDiag, policy, fn, dampArg);
    this.damped = damped;
    this.chol = chol;
    this.dampUsed = lambda;
    this.absolute = policy.kind === 'absolute';
    this.vin = la.matrix(d, 1, H.dtype);
    this.vout = la.matrix(d, 1, H.dtype);
  }

  /** The dimension d. */
  get d(): number {
    return this.H.rows;
  }

  /** (damped H) v, one gemm; `undamped` multiplies by H as given instead. */
  times(v: Float64Array, undamped = false): Float64Array {
    this.vin.assign(v);
    this.la.backend.gemm(false, false, 1, undamped ? this.H : this.damped, this.vin, 0, this.vout);
    return Float64Array.from(this.vout.toArray());
  }

  /** (damped H)⁻¹ g by two triangular solves with the Cholesky factor. */
  solve(g: Float64Array): Float64Array {
    this.vin.assign(g);
    const be = this.la.backend;
    be.trsv('lower', false, false, this.chol, this.vin);
    be.trsv('lower', true, false, this.chol, this.vin);
    return Float64Array.from(this.vin.toArray());
  }

  /** (damped H)⁻¹, both triangles, formed on first use (potri). */
  inverse(): Matrix<D> {
    if (this.inv === null) {
      const M = this.la.copy(this.damped);
      const info = this.la.backend.potri(M);
      if (info !== 0) {
        M.free();
        throw rangeError('recover', 'problem', `a Hessian whose inverse failed at pivot ${info}`, 'a positive definite (damped) Hessian');
      }
      this.inv = M;
    }
    return this.inv;
  }

  /**
   * λ_max by power iteration (computed on first use): of H as given, or of the damped H when
   * the damping is absolute (then it is part of the model, as in the empirical Fisher + λI).
   */
  lambdaMax(): number {
    if (this.lmax === null) this.lmax = this.la.backend.lammax(this.absolute ? this.damped : this.H, 1000, 1e-8, 1).value;
    return this.lmax;
  }

  /** Frees every matrix this model owns, H included. */
  free(): void {
    for (const M of new Set([this.H, this.damped, this.chol, this.vin, this.vout, this.inv])) M?.free();
  }
}

/** mean(diag H). */
export function diagonalMean(H: Matrix): number {
  let s = 0;
  for (let j = 0; j < H.rows; j++) s += H.get(j, j);
  return H.rows ? s / H.rows : 0;
}

/** H with `add` on the diagonal, as a new matrix (or H itself when add is 0). */
function shifted<D extends DType>(la: Linalg, H: Matrix<D>, add: number): Matrix<D> {
  if (add === 0) return H;
  const M = la.copy(H);
  for (let j = 0; j < M.rows; j++) M.set(j, j, M.get(j, j) + add);
  return M;
}

/** Cholesky factor of M (a new matrix), or null when M is not numerically positive definite. */
function factor<D extends DType>(la: Linalg, M: Matrix<D>, strict: boolean): Matrix<D> | null {
  const L = la.copy(M);
  const info = la.backend.potrf(L);
  if (info === 0 && (!strict || wellConditioned(L, M))) return L;
  L.free();
  return null;
}

/**
 * False when some pivot L_jj² is below 100·d·ε of H_jj: the Schur complement has lost every
 * significant digit, so H is singular to working precision (e.g. AᵀA of rank < d).
 */
function wellConditioned(L: Matrix, H: Matrix): boolean {
  const d = H.rows, eps = H.dtype === 'float32' ? 2 ** -24 : 2 ** -53;
  for (let j = 0; j < d; j++) {
    const l = L.get(j, j);
    if (!Number.isFinite(l) || l * l < 100 * d * eps * H.get(j, j)) return false;
  }
  return true;
}

function dampAndFactor<D extends DType>(
  la: Linalg, H: Matrix<D>, meanDiag: number, policy: DampPolicy, fn: string, dampArg: string,
): { damped: Matrix<D>; chol: Matrix<D>; lambda: number | null } {
  if (policy.kind !== 'auto') {
    const add = policy.kind === 'relative' ? policy.lambda * meanDiag : policy.lambda;
    const damped = shifted(la, H, add);
    const chol = factor(la, damped, false);
    if (chol === null) {
      if (damped !== H) damped.free();
      const unit = policy.kind === 'relative' ? 'H + damp·mean(diag H)·I' : 'H + damp·I';
      throw rangeError(fn, dampArg, policy.lambda, `a damping under which ${unit} is positive definite (it is not; raise damp, or leave it out to damp automatically)`);
    }
    return { damped, chol, lambda: policy.lambda === 0 ? null : policy.lambda };
  }
  if (!policy.force) {
    const chol = factor(la, H, true);
    if (chol !== null) return { damped: H, chol, lambda: null };
  }
  let lambda = DEFAULT_DAMP;
  for (let attempt = 0; attempt <= DAMP_RETRIES; attempt++, lambda *= 10) {
    const damped = shifted(la, H, lambda * meanDiag);
    const chol = factor(la, damped, true);
    if (chol !== null) return { damped, chol, lambda };
    damped.free();
  }
  throw rangeError(fn, dampArg, undefined, `a damping under which H + λ·mean(diag H)·I factors (tried up to λ = ${lambda / 10}); H is not positive semidefinite`);
}
