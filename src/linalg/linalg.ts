// The public face of the kernels: a Linalg object made by init() holds one backend, makes
// matrices in that backend's memory, and exposes each kernel under its BLAS/LAPACK name.
// Each kernel's validation lives in its own file beside this one.
import type { DType } from '../core/dtype.js';
import { arrayType, bytesPer, isDType } from '../core/dtype.js';
import { checkInt, rangeError, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import type { KernelBackend, LammaxResult } from '../backends/types.js';
import { downdate } from './downdate.js';
import { gemm, type GemmOptions } from './gemm.js';
import { lammax, type LammaxOptions } from './lammax.js';
import { syrk, type SyrkOptions } from './syrk.js';
import { topk, type TopkOptions } from './topk.js';

export class Linalg {
  constructor(
    /** The backend every call of this object runs on. */
    readonly backend: KernelBackend,
  ) {}

  /** Name of the backend in use ('wasm-relaxed', 'wasm-simd' or 'reference'). */
  get backendName(): string {
    return this.backend.name;
  }

  /**
   * A zero-filled rows x cols matrix in this backend's memory.
   * @example
   * const A = la.matrix(2, 2);          // float32
   * const H = la.matrix(3, 3, 'float64');
   */
  matrix<D extends DType = 'float32'>(rows: number, cols: number, dtype: D = 'float32' as D): Matrix<D> {
    checkInt('matrix', 'rows', rows);
    checkInt('matrix', 'cols', cols);
    if (!isDType(dtype)) throw typeError('matrix', 'dtype', dtype, "'float32' or 'float64'");
    return new Matrix(this.backend.allocate(rows * cols * bytesPer(dtype)), dtype, rows, cols);
  }

  /**
   * A matrix holding a copy of row-major values.
   * @example
   * const A = la.fromArray([1, 2, 3, 4, 5, 6], 2, 3);   // [[1, 2, 3], [4, 5, 6]]
   */
  fromArray<D extends DType = 'float32'>(values: ArrayLike<number>, rows: number, cols: number, dtype: D = 'float32' as D): Matrix<D> {
    if (values == null || typeof values.length !== 'number') throw typeError('fromArray', 'values', values, 'an array of numbers');
    checkInt('fromArray', 'rows', rows);
    checkInt('fromArray', 'cols', cols);
    if (values.length !== rows * cols) {
      throw rangeError('fromArray', 'values', `length ${values.length}`, `length rows * cols = ${rows * cols}`);
    }
    return this.matrix(rows, cols, dtype).assign(values);
  }

  /** A copy of any matrix (from this or another backend) in this backend's memory. */
  copy<D extends DType>(M: Matrix<D>): Matrix<D> {
    if (!(M instanceof Matrix)) throw typeError('copy', 'M', M, 'a Matrix');
    return this.matrix(M.rows, M.cols, M.dtype).assign(M.toArray());
  }

  /** A zero-filled vector (an n x 1 matrix). */
  vector<D extends DType = 'float32'>(n: number, dtype: D = 'float32' as D): Matrix<D> {
    return this.matrix(n, 1, dtype);
  }

  /** The typed array type for a dtype (Float32Array or Float64Array). */
  static arrayType(dtype: DType): Float32ArrayConstructor | Float64ArrayConstructor {
    return arrayType(dtype);
  }

  /**
   * C = alpha * op(A) * op(B) + beta * C in float32 (BLAS sgemm).
   * @example
   * const A = la.fromArray([1, 2, 3, 4], 2, 2), B = la.fromArray([5, 6, 7, 8], 2, 2);
   * const C = la.matrix(2, 2);
   * la.sgemm(A, B, C);               // C = [[19, 22], [43, 50]]
   * la.sgemm(A, B, C, { transA: true, beta: 1 });
   */
  sgemm(A: Matrix<'float32'>, B: Matrix<'float32'>, C: Matrix<'float32'>, options?: GemmOptions): void {
    gemm(this.backend, 'sgemm', 'float32', A, B, C, options);
  }

  /** C = alpha * op(A) * op(B) + beta * C in float64 (BLAS dgemm); options as sgemm. */
  dgemm(A: Matrix<'float64'>, B: Matrix<'float64'>, C: Matrix<'float64'>, options?: GemmOptions): void {
    gemm(this.backend, 'dgemm', 'float64', A, B, C, options);
  }

  /**
   * C = alpha · XᵀX + beta · C in float32 (BLAS ssyrk; options.trans = false gives alpha · X Xᵀ + beta · C).
   * The lower triangle is computed and mirrored, so C comes back full and symmetric; sums over
   * slices of 256 rows of X are accumulated in float64, so 100,000-row X keeps float32 accuracy.
   * @example
   * const X = la.fromArray([1, 2, 3, 4, 5, 6], 3, 2);   // 3 samples, 2 features
   * const H = la.matrix(2, 2);
   * la.ssyrk(X, H);                      // H = XᵀX = [[35, 44], [44, 56]]
   * la.ssyrk(X, H, { beta: 1 });         // H += XᵀX (the next batch)
   */
  ssyrk(X: Matrix<'float32'>, C: Matrix<'float32'>, options?: SyrkOptions): void {
    syrk(this.backend, 'ssyrk', 'float32', X, C, options);
  }

  /** C = alpha · XᵀX + beta · C in float64 (BLAS dsyrk); options as ssyrk. */
  dsyrk(X: Matrix<'float64'>, C: Matrix<'float64'>, options?: SyrkOptions): void {
    syrk(this.backend, 'dsyrk', 'float64', X, C, options);
  }

  /**
   * The largest eigenvalue of a symmetric positive semi-definite float32 matrix by power
   * iteration (e.g. the IHT step size 1/λ_max). The start vector is fixed by options.seed.
   * @example
   * const A = la.fromArray([2, 1, 1, 2], 2, 2);
   * la.slammax(A);                       // { value: ≈3, iterations: …, converged: true }
   * la.slammax(A, { tolerance: 1e-7, maxIterations: 50, seed: 7 });
   */
  slammax(A: Matrix<'float32'>, options?: LammaxOptions): LammaxResult {
    return lammax(this.backend, 'slammax', 'float32', A, options);
  }

  /** λ_max of a symmetric PSD float64 matrix by power iteration; options as slammax. */
  dlammax(A: Matrix<'float64'>, options?: LammaxOptions): LammaxResult {
    return lammax(this.backend, 'dlammax', 'float64', A, options);
  }

  /**
   * Indices (ascending) of the k entries of a float32 vector with the largest |x_i| — the support
   * of T_k(x). Equal scores go to the smaller index, so every backend picks the same set.
   * NaN in x is an error. options.by = 'value' ranks by the signed values instead.
   * @example
   * const x = la.fromArray([0.5, -3, 2, 0], 4, 1);
   * la.stopk(x, 2);                      // Int32Array [1, 2]
   * la.stopk(x, 2, { by: 'value' });     // Int32Array [0, 2]
   */
  stopk(x: Matrix<'float32'>, k: number, options?: TopkOptions): Int32Array {
    return topk(this.backend, 'stopk', 'float32', x, k, options);
  }

  /** Top-k indices of a float64 vector; as stopk. */
  dtopk(x: Matrix<'float64'>, k: number, options?: TopkOptions): Int32Array {
    return topk(this.backend, 'dtopk', 'float64', x, k, options);
  }

  /**
   * OBS removal of index p from a symmetric float32 inverse Hessian, in place:
   * Hinv ← Hinv − Hinv[:,p] Hinv[p,:] / Hinv[p,p]; row and column p become exactly 0, and the
   * rest equals the inverse of H with row and column p deleted. Hinv[p,p] must be finite and > 0.
   * @example
   * const Hinv = la.fromArray([2, 1, 1, 2], 2, 2);
   * la.sdowndate(Hinv, 0);               // Hinv = [[0, 0], [0, 1.5]]
   */
  sdowndate(Hinv: Matrix<'float32'>, p: number): void {
    downdate(this.backend, 'sdowndate', 'float32', Hinv, p);
  }

  /** OBS downdate of a symmetric float64 inverse Hessian at p; as sdowndate. */
  ddowndate(Hinv: Matrix<'float64'>, p: number): void {
    downdate(this.backend, 'ddowndate', 'float64', Hinv, p);
  }

  /** Releases the backend's memory; matrices made here are unusable afterwards. */
  dispose(): void {
    this.backend.dispose();
  }
}
