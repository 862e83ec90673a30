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
  /**
   * Writes a keep-mask (1 = kept, 0 = pruned; row-major rows x cols bytes) for W under `rule`, from
   * the score s_ij = W_ij² · colWeight_j (colWeight a 1 x cols or cols x 1 matrix; null reads as all
   * ones). Magnitude passes null, Wanda diag(H), one-shot OBS saliency 1/diag(H⁻¹). Among equal
   * scores the smaller column (then row) index is kept. W holds finite values (checked by callers).
   */
  selectMask(W: Matrix, colWeight: Matrix | null, rule: MaskRule, mask: Uint8Array): void;
  /**
   * Greedy OBS removal (OBC, exact per step) on every row of W, each row with its own copy of the
   * symmetric Hinv (cols x cols, both triangles read, not written). For row r it removes counts[r]
   * entries one at a time: the eligible p with the least w_p² / Hinv[p,p] (ties to the smaller p),
   * then w −= (w_p / Hinv[p,p]) · Hinv[:,p] (w_p becomes exactly 0) and the copy is downdated at p.
   * With groupSize m > 0 (cols a multiple of m), at most groupPrune entries of each group of m
   * consecutive columns may be removed. W is overwritten with the compensated weights; mask gets
   * 1 = kept; losses (rows x lossStride, or null) gets the increase of (w−ŵ)ᵀH(w−ŵ) at each step,
   * w_p² / Hinv[p,p], in order. Returns -1, or the first row where a pivot was not positive.
   */
  obsGreedy(W: Matrix, Hinv: Matrix, counts: Int32Array, groupSize: number, groupPrune: number, mask: Uint8Array, losses: Float64Array | null, lossStride: number): number;
  /**
   * Exact re-solve on a support, row by row: with S = {j : mask[r·cols + j] = 1}, solves
   * H[S,S] x = B[r,S] and writes x to X[r,S] and 0 to the rest of row r. H is symmetric (both
   * triangles read) and must be positive definite on every S (the caller damps it). X may be B.
   * Returns -1, or the first row whose H[S,S] has no Cholesky factor (that row is then unspecified).
   */
  solveOnSupport(H: Matrix, B: Matrix, mask: Uint8Array, X: Matrix): number;
  /**
   * Starts masked preconditioned CG on every row at once (the batched form of solveOnSupport).
   * On entry X is the start (0 off the mask) and R holds B − X·H. With S_r the row's support, for
   * each row: bb = ‖B[r,S]‖², R[r] := R[r] on S and 0 elsewhere, rr = ‖R[r]‖², P[r] := dinv ⊙ R[r]
   * (dinv: 1 x cols or cols x 1, the Jacobi preconditioner 1/H_jj), rz = R[r]·P[r]. state
   * (rows x 4 float64: rz, rr, bb, status) gets status 1 (active) or 0 (converged:
   * rr ≤ tolerance²·bb; a row with bb = 0 has X, R and P zeroed). Returns the active rows.
   */
  pcgStart(X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Uint8Array, dinv: Matrix, tolerance: number, state: Float64Array): number;
  /**
   * One masked PCG iteration for every active row (status 1), after the caller has formed
   * Q = P·H: α = rz / (P[r]·Q[r]); X[r] += α P[r]; R[r] −= α Q[r] on S; rr = ‖R[r]‖²; when
   * rr ≤ tolerance²·bb the row is converged (status 0), else z = dinv ⊙ R[r], β = (R[r]·z)/rz,
   * P[r] := z + β P[r], rz = R[r]·z. A row whose P·Q is not positive or whose α is not finite stops
   * with status 2 and is left as it was. Sums are accumulated in float64. Returns the active rows.
   */
  pcgStep(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Uint8Array, dinv: Matrix, tolerance: number, state: Float64Array): number;
  /** Releases everything the backend holds (its Wasm memory); later calls fail. */
  dispose(): void;
}

/**
 * Which entries a keep-mask keeps, as the kernels see it: the `keep` largest scores of the whole
 * matrix ('layer'), of every row ('row'), or the n largest of every m consecutive columns of each
 * row ('nm'; cols a multiple of m).
 */
export type MaskRule =
  | { kind: 'layer'; keep: number }
  | { kind: 'row'; keep: number }
  | { kind: 'nm'; n: number; m: number };

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
