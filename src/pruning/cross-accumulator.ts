// The cross statistics of a layer whose target is the dense model's output: C = Σ X_pᵀ X_d over
// calibration batches, X_p the layer's inputs in the model being pruned and X_d the same rows'
// inputs in the dense model (float64 sums of float32 batch products, as HessianAccumulator sums
// XᵀX). With H = Σ X_pᵀ X_p it gives the target of denseTarget (target.ts).
import { checkInt, rangeError, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { Linalg } from '../linalg/linalg.js';

const FN = 'CrossAccumulator';

/**
 * Accumulates C = Σ X_pᵀ X_d (cols x cols) in float64.
 * @example
 * const cross = new CrossAccumulator(la, 128);
 * await cross.addPair(Xpruned, Xdense);   // T x 128 each, the same T rows
 * const C = await cross.cross('float64');
 * cross.free();
 */
export class CrossAccumulator {
  readonly cols: number;
  private readonly sum: Matrix<'float64'>;
  private part: Matrix | null = null;
  private wide: Matrix<'float64'> | null = null;
  private count = 0;
  private freed = false;

  constructor(readonly la: Linalg, cols: number) {
    if (!(la instanceof Linalg)) throw typeError(FN, 'la', la, 'a Linalg (from init())');
    this.cols = checkInt(FN, 'cols', cols, 1);
    this.sum = la.matrix(cols, cols, 'float64');
  }

  /** Rows added so far. */
  get samples(): number {
    return this.count;
  }

  /**
   * C += X_pᵀ X_d for one batch: both rows x cols, one dtype, the same rows (tokens) in the same
   * order; a non-finite value is an error naming the matrix and position, and C is left as it was.
   */
  async addPair(Xp: Matrix, Xd: Matrix): Promise<this> {
    const fn = `${FN}.addPair`;
    this.live(fn);
    for (const [arg, X] of [['Xp', Xp], ['Xd', Xd]] as const) {
      if (!(X instanceof Matrix) || X.storage.released) throw typeError(fn, arg, X, 'a matrix that has not been freed');
      if (X.dtype !== 'float32' && X.dtype !== 'float64') throw typeError(fn, arg, X, 'a float32 or float64 matrix');
      if (X.cols !== this.cols) throw rangeError(fn, arg, X, `${this.cols} columns (the accumulator's inputs)`);
      const bad = await this.la.firstNonFinite(X);
      if (bad) throw rangeError(fn, `${arg}[${bad[0]}, ${bad[1]}]`, 'a non-finite value', 'a finite number');
    }
    if (Xd.rows !== Xp.rows || Xd.dtype !== Xp.dtype) throw rangeError(fn, 'Xd', Xd, `${Xp.rows} rows of ${Xp.dtype} (Xp's)`);
    if (Xp.dtype === 'float64') {
      await this.la.gemm(Xp, Xd, this.sum, { transA: true, beta: 1 });
    } else {
      this.part ??= this.la.matrix(this.cols, this.cols, Xp.dtype);
      this.wide ??= this.la.matrix(this.cols, this.cols, 'float64');
      await this.la.gemm(Xp, Xd, this.part, { transA: true });
      await this.la.copy(this.part, this.wide);
      await this.la.axpby(1, this.wide, 1, this.sum);
    }
    this.count += Xp.rows;
    return this;
  }

  /** C so far, as a new cols x cols matrix of `dtype` (default float64); the accumulator stays usable. */
  async cross<D extends 'float32' | 'float64' = 'float64'>(dtype: D = 'float64' as D): Promise<Matrix<D>> {
    const fn = `${FN}.cross`;
    this.live(fn);
    if (dtype !== 'float32' && dtype !== 'float64') throw typeError(fn, 'dtype', dtype, "'float32' or 'float64'");
    return this.la.copy(this.sum, undefined, dtype);
  }

  /** Releases the accumulator's storage; later calls throw. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const M of [this.sum, this.part, this.wide]) M?.free();
  }

  private live(fn: string): void {
    if (this.freed) throw rangeError(fn, 'this', 'a freed accumulator', 'an accumulator that has not been freed');
  }
}
