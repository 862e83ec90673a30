// The public face of the kernels: a Linalg object made by init() holds one backend, makes
// matrices in that backend's memory, and exposes each kernel under its BLAS/LAPACK name.
// Each kernel's validation lives in its own file beside this one.
import type { DType } from '../core/dtype.js';
import { arrayType, bytesPer, isDType } from '../core/dtype.js';
import { checkInt, rangeError, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import type { KernelBackend, LammaxResult } from '../backends/types.js';
import { cholesky } from './cholesky.js';
import { gemm, type GemmOptions } from './gemm.js';
import { trsm, type TrsmOptions } from './trsm.js';
import { trsv, type TrsvOptions } from './trsv.js';
import { downdate } from './downdate.js';
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
   * Triangular solve with many right-hand sides in float32 (BLAS strsm): op(A) X = alpha B
   * (side 'left') or X op(A) = alpha B (side 'right'); X overwrites B. A is square and only its
   * `uplo` triangle is read.
   * @example
   * const L = la.fromArray([2, 0, 1, 4], 2, 2), B = la.fromArray([2, 4, 9, 10], 2, 2);
   * la.strsm(L, B);                                   // B = [[1, 2], [2, 2]]
   * la.strsm(L, B, { side: 'right', transA: true });  // solves X Lᵀ = B
   */
  strsm(A: Matrix<'float32'>, B: Matrix<'float32'>, options?: TrsmOptions): void {
    trsm(this.backend, 'strsm', 'float32', A, B, options);
  }

  /** Triangular solve with many right-hand sides in float64 (BLAS dtrsm); options as strsm. */
  dtrsm(A: Matrix<'float64'>, B: Matrix<'float64'>, options?: TrsmOptions): void {
    trsm(this.backend, 'dtrsm', 'float64', A, B, options);
  }

  /**
   * Triangular solve op(A) x = b in place in float32 (BLAS strsv); x is an n x 1 or 1 x n matrix
   * holding b on entry and the solution on return. Only the `uplo` triangle of A is read.
   * @example
   * const U = la.fromArray([2, 1, 0, 4], 2, 2), x = la.fromArray([4, 8], 2, 1);
   * la.strsv(U, x, { uplo: 'upper' });                // x = [1, 2]
   */
  strsv(A: Matrix<'float32'>, x: Matrix<'float32'>, options?: TrsvOptions): void {
    trsv(this.backend, 'strsv', 'float32', A, x, options);
  }

  /** Triangular solve op(A) x = b in place in float64 (BLAS dtrsv); options as strsv. */
  dtrsv(A: Matrix<'float64'>, x: Matrix<'float64'>, options?: TrsvOptions): void {
    trsv(this.backend, 'dtrsv', 'float64', A, x, options);
  }

  /**
   * Cholesky factorization in float32 (LAPACK spotrf, lower): the SPD matrix A, of which only
   * the lower triangle is read, is overwritten by L with A = L Lᵀ; the strict upper triangle is
   * set to 0. Returns info: 0 on success, or j + 1 when the leading minor of order j + 1 is not
   * positive definite (a pivot <= 0, NaN or infinite); A is then partly overwritten and its
   * contents unspecified. No NaN is ever returned with info 0.
   * @example
   * const A = la.fromArray([4, 0, 2, 5], 2, 2);      // lower triangle of [[4, 2], [2, 5]]
   * la.spotrf(A);                                     // 0; A = [[2, 0], [1, 2]]
   */
  spotrf(A: Matrix<'float32'>): number {
    return cholesky(this.backend, 'potrf', 'spotrf', 'float32', A);
  }

  /** Cholesky factorization in float64 (LAPACK dpotrf, lower); as spotrf. */
  dpotrf(A: Matrix<'float64'>): number {
    return cholesky(this.backend, 'potrf', 'dpotrf', 'float64', A);
  }

  /**
   * Inverse of an SPD matrix in float32 via Cholesky (LAPACK spotrf + spotri): only the lower
   * triangle of A is read, and A is overwritten by the full symmetric A⁻¹. Returns info as
   * spotrf (on info > 0 the contents of A are unspecified).
   * @example
   * const A = la.fromArray([4, 0, 2, 5], 2, 2);
   * la.spotri(A);                                     // 0; A = [[5, -2], [-2, 4]] / 16
   */
  spotri(A: Matrix<'float32'>): number {
    return cholesky(this.backend, 'potri', 'spotri', 'float32', A);
  }

  /** Inverse of an SPD matrix in float64 via Cholesky; as spotri. */
  dpotri(A: Matrix<'float64'>): number {
    return cholesky(this.backend, 'potri', 'dpotri', 'float64', A);
  }

  /**
   * Upper Cholesky factor of the inverse in float32: A (SPD, lower triangle read) is overwritten
   * by the upper triangular U with A⁻¹ = Uᵀ U and positive diagonal; the strict lower triangle is
   * set to 0. This is SparseGPT's Hinv = cholesky(cholesky_inverse(cholesky(H)), upper=True),
   * computed without forming A⁻¹ (Cholesky of the order-reversed matrix, then a triangular
   * inverse). Returns 0, or k > 0 when A is not positive definite: the factorization runs from
   * the last row up and A[n-k:, n-k:] is the first trailing principal submatrix found not
   * positive definite (A is then unspecified).
   * @example
   * const H = la.fromArray([4, 0, 2, 5], 2, 2);
   * la.sinvchol(H);                                   // 0; H = U, upper, with Uᵀ U = H⁻¹
   */
  sinvchol(A: Matrix<'float32'>): number {
    return cholesky(this.backend, 'invchol', 'sinvchol', 'float32', A);
  }

  /** Upper Cholesky factor of the inverse in float64; as sinvchol. */
  dinvchol(A: Matrix<'float64'>): number {
    return cholesky(this.backend, 'invchol', 'dinvchol', 'float64', A);
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
