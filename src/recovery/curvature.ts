// The dense second-order model every recovery problem with a d x d Hessian shares: H as given,
// its damped form and Cholesky factor (from dampedHessian, the one damping pruning uses too), the
// inverse of the damped form (OBS saliencies, greedy OBS) and λ_max (the k-IHT step). Every
// product, solve and factorisation is a kernel call on backend vectors (d x 1 columns).
import type { DType } from '../core/dtype.js';
import { computationError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import { dampedHessian, type DampOptions, type DampedHessian } from '../linalg/damped.js';
import type { Linalg } from '../linalg/linalg.js';
import { Scope } from '../linalg/scope.js';

/** How a problem's Hessian is damped and checked: dampedHessian's options less the factor. */
export type CurvatureDamping = Omit<DampOptions, 'factor' | 'deadInputs'>;

/** Power iteration settings of λ_max (the k-IHT step 1/L). */
const LAMMAX = { maxIterations: 1000, tolerance: 1e-8, seed: 1 } as const;

/** A dense SPD model H (d x d, dtype D) with the factorisations the recovery methods need. */
export class DenseCurvature<D extends DType> {
  private inv: Matrix<D> | null = null;
  private lmax: number | null = null;
  private freed = false;

  private constructor(
    private readonly la: Linalg,
    /** H as given (for λ_max under relative damping), or null when λ_max is that of the damped H. */
    private readonly H: Matrix<D> | null,
    private readonly model: DampedHessian<D>,
  ) {}

  /**
   * Takes ownership of H (freed here on error, and by free() otherwise), damps and factors it with
   * dampedHessian (which refuses an H that is not finite, zero, or — with check 'psd' — not
   * positive semidefinite beyond rounding).
   * @example
   * const H = la.fromArray([2, 0, 0, 1], 2, 2, 'float64');
   * const model = await DenseCurvature.create(la, H, { fn: 'hessianProblem', arg: 'spec.hessian', damp: 'auto' });
   * model.dampUsed;   // null: H factors as it is
   * model.free();
   */
  static async create<D extends DType>(la: Linalg, H: Matrix<D>, damping: CurvatureDamping): Promise<DenseCurvature<D>> {
    let model: DampedHessian<D>;
    try {
      model = await dampedHessian(la, H, { ...damping, factor: 'cholesky' });
    } catch (e) {
      H.free();
      throw e;
    }
    // λ_max(H + cI) is λ_max(H) + c, but power iteration on H itself is what k-IHT's η = 1/L means:
    // keep H only when something was added and the damping is not part of the model.
    const keepH = model.added !== 0 && (damping.scale ?? 'relative') === 'relative';
    if (!keepH) H.free();
    return new DenseCurvature(la, keepH ? H : null, model);
  }

  /** The dimension d. */
  get d(): number {
    return this.model.damped.rows;
  }

  /** The dtype of H. */
  get dtype(): D {
    return this.model.damped.dtype;
  }

  /** The λ applied (in the damping's units), or null when H is used as given. */
  get dampUsed(): number | null {
    return this.model.dampUsed;
  }

  /** What dampedHessian said (the damping had to be raised). */
  get warnings(): readonly string[] {
    return this.model.warnings;
  }

  /** H + damping (d x d), owned by this model. */
  get damped(): Matrix<D> {
    return this.model.damped;
  }

  /** out := (damped H) v, one gemm (v, out: d x 1, distinct). */
  async times(v: Matrix<D>, out: Matrix<D>): Promise<void> {
    await this.la.gemm(this.model.damped, v, out);
  }

  /** out := (damped H)⁻¹ g by two triangular solves with the Cholesky factor (g, out: d x 1). */
  async solve(g: Matrix<D>, out: Matrix<D>): Promise<void> {
    const L = this.model.factor as Matrix<D>;
    await this.la.copy(g, out);
    await this.la.trsv(L, out, { uplo: 'lower' });
    await this.la.trsv(L, out, { uplo: 'lower', trans: true });
  }

  /** (damped H)⁻¹, both triangles, formed on first use (potri); owned by this model. */
  async inverse(): Promise<Matrix<D>> {
    if (this.inv === null) {
      const scope = new Scope();
      try {
        const M = scope.track(await this.la.copy(this.model.damped));
        const info = await this.la.potri(M);
        if (info !== 0) throw computationError('recover', 'problem', `a Hessian whose inverse failed at pivot ${info}`, 'the damped Hessian factored but its inverse did not; raise the damping');
        this.inv = scope.keep(M);
      } finally {
        scope.free();
      }
    }
    return this.inv;
  }

  /**
   * λ_max by power iteration (on first use): of H as given under relative damping, of the damped
   * H under absolute damping (then the damping is part of the model, as in the Fisher + λI).
   */
  async lambdaMax(): Promise<number> {
    if (this.lmax === null) this.lmax = (await this.la.lammax(this.H ?? this.model.damped, LAMMAX)).value;
    return this.lmax;
  }

  /** Frees every matrix this model owns; later calls fail. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.H?.free();
    this.inv?.free();
    this.model.free();
  }
}
