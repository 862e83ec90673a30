// The typed face of assembly/index.ts: one entry per export. Pointers and sizes are i32.

export interface KernelExports {
  heapBase(): number;
  sgemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, work: number): void;
  dgemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, work: number): void;
  sgemmWorkBytes(): number;
  dgemmWorkBytes(): number;
  strsm(side: number, uplo: number, transA: number, unit: number, m: number, n: number, alpha: number, a: number, lda: number, b: number, ldb: number, work: number): void;
  dtrsm(side: number, uplo: number, transA: number, unit: number, m: number, n: number, alpha: number, a: number, lda: number, b: number, ldb: number, work: number): void;
  strsmWorkBytes(): number;
  dtrsmWorkBytes(): number;
  strsv(uplo: number, trans: number, unit: number, n: number, a: number, lda: number, x: number, incx: number, work: number): void;
  dtrsv(uplo: number, trans: number, unit: number, n: number, a: number, lda: number, x: number, incx: number, work: number): void;
  strsvWorkBytes(n: number): number;
  dtrsvWorkBytes(n: number): number;
  spotrf(n: number, a: number, lda: number, work: number): number;
  dpotrf(n: number, a: number, lda: number, work: number): number;
  spotrfWorkBytes(): number;
  dpotrfWorkBytes(): number;
  spotri(n: number, a: number, lda: number, work: number): number;
  dpotri(n: number, a: number, lda: number, work: number): number;
  spotriWorkBytes(n: number): number;
  dpotriWorkBytes(n: number): number;
  sinvchol(n: number, a: number, lda: number, work: number): number;
  dinvchol(n: number, a: number, lda: number, work: number): number;
  sinvcholWorkBytes(n: number): number;
  dinvcholWorkBytes(n: number): number;
  ssyrk(trans: number, n: number, k: number, alpha: number, x: number, ldx: number, beta: number, c: number, ldc: number, work: number): void;
  dsyrk(trans: number, n: number, k: number, alpha: number, x: number, ldx: number, beta: number, c: number, ldc: number, work: number): void;
  ssyrkWorkBytes(): number;
  dsyrkWorkBytes(): number;
  /** Writes [value, iterations, converged] as three f64 at the start of work. */
  slammax(n: number, a: number, lda: number, maxIter: number, tol: number, seed: number, work: number): void;
  dlammax(n: number, a: number, lda: number, maxIter: number, tol: number, seed: number, work: number): void;
  slammaxWorkBytes(n: number): number;
  dlammaxWorkBytes(n: number): number;
  /** Writes the k chosen indices, ascending, as i32 at out; returns 0 or i + 1 for a NaN at x_i. */
  stopk(n: number, x: number, incx: number, k: number, byValue: number, out: number): number;
  dtopk(n: number, x: number, incx: number, k: number, byValue: number, out: number): number;
  stopkWorkBytes(n: number): number;
  dtopkWorkBytes(n: number): number;
  /** Returns 0, or 1 when a[p, p] is not finite and positive. */
  sdowndate(n: number, a: number, lda: number, p: number, work: number): number;
  ddowndate(n: number, a: number, lda: number, p: number, work: number): number;
  sdowndateWorkBytes(n: number): number;
  ddowndateWorkBytes(n: number): number;
  /** SparseGPT column loop of one block (kind 0 layer, 1 row, 2 nm); returns 0 or j + 1 for a bad U1[j, j]. */
  ssparsegpt(rows: number, b: number, w: number, ldw: number, u: number, ldu: number, kind: number, prune: number, m: number, err: number, lde: number, mask: number, work: number): number;
  dsparsegpt(rows: number, b: number, w: number, ldw: number, u: number, ldu: number, kind: number, prune: number, m: number, err: number, lde: number, mask: number, work: number): number;
  ssparsegptWorkBytes(rows: number, b: number, kind: number, m: number): number;
  dsparsegptWorkBytes(rows: number, b: number, kind: number, m: number): number;
  /** Masked PCG over all rows: start and one iteration; return the active rows (state: rows x 4 f64). */
  spcgStart(rows: number, cols: number, x: number, ldx: number, b: number, ldb: number, r: number, ldr: number, p: number, ldp: number, mask: number, dinv: number, tol: number, state: number): number;
  dpcgStart(rows: number, cols: number, x: number, ldx: number, b: number, ldb: number, r: number, ldr: number, p: number, ldp: number, mask: number, dinv: number, tol: number, state: number): number;
  spcgStep(rows: number, cols: number, x: number, ldx: number, r: number, ldr: number, p: number, ldp: number, q: number, ldq: number, mask: number, dinv: number, tol: number, state: number): number;
  dpcgStep(rows: number, cols: number, x: number, ldx: number, r: number, ldr: number, p: number, ldp: number, q: number, ldq: number, mask: number, dinv: number, tol: number, state: number): number;
  /** The two halves of a masked PCG iteration, for a preconditioner with a correction term (c = 0: none). */
  spcgUpdate(rows: number, cols: number, x: number, ldx: number, r: number, ldr: number, p: number, ldp: number, q: number, ldq: number, mask: number, tol: number, state: number): number;
  dpcgUpdate(rows: number, cols: number, x: number, ldx: number, r: number, ldr: number, p: number, ldp: number, q: number, ldq: number, mask: number, tol: number, state: number): number;
  spcgDirection(rows: number, cols: number, r: number, ldr: number, c: number, ldc: number, p: number, ldp: number, mask: number, dinv: number, restart: number, state: number): number;
  dpcgDirection(rows: number, cols: number, r: number, ldr: number, c: number, ldc: number, p: number, ldp: number, mask: number, dinv: number, restart: number, state: number): number;
  /** Keep-mask (rows·cols bytes at mask) from f64 scores W_ij²·weight_j; rule 0 layer, 1 row, 2 n:m (a = keep or n, b = m). */
  sselectMask(rows: number, cols: number, w: number, ldw: number, weight: number, incWeight: number, weighted: number, rule: number, a: number, b: number, mask: number, work: number): void;
  dselectMask(rows: number, cols: number, w: number, ldw: number, weight: number, incWeight: number, weighted: number, rule: number, a: number, b: number, mask: number, work: number): void;
  sselectMaskWorkBytes(rows: number, cols: number, rule: number): number;
  dselectMaskWorkBytes(rows: number, cols: number, rule: number): number;
  /** Greedy OBS removal per row; returns 0 or r + 1 for the first row with no positive pivot. */
  sobsGreedy(rows: number, c: number, w: number, ldw: number, hinv: number, ldh: number, counts: number, groupSize: number, groupPrune: number, mask: number, losses: number, lossStride: number, withLosses: number, work: number): number;
  dobsGreedy(rows: number, c: number, w: number, ldw: number, hinv: number, ldh: number, counts: number, groupSize: number, groupPrune: number, mask: number, losses: number, lossStride: number, withLosses: number, work: number): number;
  sobsGreedyWorkBytes(c: number, groupSize: number): number;
  dobsGreedyWorkBytes(c: number, groupSize: number): number;
  /** Row-wise H[S,S] x = B[r,S] on each mask row's support; returns 0 or r + 1 for the first row without a Cholesky factor. */
  ssolveOnSupport(rows: number, c: number, h: number, ldh: number, b: number, ldb: number, mask: number, x: number, ldx: number, work: number): number;
  dsolveOnSupport(rows: number, c: number, h: number, ldh: number, b: number, ldb: number, mask: number, x: number, ldx: number, work: number): number;
  ssolveOnSupportWorkBytes(c: number): number;
  dsolveOnSupportWorkBytes(c: number): number;
  // ---- elementwise, reduction and mask kernels (pointers + leading dimensions in elements) ----
  /** B := A for rows x cols elements of `size` bytes (1, 2, 4, 8): the same-dtype copy. */
  copyMatrix(rows: number, cols: number, size: number, a: number, lda: number, b: number, ldb: number): void;
  /** B := A converted; dtype codes 0 float32, 1 float64, 2 float16, 3 bfloat16 (round to nearest even). */
  convert(rows: number, cols: number, from: number, a: number, lda: number, to: number, b: number, ldb: number): void;
  /** Every element := the low `size` bytes of lo (or hi:lo for 8-byte elements). */
  fill(rows: number, cols: number, size: number, a: number, lda: number, lo: number, hi: number): void;
  /** A[j, j] += alpha for j < n (computed in float64). */
  saddDiagonal(n: number, alpha: number, a: number, lda: number): void;
  daddDiagonal(n: number, alpha: number, a: number, lda: number): void;
  /** x[j·incx] := A[j, j] or 1 / A[j, j] (reciprocal ≠ 0); prefix letters: A's dtype, then x's. */
  sdiagonal(n: number, a: number, lda: number, x: number, incx: number, reciprocal: number): void;
  ddiagonal(n: number, a: number, lda: number, x: number, incx: number, reciprocal: number): void;
  sddiagonal(n: number, a: number, lda: number, x: number, incx: number, reciprocal: number): void;
  dsdiagonal(n: number, a: number, lda: number, x: number, incx: number, reciprocal: number): void;
  /** Y := alpha X + beta Y (computed in float64; beta = 0 does not read Y). */
  saxpby(rows: number, cols: number, alpha: number, x: number, ldx: number, beta: number, y: number, ldy: number): void;
  daxpby(rows: number, cols: number, alpha: number, x: number, ldx: number, beta: number, y: number, ldy: number): void;
  /** Σ A_ij B_ij in float64: ddot f64·f64, dsdot f32·f32, dmdot f32 A · f64 B. */
  ddot(rows: number, cols: number, a: number, lda: number, b: number, ldb: number): number;
  dsdot(rows: number, cols: number, a: number, lda: number, b: number, ldb: number): number;
  dmdot(rows: number, cols: number, a: number, lda: number, b: number, ldb: number): number;
  /** dead[j] := H[j, j] == 0 (those H[j, j] := 1); returns the count. */
  sdeadInputs(n: number, h: number, ldh: number, dead: number): number;
  ddeadInputs(n: number, h: number, ldh: number, dead: number): number;
  /** A[:, j] := 0 where the byte c[j] ≠ 0. */
  /** x[j·incx] := Σ_i A[i, j]² or its reciprocal (work: cols f64). */
  sgramDiagonal(rows: number, cols: number, a: number, lda: number, x: number, incx: number, reciprocal: number, work: number): void;
  dgramDiagonal(rows: number, cols: number, a: number, lda: number, x: number, incx: number, reciprocal: number, work: number): void;
  /** A[i, :] *= x[i·incx]. */
  sscaleRows(rows: number, cols: number, a: number, lda: number, x: number, incx: number): void;
  dscaleRows(rows: number, cols: number, a: number, lda: number, x: number, incx: number): void;
  szeroColumns(rows: number, cols: number, a: number, lda: number, c: number): void;
  dzeroColumns(rows: number, cols: number, a: number, lda: number, c: number): void;
  /** A[i, j] := 0 where mask[i, j] = 0 (mask: uint8 with leading dimension ldm). */
  sapplyMask(rows: number, cols: number, a: number, lda: number, m: number, ldm: number): void;
  dapplyMask(rows: number, cols: number, a: number, lda: number, m: number, ldm: number): void;
  /** Row-major index of the first NaN or ±Inf, or -1. */
  sfirstNonFinite(rows: number, cols: number, a: number, lda: number): number;
  dfirstNonFinite(rows: number, cols: number, a: number, lda: number): number;
  /** tr((W − X) H (W − X)ᵀ) in float64; x = 0 reads X as 0; H float64. */
  sobjective(rows: number, cols: number, w: number, ldw: number, x: number, ldx: number, h: number, ldh: number, work: number): number;
  dobjective(rows: number, cols: number, w: number, ldw: number, x: number, ldx: number, h: number, ldh: number, work: number): number;
  sobjectiveWorkBytes(rows: number, cols: number): number;
  dobjectiveWorkBytes(rows: number, cols: number): number;
  /** First i·n + j (i > j) where H is not symmetric within tol, or -1. */
  ssymmetryViolation(n: number, h: number, ldh: number, tol: number): number;
  dsymmetryViolation(n: number, h: number, ldh: number, tol: number): number;
  /** Kept bytes per row into counts (int32, stride inc); returns the most kept in a group of groupSize columns. */
  maskCounts(rows: number, cols: number, m: number, ldm: number, groupSize: number, counts: number, inc: number): number;
  /** Positions where two uint8 masks differ. */
  maskDifference(rows: number, cols: number, a: number, lda: number, b: number, ldb: number): number;
  /** First row-major index with mask 0 and W ≠ 0, or -1. */
  smaskViolation(rows: number, cols: number, w: number, ldw: number, m: number, ldm: number): number;
  dmaskViolation(rows: number, cols: number, w: number, ldw: number, m: number, ldm: number): number;
  /** The `total` smallest losses (ties to the smaller index) counted per row into counts (int32, stride inc); returns their sum. */
  obcAllocate(rows: number, steps: number, l: number, ldl: number, total: number, counts: number, inc: number, work: number): number;
  obcAllocateWorkBytes(rows: number, steps: number): number;
  dobsExchange(rows: number, c: number, h: number, ldh: number, b: number, ldb: number, mask: number, todo: number, groupSize: number, maxSwaps: number, steps: number, swaps: number, addGain: number, addIndex: number, removeCost: number, removeIndex: number, work: number): number;
  obsExchangeWorkBytes(c: number): number;
  dobsExchangeAllocate(rows: number, c: number, steps: number, addGain: number, addIndex: number, removeCost: number, removeIndex: number, mask: number, changed: number): number;
  // ---- transformer kernels (the Llama forward pass; float64 inside) ----
  /** Y := X / sqrt(mean(X²) + eps) ⊙ w per row; the weight at w with stride incw; Y may be X. */
  srmsNorm(rows: number, cols: number, x: number, ldx: number, w: number, incw: number, eps: number, y: number, ldy: number): void;
  drmsNorm(rows: number, cols: number, x: number, ldx: number, w: number, incw: number, eps: number, y: number, ldy: number): void;
  /** Rotary embedding in place (heads of d, base theta); positions (int32, stride inc) or 0 for start + row. */
  srotary(rows: number, cols: number, x: number, ldx: number, d: number, theta: number, start: number, positions: number, inc: number): void;
  drotary(rows: number, cols: number, x: number, ldx: number, d: number, theta: number, start: number, positions: number, inc: number): void;
  /** Scaled row softmax in place; causal ≠ 0 keeps columns j ≤ r + offset of row r. */
  ssoftmaxRows(rows: number, cols: number, s: number, lds: number, scale: number, causal: number, offset: number, work: number): void;
  dsoftmaxRows(rows: number, cols: number, s: number, lds: number, scale: number, causal: number, offset: number, work: number): void;
  softmaxRowsWorkBytes(cols: number): number;
  /** Y := silu(G) ⊙ U; Y may be G or U. */
  ssiluGate(rows: number, cols: number, g: number, ldg: number, u: number, ldu: number, y: number, ldy: number): void;
  dsiluGate(rows: number, cols: number, g: number, ldg: number, u: number, ldu: number, y: number, ldy: number): void;
  /** Y[t, :] := E[ids[t], :] (elements of `size` bytes); returns -1 or the first t with an id outside [0, vocab). */
  gatherRows(rows: number, cols: number, size: number, vocab: number, e: number, lde: number, ids: number, inc: number, y: number, ldy: number): number;
  /** Σ_t logsumexp(L[t, :]) − L[t, y_t] in float64; writes [sum, first bad row or -1] as two f64 at work. */
  scrossEntropy(rows: number, cols: number, l: number, ldl: number, targets: number, inc: number, work: number): void;
  dcrossEntropy(rows: number, cols: number, l: number, ldl: number, targets: number, inc: number, work: number): void;
  crossEntropyWorkBytes(): number;
  /** P := im2col(X) of a 2-D convolution (see assembly/nn/im2col.ts). */
  sim2col(n: number, c: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number,
    dh: number, dw: number, outH: number, outW: number, x: number, ldx: number, p: number, ldp: number): void;
  dim2col(n: number, c: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number,
    dh: number, dw: number, outH: number, outW: number, x: number, ldx: number, p: number, ldp: number): void;
}
