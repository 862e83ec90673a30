import type { StorageArray } from '../core/dtype.js';
import type { Mask, Matrix, Storage } from '../core/matrix.js';

/**
 * A kernel's result: a value now (host backends) or a promise of it (device backends, whose
 * results need a readback). The facade awaits every call, so callers see one async API.
 */
export type Async<T> = T | Promise<T>;

/** Which triangle of a square matrix a kernel reads or writes. */
export type Uplo = 'lower' | 'upper';
/** Which side a triangular matrix multiplies from in trsm. */
export type Side = 'left' | 'right';

/**
 * What every backend provides: storage, the one doorway between host and backend memory
 * (read / write), and the kernels, one method each. Arguments are already validated by the
 * facade (src/linalg: shapes, dtypes, ranges, aliasing), so a backend only computes. Unless a
 * kernel says otherwise, every float matrix passed to one call has the same compute dtype
 * (float32 or float64) and a backend dispatches on it (the s- and d- kernels of the Wasm module).
 * Keep-masks are uint8 matrices (1 = kept, 0 = pruned), counts and indices int32 matrices, CG
 * state and step losses float64 matrices: all in backend storage, never JS arrays. Matrices may be
 * strided views unless a kernel asks for contiguous rows. Results are written in place.
 *
 * Any method may return a promise (Async); the facade awaits each call in order.
 */
/** What KernelBackend.lost reports of a lost device. */
export interface DeviceLoss {
  /** The device's own words, e.g. 'unknown: the GPU was reset'. */
  reason: string;
  /** A host backend (Wasm) that takes over; the caller disposes it. */
  host: KernelBackend;
}

/** The greedy trajectories of KernelBackend.obsExchange, each rows x steps, contiguous. */
export interface ExchangeTrajectories {
  addGain: Matrix<'float64'>;
  addIndex: Matrix<'int32'>;
  removeCost: Matrix<'float64'>;
  removeIndex: Matrix<'int32'>;
}

export interface KernelBackend {
  /** Registry name, e.g. 'wasm-relaxed', 'wasm-simd', 'reference'. */
  readonly name: string;
  /** Zero-filled storage of byteLength bytes owned by this backend. */
  allocate(byteLength: number): Storage;
  /** Bytes of storage currently allocated and not released (for leak checks). */
  liveBytes(): number;
  /** The most bytes allocated at once (workspace included) since the backend was made or resetPeak() was called. */
  peakBytes(): number;
  /** Starts a new peak from what is allocated now. */
  resetPeak(): void;
  /** A compact row-major copy of M's values in a new typed array of M's dtype (the host read). */
  read(M: Matrix<any>): Async<StorageArray>;
  /** Writes rows * cols row-major values into M (the host write; values already checked to be numbers). */
  write(M: Matrix<any>, values: ArrayLike<number>): void;
  /**
   * Host backends only (leave it out on a device): the live bytes of a contiguous M in host
   * memory, native byte order, for reading a file straight into storage or writing one straight
   * out of it. Valid only until the next allocation (a Wasm memory may grow and move).
   */
  hostBytes?(M: Matrix<any>): Uint8Array;

  // ---- elementwise and reduction kernels ----------------------------------------------------
  /**
   * B := A elementwise, same shape, both possibly strided views. Same dtype: any dtype. Different
   * dtypes: float conversion between float16, bfloat16, float32 and float64 (round to nearest
   * even when narrowing; float16 overflows to ±Inf, NaN stays NaN). A and B do not overlap.
   */
  copy(A: Matrix<any>, B: Matrix<any>): Async<void>;
  /** A := value in every element (any dtype; value is representable in it). */
  fill(A: Matrix<any>, value: number): Async<void>;
  /** A[j, j] += alpha for j < min(rows, cols). */
  addDiagonal(A: Matrix, alpha: number): Async<void>;
  /** x_j := A[j, j] ('copy') or 1 / A[j, j] ('reciprocal'); x is 1 x n or n x 1, n = min(rows, cols) of A; dtypes may differ. */
  diagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): Async<void>;
  /**
   * Dead inputs of a square H: dead_j := 1 where H[j, j] = 0 (else 0) and those H[j, j] := 1.
   * dead is a 1 x n uint8 matrix. Returns the number of dead inputs.
   */
  deadInputs(H: Matrix, dead: Mask): Async<number>;
  /** A[:, j] := 0 for every column with cols_j ≠ 0 (cols: 1 x A.cols uint8). */
  zeroColumns(A: Matrix, cols: Mask): Async<void>;
  /**
   * x_j := (AᵀA)_jj = Σ_i A[i, j]², or its reciprocal (x: 1 x cols or cols x 1, A's dtype), summed
   * in float64 and rounded once: diag(H⁻¹) from U with H⁻¹ = UᵀU.
   */
  gramDiagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): Async<void>;
  /** A[i, :] := x_i · A[i, :] (x: 1 x rows or rows x 1, stride 1 as a row or A's dtype), each product rounded once to A's dtype. */
  scaleRows(A: Matrix, x: Matrix): Async<void>;
  /** Y := alpha X + beta Y (same shape and dtype; beta = 0 overwrites Y, NaN in Y does not survive). */
  axpby(alpha: number, X: Matrix, beta: number, Y: Matrix): Async<void>;
  /** A[i, j] := 0 where mask[i, j] = 0 (mask: A's shape, uint8). */
  applyMask(A: Matrix, mask: Mask): Async<void>;
  /** Row-major index i·cols + j of the first element of A that is NaN or ±Inf, or -1. */
  firstNonFinite(A: Matrix): Async<number>;
  /** Σ A_ij B_ij accumulated in float64 (same shape; dtypes may differ). */
  dot(A: Matrix, B: Matrix): Async<number>;
  /**
   * The layer objective tr((W − X) H (W − X)ᵀ) in float64: W, X rows x cols of one dtype (X null
   * reads as 0, giving tr(W H Wᵀ)), H cols x cols float64 (both triangles read). Evaluated in
   * blocks of rows, each block's W − X formed in float64, multiplied by H and summed in float64.
   */
  objective(W: Matrix, X: Matrix | null, H: Matrix<'float64'>): Async<number>;
  /**
   * First row-major index i·n + j (i > j) where a square H is not symmetric within tolerance:
   * |H_ij − H_ji| > tolerance · (√|H_ii H_jj| + |H_ij| + |H_ji|); or -1.
   */
  symmetryViolation(H: Matrix, tolerance: number): Async<number>;

  // ---- mask kernels ---------------------------------------------------------------------------
  /**
   * Kept entries of every row of mask into rowCounts (rows x 1 int32); returns the largest number
   * kept in any group of `groupSize` consecutive columns of a row (0 when groupSize is 0; cols a
   * multiple of groupSize otherwise).
   */
  maskCounts(mask: Mask, groupSize: number, rowCounts: Matrix<'int32'>): Async<number>;
  /** Positions where two masks of one shape differ. */
  maskDifference(a: Mask, b: Mask): Async<number>;
  /** Row-major index of the first (i, j) with mask 0 and W[i, j] ≠ 0 (W not zero where pruned), or -1. */
  maskViolation(W: Matrix, mask: Mask): Async<number>;
  /**
   * OBC's global allocation: the `total` smallest entries of losses (rows x steps float64; ties to
   * the smaller row-major index) are chosen, and rowCounts[r] (rows x 1 int32) := how many of row
   * r's were chosen. Returns the sum of the chosen losses in float64 (NaN when losses hold NaN).
   */
  obcAllocate(losses: Matrix<'float64'>, total: number, rowCounts: Matrix<'int32'>): Async<number>;

  /** C = alpha * op(A) * op(B) + beta * C. */
  gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): Async<void>;
  /**
   * Solves op(A) X = alpha B (side 'left') or X op(A) = alpha B (side 'right'); X overwrites B.
   * A is triangular and only its `uplo` triangle is read; `unit` takes its diagonal as ones.
   */
  trsm(side: Side, uplo: Uplo, transA: boolean, unit: boolean, alpha: number, A: Matrix, B: Matrix): Async<void>;
  /** Solves op(A) x = b in place; x is an n x 1 or 1 x n matrix. */
  trsv(uplo: Uplo, trans: boolean, unit: boolean, A: Matrix, x: Matrix): Async<void>;
  /** Cholesky A = L Lᵀ in place (lower read, strict upper zeroed); returns LAPACK info. */
  potrf(A: Matrix): Async<number>;
  /** A := A⁻¹ for SPD A (lower read, both triangles written); returns LAPACK info. */
  potri(A: Matrix): Async<number>;
  /** A := U upper with A⁻¹ = Uᵀ U (lower read, strict lower zeroed); returns info. */
  invchol(A: Matrix): Async<number>;
  /** C = alpha * XᵀX + beta * C (trans) or alpha * X Xᵀ + beta * C; lower triangle computed, then mirrored. */
  syrk(trans: boolean, alpha: number, X: Matrix, beta: number, C: Matrix): Async<void>;
  /** λ_max of a symmetric PSD A by power iteration from the seed's start vector. */
  lammax(A: Matrix, maxIterations: number, tolerance: number, seed: number): Async<LammaxResult>;
  /**
   * Writes to out (an int32 k x 1 or 1 x k matrix) the indices of the k entries of the vector x
   * (n x 1 or 1 x n) with the largest |x_i| (or x_i when byValue), ties to the smaller index, in
   * ascending order. Returns -1, or the index of the first NaN in x (out is then unspecified).
   */
  topk(x: Matrix, k: number, byValue: boolean, out: Matrix<'int32'>): Async<number>;
  /** OBS downdate of a symmetric Hinv at p (Hinv[p, p] finite and positive, checked by the caller). */
  downdate(Hinv: Matrix, p: number): Async<void>;
  /**
   * Writes a keep-mask (rows x cols uint8, contiguous: 1 = kept, 0 = pruned) for W under `rule`, from
   * the score s_ij = W_ij² · colWeight_j (colWeight a 1 x cols or cols x 1 matrix; null reads as all
   * ones). Magnitude passes null, Wanda diag(H), one-shot OBS saliency 1/diag(H⁻¹). Among equal
   * scores the smaller row-major index r·cols + j is kept. W holds finite values (checked by callers).
   */
  selectMask(W: Matrix, colWeight: Matrix | null, rule: MaskRule, mask: Mask): Async<void>;
  /**
   * Greedy OBS removal (OBC, exact per step) on every row of W, each row with its own copy of the
   * symmetric Hinv (cols x cols, both triangles read, not written). For row r it removes counts[r]
   * entries one at a time: the eligible p with the least w_p² / Hinv[p,p] (ties to the smaller p),
   * then w −= (w_p / Hinv[p,p]) · Hinv[:,p] (w_p becomes exactly 0) and the copy is downdated at p.
   * With groupSize m > 0 (cols a multiple of m), at most groupPrune entries of each group of m
   * consecutive columns may be removed. W is overwritten with the compensated weights; mask gets
   * 1 = kept (rows x cols uint8, contiguous); counts is rows x 1 int32; losses (rows x steps
   * float64, contiguous, steps ≥ every count; or null) gets the increase of (w−ŵ)ᵀH(w−ŵ) at each
   * step, w_p² / Hinv[p,p], in order. Returns -1, or the first row where a pivot was not positive.
   */
  obsGreedy(W: Matrix, Hinv: Matrix, counts: Matrix<'int32'>, groupSize: number, groupPrune: number, mask: Mask, losses: Matrix<'float64'> | null): Async<number>;
  /**
   * Exact re-solve on a support, row by row (mask rows x cols uint8, contiguous): with S = {j : mask[r, j] = 1}, solves
   * H[S,S] x = B[r,S] and writes x to X[r,S] and 0 to the rest of row r. H is symmetric (both
   * triangles read) and must be positive definite on every S (the caller damps it). X may be B.
   * Returns -1, or the first row whose H[S,S] has no Cholesky factor (that row is then unspecified).
   */
  solveOnSupport(H: Matrix, B: Matrix, mask: Mask, X: Matrix): Async<number>;
  /**
   * Exchange search on supports by exact OBS costs, row by row (I-OBS's reselection; ALGORITHMS.md
   * §2). For each row r with todo[r] ≠ 0 (todo rows x 1 int32): with S the kept columns of mask row
   * r and x the optimum of f(x) = (x − w)ᵀH(x − w) on S (b = B[r] = H w), the best swap of one
   * kept for one pruned column (with groupSize m > 0, within one group of m consecutive columns)
   * by its exact change of f is applied to the mask while it lowers f by more than 1e-11 of bᵀx,
   * at most maxSwaps times; swaps[r] (rows x 1 int32) gets how many. With trajectories (each rows
   * x steps, contiguous), the row's greedy additions from there are recorded (addGain: the
   * decrease of f, addIndex: the column; 0 / −1 once no column is left) and, from the same state,
   * its greedy removals (removeCost: the increase x_a² / [H[S,S]⁻¹]_aa, removeIndex; +Inf / −1
   * once S is empty). H is cols x cols float64, symmetric positive definite (pass the damped
   * Hessian); B rows x cols float64; mask rows x cols uint8, contiguous. Rows with todo[r] = 0 are
   * not touched. Returns -1, or the first row whose H[S,S] has no Cholesky factor or whose pivot
   * was not positive (its mask row may then hold some of its swaps).
   */
  obsExchange(H: Matrix<'float64'>, B: Matrix<'float64'>, mask: Mask, todo: Matrix<'int32'>, groupSize: number, maxSwaps: number,
    swaps: Matrix<'int32'>, trajectories: ExchangeTrajectories | null): Async<number>;
  /**
   * Pairs the trajectories of obsExchange across rows: while the largest next addition gain of a
   * row exceeds the least next removal cost of another row (by more than 1e-12 of the gain), the
   * addition's column is set in the mask and the removal's cleared; a row that adds only adds, one
   * that removes only removes. Ties go to the smaller row; an index outside [0, cols) counts as no
   * candidate. changed (rows x 1 int32) gets +q for q
   * additions, −q for q removals, 0 for rows untouched. Returns the number of exchanges.
   */
  obsExchangeAllocate(trajectories: ExchangeTrajectories, mask: Mask, changed: Matrix<'int32'>): Async<number>;
  /**
   * SparseGPT's column loop over one block of b columns (IST-DASLab/sparsegpt `fasterprune`, the
   * inner loop). W1 is the rows x b block of the weight (a view; updated in place), U1 the b x b
   * diagonal block of U, the upper Cholesky factor of the damped H⁻¹ (H⁻¹ = UᵀU; only the upper
   * triangle is read). The keep-mask of the block (rows x b uint8, contiguous, 1 = kept) follows
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
  sparsegptBlock(W1: Matrix, U1: Matrix, rule: MaskRule, Err1: Matrix, mask: Mask): Async<number>;
  /**
   * Starts masked preconditioned CG on every row at once (the batched form of solveOnSupport).
   * On entry X is the start (0 off the mask) and R holds B − X·H. With S_r the row's support, for
   * each row: bb = ‖B[r,S]‖², R[r] := R[r] on S and 0 elsewhere, rr = ‖R[r]‖², P[r] := dinv ⊙ R[r]
   * (dinv: 1 x cols or cols x 1, the Jacobi preconditioner 1/H_jj), rz = R[r]·P[r]. state
   * (rows x 4 float64 matrix, contiguous: rz, rr, bb, status) gets status 1 (active) or 0 (converged:
   * rr ≤ tolerance²·bb; a row with bb = 0 has X, R and P zeroed). Returns the active rows.
   */
  pcgStart(X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): Async<number>;
  /**
   * One masked PCG iteration for every active row (status 1), after the caller has formed
   * Q = P·H: α = rz / (P[r]·Q[r]); X[r] += α P[r]; R[r] −= α Q[r] on S; rr = ‖R[r]‖²; when
   * rr ≤ tolerance²·bb the row is converged (status 0), else z = dinv ⊙ R[r], β = (R[r]·z)/rz,
   * P[r] := z + β P[r], rz = R[r]·z. A row whose P·Q is not positive or whose α is not finite stops
   * with status 2 and is left as it was. Sums are accumulated in float64. Returns the active rows.
   */
  pcgStep(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): Async<number>;
  /**
   * The first half of pcgStep, for preconditioners beyond Jacobi: for every active row, given
   * Q = P·H, α = rz / (P[r]·Q[r]); X[r] += α P[r]; R[r] −= α Q[r] on S; rr = ‖R[r]‖²; status 0
   * when rr ≤ tolerance²·bb, 2 when P·Q is not positive or α not finite (row left as it was).
   * rz is not changed. Returns the rows still active.
   */
  pcgUpdate(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, tolerance: number, state: Matrix<'float64'>): Async<number>;
  /**
   * The second half: for every active row, z = dinv ⊙ R[r] − (C[r] on S; nothing when C is null),
   * rz' = R[r]·z, P[r] := z when restart, else z + (rz'/rz) P[r]; rz := rz'. A row whose rz' is
   * not positive and finite (the preconditioner is not positive definite on it) gets status 2
   * and is left as it was. pcgStep is pcgUpdate then pcgDirection(R, null, P, …, false).
   * Returns the rows still active.
   */
  pcgDirection(R: Matrix, C: Matrix | null, P: Matrix, mask: Mask, dinv: Matrix, restart: boolean, state: Matrix<'float64'>): Async<number>;

  // ---- transformer kernels (the Llama forward pass) ------------------------------------------
  /**
   * Y[i, :] := X[i, :] / sqrt(mean_j X[i, j]² + eps) ⊙ weight (Llama's RMSNorm), in float64 with
   * each element rounded once. weight is a 1 x cols or cols x 1 vector; X, weight and Y share one
   * dtype; Y has X's shape and is X itself or does not overlap it.
   */
  rmsNorm(X: Matrix, weight: Matrix, eps: number, Y: Matrix): Async<void>;
  /**
   * Rotary position embedding in place, Hugging Face's rotate_half convention. X is rows x
   * (heads·headDim), headDim even; in each head, element i < headDim/2 pairs with i + headDim/2 and
   * the pair (x1, x2) becomes (x1 cos a − x2 sin a, x2 cos a + x1 sin a), a = p · theta^(−2i/headDim),
   * p the row's position: positions[r] (an int32 vector of X.rows) when given, else start + r.
   * Angles, cosines and sines in float64.
   */
  rotary(X: Matrix, headDim: number, theta: number, start: number, positions: Matrix<'int32'> | null): Async<void>;
  /**
   * Row softmax of scale · S in place, about each row's largest value, in float64. With causal,
   * row r keeps columns j ≤ r + offset and the rest become 0 (a row keeping none is all 0).
   */
  softmaxRows(S: Matrix, scale: number, causal: boolean, offset: number): Async<void>;
  /** Y := silu(G) ⊙ U, silu(g) = g / (1 + e^(−g)), in float64; one shape and dtype; Y is G, U, or overlaps neither. */
  siluGate(G: Matrix, U: Matrix, Y: Matrix): Async<void>;
  /**
   * Y[t, :] := E[ids[t], :] (an embedding lookup) for t < ids.size; ids an int32 vector, Y
   * ids.size x E.cols of E's dtype, not overlapping E. Returns -1, or the first t whose id is not
   * in [0, E.rows), in which case Y is left untouched.
   */
  gather(E: Matrix, ids: Matrix<'int32'>, Y: Matrix): Async<number>;
  /**
   * Σ_t (log Σ_j exp L[t, j] − L[t, targets[t]]) over the rows of logits L, each log-sum-exp about
   * the row's largest logit, all in float64; targets an int32 vector of L.rows. When a target is not
   * in [0, L.cols), invalid is its row and sum is NaN.
   */
  crossEntropy(logits: Matrix, targets: Matrix<'int32'>): Async<CrossEntropyResult>;

  // ---- neural-network layout kernels ------------------------------------------------------------
  /**
   * P := im2col(X) for a 2-D convolution of geometry g (already checked by the facade): X holds
   * g.images images as rows of channels·height·width values in C order; P ((images·outHeight·
   * outWidth) x (channels·kernelHeight·kernelWidth), same dtype, not overlapping X) gets one row
   * per output position, row (b·outHeight + oy)·outWidth + ox, whose column (c·kh + ky)·kw + kx is
   * X[b, c, oy·strideHeight − padTop + ky·dilationHeight, ox·strideWidth − padLeft + kx·dilationWidth],
   * or 0 in the padding. The columns follow a Conv weight's [out, C, kh, kw] flattening, so the
   * convolution is P Wᵀ. Values are copied exactly.
   */
  im2col(X: Matrix, P: Matrix, g: Im2colGeometry): Async<void>;

  /** Device backends: resolves when all work queued so far has finished (host backends leave it out). */
  finish?(): Promise<void>;

  /**
   * Device backends: null while the device works; once it is lost, why, and a host backend to go
   * on with (the caller owns it from then: the lost backend no longer disposes it). Every matrix of
   * the lost backend is gone. Host backends leave it out.
   */
  lost?(): Promise<DeviceLoss | null>;

  /** Releases everything the backend holds (its Wasm memory); later calls fail. */
  dispose(): void;
}

/**
 * A 2-D convolution's geometry with every field resolved (what the im2col kernel receives):
 * outHeight = ⌊(height + padTop + padBottom − dilationHeight·(kernelHeight − 1) − 1) / strideHeight⌋ + 1,
 * and likewise outWidth.
 */
export interface Im2colGeometry {
  images: number;
  channels: number;
  height: number;
  width: number;
  kernelHeight: number;
  kernelWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
  dilationHeight: number;
  dilationWidth: number;
  outHeight: number;
  outWidth: number;
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

/** What the crossEntropy kernel reports. */
export interface CrossEntropyResult {
  /** The summed cross-entropy in float64 (NaN when a target was out of range). */
  sum: number;
  /** -1, or the first row whose target is out of range. */
  invalid: number;
}

/** How a backend is made: lazily, once, by the registry; `named` when the caller asked for it by name. */
export type BackendFactory = (context: { named: boolean }) => Promise<KernelBackend>;
