// The public face of the kernels: a Linalg object made by init() holds one backend, makes
// matrices in that backend's memory, and exposes each kernel under its BLAS/LAPACK name.
// Each kernel's validation lives in its own file beside this one.
import type { DType } from '../core/dtype.js';
import { arrayType, bytesPer, isDType } from '../core/dtype.js';
import { checkInt, rangeError, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import type { KernelBackend } from '../backends/types.js';
import { gemm, type GemmOptions } from './gemm.js';

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

  /** Releases the backend's memory; matrices made here are unusable afterwards. */
  dispose(): void {
    this.backend.dispose();
  }
}
