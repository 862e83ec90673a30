// The calibration statistics of a linear layer: H = Σ XᵀX over batches of inputs, never holding
// more than one staged chunk of X. ALGORITHMS.md §2.
//
// Precision. Rows are staged in the accumulator's dtype (float32 by default) in chunks of
// `chunkRows`; each full chunk goes through one ssyrk (dsyrk for float64), whose sums over
// 256-row slices are already float64 inside the kernel, and the chunk's XᵀX is then added into a
// float64 running sum. So the batch size the caller uses does not matter (a batch of one row costs
// the same as any other), and the only float32 rounding left is one per chunk, relative 2⁻²⁴ of
// the chunk's own XᵀX, not of the growing total. With options.dtype = 'float64' the rows are
// staged in float64 and dsyrk adds them straight into the sum (half the speed of ssyrk).
//
// Measured (wasm-relaxed; 10,000 x 128 float32 inputs, N(0.5, 1) and ReLU(N(0, 1)); error =
// max |ΔH_ij| / √(H_ii H_jj) against the float64 sum of the same float32 values):
//   adding each batch into a float32 H (ssyrk, beta = 1): 3.2e-6 with batches of 1 row,
//     9.7e-7 of 10 rows, 3.5e-7 of 100, 8.8e-8 in one call;
//   this accumulator, float32 staging: 8.2e-8 whatever the batch size (1 to 10,000 rows);
//   this accumulator, float64 staging: 1.8e-14.
// So float32 staging (the default) keeps H at its own float32 rounding for any N and batching;
// float64 staging is there for float64 layers and for callers that want H beyond float32 accuracy.
import type { DType } from '../core/dtype.js';
import { checkInt, rangeError, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import { checkOptions } from '../linalg/checks.js';
import { Linalg } from '../linalg/linalg.js';

/** A batch of inputs as plain data: rows x cols values in row-major order. */
export interface InputBatch {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
}

/** Options of the HessianAccumulator constructor. */
export interface HessianAccumulatorOptions {
  /** The dtype rows are staged and multiplied in: 'float32' (ssyrk, default) or 'float64' (dsyrk). The sum is always float64. */
  dtype?: DType;
  /** Rows staged before one syrk call (default 512). */
  chunkRows?: number;
}

const FN = 'HessianAccumulator';

/**
 * Accumulates the Hessian H = Σ XᵀX of a linear layer's inputs batch by batch (X is samples x
 * inputs). Holds a float64 running sum, one cols x cols partial product (and its float64 copy)
 * and one chunk of staged rows in la's storage; call free() when done.
 * @example
 * const acc = new HessianAccumulator(la, 3);
 * await acc.addBatch({ data: [1, 2, 3, 4, 5, 6], rows: 2, cols: 3 });
 * await acc.addBatch(la.fromArray([1, 0, 1], 1, 3));
 * acc.samples;                               // 3
 * const H = await acc.hessian();             // 3x3 float32: [[18, 22, 28], [22, 29, 36], [28, 36, 46]]
 */
export class HessianAccumulator {
  /** Number of inputs (the layer's columns). */
  readonly cols: number;
  /** The dtype rows are staged and multiplied in. */
  readonly dtype: DType;
  private readonly sum: Matrix<'float64'>;
  private readonly stage: Matrix;
  private readonly part: Matrix | null;
  private readonly wide: Matrix<'float64'> | null;
  private staged = 0;
  private count = 0;
  private freed = false;

  constructor(
    /** The Linalg whose kernels and storage the accumulator uses. */
    readonly la: Linalg,
    cols: number,
    options?: HessianAccumulatorOptions,
  ) {
    if (!(la instanceof Linalg)) throw typeError(FN, 'la', la, 'a Linalg (from init())');
    this.cols = checkInt(FN, 'cols', cols, 1);
    const o = checkOptions<HessianAccumulatorOptions>(FN, options);
    if (o.dtype !== undefined && o.dtype !== 'float32' && o.dtype !== 'float64') {
      throw typeError(FN, 'options.dtype', o.dtype, "'float32' or 'float64'");
    }
    this.dtype = o.dtype ?? 'float32';
    const chunk = o.chunkRows === undefined ? 512 : checkInt(FN, 'options.chunkRows', o.chunkRows, 1);
    this.sum = la.matrix(cols, cols, 'float64');
    this.stage = la.matrix(chunk, cols, this.dtype);
    this.part = this.dtype === 'float64' ? null : la.matrix(cols, cols, this.dtype);
    this.wide = this.dtype === 'float64' ? null : la.matrix(cols, cols, 'float64');
  }

  /** Samples (rows of X) added so far. */
  get samples(): number {
    return this.count;
  }

  /**
   * Adds a batch X (rows x cols, a Matrix of either dtype or plain row-major data): H += XᵀX.
   * The whole batch is checked before any of it is used: a non-finite value is an error naming
   * its position, and the accumulator is left as it was.
   */
  async addBatch(X: Matrix | InputBatch): Promise<this> {
    const fn = `${FN}.addBatch`;
    this.live(fn);
    if (X instanceof Matrix) await this.addMatrix(fn, X);
    else await this.addData(fn, X);
    return this;
  }

  /**
   * H = Σ XᵀX so far as a new cols x cols matrix (both triangles) in la's storage, rounded once
   * from the float64 sum to `dtype` (default the accumulator's). The accumulator stays usable.
   */
  async hessian<D extends DType = DType>(dtype: D = this.dtype as D): Promise<Matrix<D>> {
    const fn = `${FN}.hessian`;
    this.live(fn);
    if (dtype !== 'float32' && dtype !== 'float64') throw typeError(fn, 'dtype', dtype, "'float32' or 'float64'");
    await this.flush();
    return this.la.copy(this.sum, undefined, dtype);
  }

  /** Releases the accumulator's storage; later calls throw. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const M of [this.sum, this.stage, this.part, this.wide]) M?.free();
  }

  private live(fn: string): void {
    if (this.freed) throw rangeError(fn, 'this', 'a freed accumulator', 'an accumulator that has not been freed');
  }

  /** A batch already in backend storage: checked there, then copied (and converted) chunk by chunk. */
  private async addMatrix(fn: string, X: Matrix): Promise<void> {
    if (X.storage.released) throw rangeError(fn, 'X', X, 'a matrix that has not been freed');
    if (X.dtype !== 'float32' && X.dtype !== 'float64') throw typeError(fn, 'X', X, 'a float32 or float64 matrix');
    if (X.cols !== this.cols) throw rangeError(fn, 'X', X, `${this.cols} columns (the accumulator's inputs)`);
    const bad = await this.la.firstNonFinite(X);
    if (bad) throw rangeError(fn, `X[${bad[0]}, ${bad[1]}]`, 'a non-finite value', 'a finite number');
    for (let r = 0; r < X.rows;) {
      const n = Math.min(X.rows - r, this.stage.rows - this.staged);
      await this.la.copy(X.view(r, 0, n, this.cols), this.stage.view(this.staged, 0, n, this.cols));
      r += n;
      this.staged += n;
      if (this.staged === this.stage.rows) await this.flush();
    }
    this.count += X.rows;
  }

  /** A batch of plain data: checked on the host (it is host data), then written chunk by chunk. */
  private async addData(fn: string, X: unknown): Promise<void> {
    if (typeof X !== 'object' || X === null) throw typeError(fn, 'X', X, 'a Matrix or { data, rows, cols }');
    const b = X as Partial<InputBatch>;
    const rows = checkInt(fn, 'X.rows', b.rows);
    checkInt(fn, 'X.cols', b.cols);
    const c = this.cols;
    if (b.cols !== c) throw rangeError(fn, 'X.cols', b.cols, `${c} (the accumulator's inputs)`);
    const data = b.data;
    if (data == null || typeof data !== 'object' || typeof data.length !== 'number') throw typeError(fn, 'X.data', data, 'an array of numbers');
    if (data.length !== rows * c) throw rangeError(fn, 'X.data', `length ${data.length}`, `length rows * cols = ${rows * c}`);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw rangeError(fn, `X[${Math.floor(i / c)}, ${i % c}]`, v, 'a finite number');
    }
    const flat = ArrayBuffer.isView(data) ? (data as unknown as Float64Array) : Float64Array.from(data);
    for (let r = 0; r < rows;) {
      const n = Math.min(rows - r, this.stage.rows - this.staged);
      this.la.write(this.stage.view(this.staged, 0, n, c), flat.subarray(r * c, (r + n) * c));
      r += n;
      this.staged += n;
      if (this.staged === this.stage.rows) await this.flush();
    }
    this.count += rows;
  }

  /** Adds the staged rows' XᵀX into the float64 sum. */
  private async flush(): Promise<void> {
    if (this.staged === 0) return;
    const X = this.stage.view(0, 0, this.staged, this.cols);
    this.staged = 0;
    if (this.part === null) {
      await this.la.syrk(X as Matrix<'float64'>, this.sum, { beta: 1 });
    } else {
      await this.la.syrk(X, this.part);
      await this.la.copy(this.part, this.wide!);
      await this.la.axpby(1, this.wide!, 1, this.sum);
    }
  }
}

/** True for a HessianAccumulator (for callers that accept a Matrix or an accumulator). */
export function isAccumulator(x: unknown): x is HessianAccumulator {
  return x instanceof HessianAccumulator;
}
