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
   * scores the smaller row-major index r·cols + j is kept. W holds finite values (checked by callers).
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
   * SparseGPT's column loop over one block of b columns (IST-DASLab/sparsegpt `fasterprune`, the
   * inner loop). W1 is the rows x b block of the weight (a view; updated in place), U1 the b x b
   * diagonal block of U, the upper Cholesky factor of the damped H⁻¹ (H⁻¹ = UᵀU; only the upper
   * triangle is read). The keep-mask of the block (row-major rows x b bytes, 1 = kept) follows
   * `rule`, with score s_rj = W1[r,j]² / U1[j,j]² (computed in float64):
   * - 'layer': the `keep` largest scores of the whole block are kept, the other rows·b − keep
   *   pruned, chosen before any update (the published threshold, with an exact count);
   * - 'row': the `keep` largest of every row, chosen before any update;
   * - 'nm' (b a multiple of m): at every column i with i % m == 0, the n largest scores of the
   *   CURRENT W1[r, i:i+m] (already updated by the earlier columns) are kept in each row.
   * Among equal scores the smaller index is kept (row-major r·b + j for 'layer', the column
   * otherwise). Then for i = 0 … b−1: e_r = W1[r,i] / U1[i,i] where (r, i) is pruned, else 0;
   * W1[r, i+1:] −= e_r · U1[i, i+1:]; pruned W1[r,i] := 0 exactly; Err1[r,i] := e_r. Err1 is
   * rows x b (written; the caller's lazy update is W[:, end:] −= Err1 · U[block, end:]).
   * Returns -1, or the first j where U1[j,j] is not finite and positive (nothing written then).
   * @example
   * // rows = 1, b = 2, U1 = I: prune the smaller |w|, no compensation reaches the other column.
   * be.sparsegptBlock(W1, U1, { kind: 'layer', keep: 1 }, Err1, mask);
   */
  sparsegptBlock(W1: Matrix, U1: Matrix, rule: MaskRule, Err1: Matrix, mask: Uint8Array): number;
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
