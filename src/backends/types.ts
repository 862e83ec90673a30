import type { Matrix, Storage } from '../core/matrix.js';

/** Which triangle of a square matrix a kernel reads or writes. */
export type Uplo = 'lower' | 'upper';
/** Which side a triangular matrix multiplies from in trsm. */
export type Side = 'left' | 'right';

/**
 * What every backend provides: storage and the dense kernels, one method each. Arguments are
 * already validated by the public functions in src/linalg (shapes, dtypes, ranges), so a backend
 * only computes. Every matrix passed to one call has the same dtype; a backend dispatches on it
 * (the s- and d- kernels of the Wasm module). Results are written in place.
 */
export interface KernelBackend {
  /** Registry name, e.g. 'wasm-relaxed', 'wasm-simd', 'reference'. */
  readonly name: string;
  /** Zero-filled storage of byteLength bytes owned by this backend. */
  allocate(byteLength: number): Storage;
  /** C = alpha * op(A) * op(B) + beta * C. */
  gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): void;
  /**
   * Solves op(A) X = alpha B (side 'left') or X op(A) = alpha B (side 'right'); X overwrites B.
   * A is triangular and only its `uplo` triangle is read; `unit` takes its diagonal as ones.
   */
  trsm(side: Side, uplo: Uplo, transA: boolean, unit: boolean, alpha: number, A: Matrix, B: Matrix): void;
  /** Solves op(A) x = b in place; x is an n x 1 or 1 x n matrix. */
  trsv(uplo: Uplo, trans: boolean, unit: boolean, A: Matrix, x: Matrix): void;
  /** Cholesky A = L Lᵀ in place (lower read, strict upper zeroed); returns LAPACK info. */
  potrf(A: Matrix): number;
  /** A := A⁻¹ for SPD A (lower read, both triangles written); returns LAPACK info. */
  potri(A: Matrix): number;
  /** A := U upper with A⁻¹ = Uᵀ U (lower read, strict lower zeroed); returns info. */
  invchol(A: Matrix): number;
  /** C = alpha * XᵀX + beta * C (trans) or alpha * X Xᵀ + beta * C; lower triangle computed, then mirrored. */
  syrk(trans: boolean, alpha: number, X: Matrix, beta: number, C: Matrix): void;
  /** λ_max of a symmetric PSD A by power iteration from the seed's start vector. */
  lammax(A: Matrix, maxIterations: number, tolerance: number, seed: number): LammaxResult;
  /**
   * Writes to out (length k) the indices of the k entries of the vector x (n x 1 or 1 x n) with the
   * largest |x_i| (or x_i when byValue), ties to the smaller index, in ascending order. Returns -1,
   * or the index of the first NaN in x (out is then unspecified).
   */
  topk(x: Matrix, k: number, byValue: boolean, out: Int32Array): number;
  /** OBS downdate of a symmetric Hinv at p (Hinv[p, p] finite and positive, checked by the caller). */
  downdate(Hinv: Matrix, p: number): void;
  /** Releases everything the backend holds (its Wasm memory); later calls fail. */
  dispose(): void;
}

/** What power iteration reports. */
export interface LammaxResult {
  /** The estimate of λ_max (the last Rayleigh quotient). */
  value: number;
  /** Matrix-vector products done. */
  iterations: number;
  /** True when the estimate changed by at most tolerance · |value| in the last iteration. */
  converged: boolean;
}

/** How a backend is made: lazily, once, by the registry. */
export type BackendFactory = () => Promise<KernelBackend>;
