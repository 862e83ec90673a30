// The public face of the kernels: a Linalg object made by init() holds one backend (private to
// it), makes matrices in that backend's storage, moves values between host and backend at the
// two doorways read() and write(), and exposes every kernel once, validated, as an async method.
// The generic entries (gemm, syrk, potrf, selectMask, …) take float32 or float64 and dispatch on
// the dtype; the BLAS/LAPACK names with a precision prefix (sgemm, dpotrf, …) are aliases that
// also check the dtype. Each kernel's validation lives in its own file beside this one.
import type { ArrayFor, DType, StorageDType } from '../core/dtype.js';
import { arrayType, bytesPer, isStorageDType, STORAGE_DTYPES } from '../core/dtype.js';
import { checkInt, rangeError, typeError } from '../core/errors.js';
import { type Mask, Matrix } from '../core/matrix.js';
import type { ExchangeTrajectories, KernelBackend, LammaxResult, MaskRule } from '../backends/types.js';
import { cholesky } from './cholesky.js';
import { gemm, type GemmOptions } from './gemm.js';
import { trsm, type TrsmOptions } from './trsm.js';
import { trsv, type TrsvOptions } from './trsv.js';
import { downdate } from './downdate.js';
import { lammax, type LammaxOptions } from './lammax.js';
import { syrk, type SyrkOptions } from './syrk.js';
import { topk, type TopkOptions } from './topk.js';
import * as ew from './elementwise.js';
import { im2col, type ConvGeometry } from './im2col.js';
import * as obs from './obs.js';
import * as nn from './nn.js';
import { Scope } from './scope.js';

/** The values a write accepts: numbers in row-major order (a typed array or an array of numbers). */
export type Values = ArrayLike<number>;

/** Throws unless values is an array-like of rows * cols numbers (strings and non-numbers are refused). */
function checkValues(fn: string, values: unknown, count: number): Values {
  if (values == null || typeof values !== 'object' || typeof (values as Values).length !== 'number') {
    throw typeError(fn, 'values', values, 'an array or typed array of numbers');
  }
  const v = values as Values;
  if (v.length !== count) throw rangeError(fn, 'values', `length ${v.length}`, `length rows * cols = ${count}`);
  if (!ArrayBuffer.isView(v)) {
    for (let i = 0; i < v.length; i++) {
      if (typeof v[i] !== 'number') throw typeError(fn, `values[${i}]`, v[i], 'a number');
    }
  } else if (v instanceof DataView || typeof (v as unknown as BigInt64Array)[0] === 'bigint') {
    throw typeError(fn, 'values', values, 'a numeric typed array (not a DataView or BigInt array)');
  }
  return v;
}

/** Elements per piece of writeBytes/readBytes: whole elements in chunkBytes (default 8 MiB). */
function pieceElements(fn: string, chunkBytes: number | undefined, size: number): number {
  const bytes = chunkBytes ?? 8 << 20;
  if (!Number.isInteger(bytes) || bytes < size) throw rangeError(fn, 'options.chunkBytes', bytes, `an integer >= ${size} (one element)`);
  return Math.floor(bytes / size);
}

/** Elements [start, start + count) of a contiguous M, as a 1 x count view of its storage. */
function flatWindow<D extends StorageDType>(M: Matrix<D>, start: number, count: number): Matrix<D> {
  return new Matrix(M.storage, M.dtype, 1, count, count, M.offset + start, M.parent ?? M);
}

export class Linalg {
  readonly #be: KernelBackend;
  #recovered: { reason: string; la: Linalg } | null = null;

  constructor(backend: KernelBackend) {
    if (backend === null || typeof backend !== 'object' || typeof backend.allocate !== 'function') {
      throw typeError('Linalg', 'backend', backend, 'a KernelBackend');
    }
    this.#be = backend;
  }

  /** Name of the backend in use ('wasm-relaxed', 'wasm-simd', 'reference', …). */
  get backendName(): string {
    return this.#be.name;
  }

  /** Bytes of backend storage allocated and not yet freed (for leak checks). */
  liveBytes(): number {
    return this.#be.liveBytes();
  }

  /**
   * The most bytes the backend had allocated at once (matrices and kernel workspace) since init or
   * the last resetPeak(): what a run needs of a Wasm memory's 4 GiB, fragmentation aside.
   * @example
   * la.resetPeak();
   * await pruneLayer(la, W, H, { pruner: sparseGPT(), pattern: '0.5' });
   * la.peakBytes();   // e.g. 352321536
   */
  peakBytes(): number {
    return this.#be.peakBytes();
  }

  /** Starts a new peak (see peakBytes) from what is allocated now. */
  resetPeak(): void {
    this.#be.resetPeak();
  }

  // ---- storage ------------------------------------------------------------------------------

  /**
   * A zero-filled rows x cols matrix in this backend's storage, of any storage dtype.
   * @example
   * const A = la.matrix(2, 2);              // float32
   * const H = la.matrix(3, 3, 'float64');
   * const mask = la.matrix(2, 4, 'uint8');  // a keep-mask (la.mask does the same)
   */
  matrix<D extends StorageDType = 'float32'>(rows: number, cols: number, dtype: D = 'float32' as D): Matrix<D> {
    checkInt('matrix', 'rows', rows);
    checkInt('matrix', 'cols', cols);
    if (!isStorageDType(dtype)) throw typeError('matrix', 'dtype', dtype, STORAGE_DTYPES.map((d) => `'${d}'`).join(', '));
    return new Matrix(this.#be.allocate(rows * cols * bytesPer(dtype)), dtype, rows, cols);
  }

  /** A zero-filled rows x cols keep-mask (uint8: 1 = kept, 0 = pruned) in backend storage. */
  mask(rows: number, cols: number): Mask {
    return this.matrix(rows, cols, 'uint8');
  }

  /** A zero-filled vector (an n x 1 matrix). */
  vector<D extends StorageDType = 'float32'>(n: number, dtype: D = 'float32' as D): Matrix<D> {
    return this.matrix(n, 1, dtype);
  }

  /**
   * A matrix holding a copy of row-major values. Every value must be a number (a string or an
   * object is an error, not a NaN); for float16 and bfloat16 the values are the raw 16-bit
   * patterns (as a checkpoint stores them).
   * @example
   * const A = la.fromArray([1, 2, 3, 4, 5, 6], 2, 3);   // [[1, 2, 3], [4, 5, 6]]
   */
  fromArray<D extends StorageDType = 'float32'>(values: Values, rows: number, cols: number, dtype: D = 'float32' as D): Matrix<D> {
    checkInt('fromArray', 'rows', rows);
    checkInt('fromArray', 'cols', cols);
    const v = checkValues('fromArray', values, rows * cols);
    const M = this.matrix(rows, cols, dtype);
    try {
      this.#be.write(M, v);
    } catch (e) {
      M.free();
      throw e;
    }
    return M;
  }

  /**
   * The values of M, row-major, in a new typed array of M's dtype: the one way from backend
   * storage to the host. Each call is a sync point (on a GPU, a readback).
   * @example
   * await la.read(la.fromArray([1, 2], 1, 2));   // Float32Array [1, 2]
   */
  async read<D extends StorageDType>(M: Matrix<D>): Promise<ArrayFor<D>> {
    const m = ew.checkAny('read', 'M', M);
    if (m.size === 0) return new (arrayType(m.dtype))(0) as ArrayFor<D>;
    return (await this.#be.read(m)) as ArrayFor<D>;
  }

  /**
   * Writes rows * cols row-major values into M (a view writes only its window): the one way from
   * the host into backend storage.
   * @example
   * la.write(A.view(0, 0, 1, 2), [7, 8]);
   */
  write(M: Matrix<any>, values: Values): void {
    const m = ew.checkAny('write', 'M', M);
    const v = checkValues('write', values, m.size);
    if (m.size > 0) this.#be.write(m, v);
  }

  /**
   * Fills a contiguous M with raw element bytes (M's dtype, the host's byte order) that `source`
   * supplies a piece at a time: source(dst) writes into dst, filling it unless its data ends, and
   * resolves to the bytes written. On a host backend (Wasm, reference) dst is M's own storage, so
   * a file read with it lands in place with no copy; elsewhere dst is a staging buffer whose
   * elements go in through the same doorway as write(). Pieces are whole elements of at most
   * `chunkBytes` (default 8 MiB). Resolves to the bytes taken: fewer than M holds when the source
   * ended early (the rest of M is then unspecified). Make no other matrix on this Linalg until it
   * resolves (a Wasm memory that grows would move under dst).
   * @example
   * const M = la.matrix(2, 2);
   * await la.writeBytes(M, async (dst) => { dst.set(new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer)); return 16; });
   */
  async writeBytes(M: Matrix<any>, source: (dst: Uint8Array) => Promise<number>, options: { chunkBytes?: number } = {}): Promise<number> {
    const m = ew.checkAny('writeBytes', 'M', M);
    if (!m.contiguous) throw rangeError('writeBytes', 'M', m, 'a contiguous matrix (rows adjacent in storage)');
    if (typeof source !== 'function') throw typeError('writeBytes', 'source', source, 'a function (dst: Uint8Array) => Promise<number>');
    const size = bytesPer(m.dtype), total = m.size;
    const step = pieceElements('writeBytes', options.chunkBytes, size);
    const host = this.#be.hostBytes?.bind(this.#be);
    let staging: Uint8Array | null = null;
    let done = 0;
    while (done < total) {
      const count = Math.min(step, total - done);
      const window = flatWindow(m, done, count);
      const dst = host ? host(window) : (staging ??= new Uint8Array(Math.min(step, total) * size)).subarray(0, count * size);
      const got = await source(dst);
      if (!Number.isInteger(got) || got < 0 || got > dst.length) throw rangeError('writeBytes', 'source', got, `a byte count in [0, ${dst.length}]`);
      const whole = Math.floor(got / size);
      if (!host && whole > 0) {
        const T = arrayType(m.dtype);
        this.#be.write(flatWindow(m, done, whole), new T(dst.buffer as ArrayBuffer, dst.byteOffset, whole));
      }
      done += whole;
      if (got < dst.length) return done * size + (got - whole * size);
    }
    return total * size;
  }

  /**
   * The raw element bytes of a contiguous M (its dtype, the host's byte order) in order, a piece
   * of at most `chunkBytes` (default 8 MiB) at a time: on a host backend each piece is M's own
   * storage, valid until the next piece is asked for (write it out before then; make no matrix
   * meanwhile); elsewhere a copy read through read(). For writing a file straight from storage.
   * @example
   * for await (const piece of la.readBytes(M)) await handle.write(piece);
   */
  async *readBytes(M: Matrix<any>, options: { chunkBytes?: number } = {}): AsyncGenerator<Uint8Array> {
    const m = ew.checkAny('readBytes', 'M', M);
    if (!m.contiguous) throw rangeError('readBytes', 'M', m, 'a contiguous matrix (rows adjacent in storage)');
    const size = bytesPer(m.dtype), total = m.size;
    const step = pieceElements('readBytes', options.chunkBytes, size);
    for (let done = 0; done < total; done += step) {
      const window = flatWindow(m, done, Math.min(step, total - done));
      if (window.storage.released) throw rangeError('readBytes', 'M', m, 'a matrix that has not been freed');
      if (this.#be.hostBytes) yield this.#be.hostBytes(window);
      else {
        const a = await this.#be.read(window);
        yield new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      }
    }
  }

  /**
   * B := A elementwise; with B left out, a new matrix of A's dtype (or `dtype`) holding A's
   * values. Float dtypes convert into one another (float16 and bfloat16 widen exactly; narrowing
   * rounds to nearest even). A may come from another Linalg's backend only through read/write.
   * @example
   * const C = await la.copy(A);                       // a copy
   * const H32 = await la.copy(H16, undefined, 'float32');   // float16 → float32
   * await la.copy(A.view(0, 0, 2, 2), B);             // into B
   */
  async copy<D extends StorageDType, E extends StorageDType = D>(A: Matrix<D>, B?: Matrix<E>, dtype?: E): Promise<Matrix<E>> {
    const a = ew.checkAny('copy', 'A', A);
    if (B !== undefined) {
      await ew.copy(this.#be, a, B);
      return B;
    }
    const out = this.matrix(a.rows, a.cols, (dtype ?? a.dtype) as E);
    try {
      await ew.copy(this.#be, a, out);
    } catch (e) {
      out.free();
      throw e;
    }
    return out;
  }

  /**
   * A new matrix holding A's values converted to `dtype` (float16/bfloat16 checkpoints to float32).
   * @example
   * const W = await la.convert(la.fromArray(Uint16Array.of(0x3c00, 0xc000), 1, 2, 'float16'), 'float32');   // [1, -2]
   */
  convert<E extends DType>(A: Matrix<any>, dtype: E): Promise<Matrix<E>> {
    return this.copy(A, undefined, dtype);
  }

  /** A := value everywhere (any dtype). */
  fill(A: Matrix<any>, value: number): Promise<void> {
    return ew.fill(this.#be, A, value);
  }

  /**
   * A new Scope: matrices tracked in it are freed together by scope.free(), also on error paths.
   * @example
   * const s = la.scope();
   * try { const T = s.track(la.matrix(4, 4)); … } finally { s.free(); }
   */
  scope(): Scope {
    return new Scope();
  }

  /** The typed array type for a dtype. */
  static arrayType(dtype: StorageDType): ReturnType<typeof arrayType> {
    return arrayType(dtype);
  }

  // ---- BLAS and LAPACK, dtype-generic ---------------------------------------------------------

  /** C = alpha · op(A) · op(B) + beta · C (float32 or float64; see sgemm). */
  gemm<D extends DType>(A: Matrix<D>, B: Matrix<D>, C: Matrix<D>, options?: GemmOptions): Promise<void> {
    return gemm(this.#be, 'gemm', null, A, B, C, options);
  }

  /** Triangular solve with many right-hand sides (see strsm). */
  trsm<D extends DType>(A: Matrix<D>, B: Matrix<D>, options?: TrsmOptions): Promise<void> {
    return trsm(this.#be, 'trsm', null, A, B, options);
  }

  /** Triangular solve op(A) x = b in place (see strsv). */
  trsv<D extends DType>(A: Matrix<D>, x: Matrix<D>, options?: TrsvOptions): Promise<void> {
    return trsv(this.#be, 'trsv', null, A, x, options);
  }

  /** Cholesky A = L Lᵀ in place; resolves to LAPACK's info (see spotrf). */
  potrf(A: Matrix): Promise<number> {
    return cholesky(this.#be, 'potrf', 'potrf', null, A);
  }

  /** A := A⁻¹ for SPD A; resolves to info (see spotri). */
  potri(A: Matrix): Promise<number> {
    return cholesky(this.#be, 'potri', 'potri', null, A);
  }

  /** A := U, upper, with A⁻¹ = Uᵀ U; resolves to info (see sinvchol). */
  invchol(A: Matrix): Promise<number> {
    return cholesky(this.#be, 'invchol', 'invchol', null, A);
  }

  /** C = alpha · XᵀX + beta · C (see ssyrk). */
  syrk<D extends DType>(X: Matrix<D>, C: Matrix<D>, options?: SyrkOptions): Promise<void> {
    return syrk(this.#be, 'syrk', null, X, C, options);
  }

  /** λ_max of a symmetric PSD matrix by power iteration (see slammax). */
  lammax(A: Matrix, options?: LammaxOptions): Promise<LammaxResult> {
    return lammax(this.#be, 'lammax', null, A, options);
  }

  /** Ascending indices of the k largest |x_i| (see stopk); `into` (int32 vector) also receives them. */
  topk(x: Matrix, k: number, options?: TopkOptions, into?: Matrix<'int32'>): Promise<Int32Array> {
    return topk(this.#be, 'topk', null, x, k, options, into);
  }

  /** OBS downdate of a symmetric inverse Hessian at p (see sdowndate). */
  downdate(Hinv: Matrix, p: number): Promise<void> {
    return downdate(this.#be, 'downdate', null, Hinv, p);
  }

  // ---- elementwise and reductions -------------------------------------------------------------

  /** A[j, j] += alpha. */
  addDiagonal(A: Matrix, alpha: number): Promise<void> {
    return ew.addDiagonal(this.#be, A, alpha);
  }

  /**
   * x := diag(A) ('copy', default) or 1 / diag(A) ('reciprocal'); x is a 1 x n or n x 1 vector.
   * @example
   * const d = la.matrix(1, 3);
   * await la.diagonal(H, d, 'reciprocal');
   */
  diagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal' = 'copy'): Promise<void> {
    return ew.diagonal(this.#be, A, x, op);
  }

  /** Marks the inputs j with H[j, j] = 0 in dead (1 x n uint8) and sets those H[j, j] := 1; resolves to their count. */
  deadInputs(H: Matrix, dead: Mask): Promise<number> {
    return ew.deadInputs(this.#be, H, dead);
  }

  /** A[:, j] := 0 for every j with cols_j ≠ 0 (cols: 1 x A.cols uint8). */
  /** x_j := Σ_i A[i, j]² = (AᵀA)_jj, or its reciprocal (x a vector of A.cols elements in A's dtype). */
  gramDiagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal' = 'copy'): Promise<void> {
    return ew.gramDiagonal(this.#be, A, x, op);
  }

  /** A[i, :] := x_i · A[i, :] (x a vector of A.rows elements in A's dtype): D·A. */
  scaleRows(A: Matrix, x: Matrix): Promise<void> {
    return ew.scaleRows(this.#be, A, x);
  }

  zeroColumns(A: Matrix, cols: Mask): Promise<void> {
    return ew.zeroColumns(this.#be, A, cols);
  }

  /**
   * Y := alpha · X + beta · Y elementwise.
   * @example
   * await la.axpby(0.5, W, 0.5, U);   // U = (W + U) / 2
   */
  axpby<D extends DType>(alpha: number, X: Matrix<D>, beta: number, Y: Matrix<D>): Promise<void> {
    return ew.axpby(this.#be, alpha, X, beta, Y);
  }

  /** A[i, j] := 0 wherever mask[i, j] = 0. */
  applyMask(A: Matrix, mask: Mask): Promise<void> {
    return ew.applyMask(this.#be, A, mask);
  }

  /** [i, j] of the first NaN or ±Inf in A, or null. */
  firstNonFinite(A: Matrix): Promise<[number, number] | null> {
    return ew.firstNonFinite(this.#be, A);
  }

  /** Σ A_ij B_ij accumulated in float64. */
  dot(A: Matrix, B: Matrix): Promise<number> {
    return ew.dot(this.#be, A, B);
  }

  /**
   * The layer objective tr((W − X) H (W − X)ᵀ) in float64, H a float64 matrix (X null: tr(W H Wᵀ)).
   * @example
   * const H64 = await la.convert(H, 'float64');
   * const err = (await la.objective(W, What, H64)) / (await la.objective(W, null, H64));
   */
  objective(W: Matrix, X: Matrix | null, H: Matrix<'float64'>): Promise<number> {
    return ew.objective(this.#be, W, X, H);
  }

  /** [i, j] of the first pair with |H_ij − H_ji| > tolerance·(√|H_ii H_jj| + |H_ij| + |H_ji|), or null. */
  symmetryViolation(H: Matrix, tolerance: number): Promise<[number, number] | null> {
    return ew.symmetryViolation(this.#be, H, tolerance);
  }

  /** Kept entries per row into rowCounts (int32 vector); resolves to the most kept in any group of groupSize columns. */
  maskCounts(mask: Mask, groupSize: number, rowCounts: Matrix<'int32'>): Promise<number> {
    return ew.maskCounts(this.#be, mask, groupSize, rowCounts);
  }

  /** Number of positions where two masks differ. */
  maskDifference(a: Mask, b: Mask): Promise<number> {
    return ew.maskDifference(this.#be, a, b);
  }

  /** [i, j] of the first weight that is pruned (mask 0) but not 0, or null. */
  maskViolation(W: Matrix, mask: Mask): Promise<[number, number] | null> {
    return ew.maskViolation(this.#be, W, mask);
  }

  /** OBC's global allocation of `total` removals from per-row step losses; resolves to the chosen losses' sum. */
  obcAllocate(losses: Matrix<'float64'>, total: number, rowCounts: Matrix<'int32'>): Promise<number> {
    return ew.obcAllocate(this.#be, losses, total, rowCounts);
  }

  // ---- OBS kernels ----------------------------------------------------------------------------

  /** Keep-mask of W from the scores W_ij² · colWeight_j under rule (see KernelBackend.selectMask). */
  selectMask(W: Matrix, colWeight: Matrix | null, rule: MaskRule, mask: Mask): Promise<void> {
    return obs.selectMask(this.#be, W, colWeight, rule, mask);
  }

  /** Greedy OBS removal on every row (see KernelBackend.obsGreedy); resolves to -1 or the first failing row. */
  obsGreedy(W: Matrix, Hinv: Matrix, counts: Matrix<'int32'>, mask: Mask, options?: obs.ObsGreedyOptions): Promise<number> {
    return obs.obsGreedy(this.#be, W, Hinv, counts, mask, options);
  }

  /** Exchange search on supports by exact OBS costs (see KernelBackend.obsExchange); resolves to -1 or the first failing row. */
  obsExchange(H: Matrix<'float64'>, B: Matrix<'float64'>, mask: Mask, todo: Matrix<'int32'>, options: obs.ObsExchangeOptions): Promise<number> {
    return obs.obsExchange(this.#be, H, B, mask, todo, options);
  }

  /** Pairs obsExchange's trajectories across rows (see KernelBackend.obsExchangeAllocate); resolves to the exchanges made. */
  obsExchangeAllocate(trajectories: ExchangeTrajectories, mask: Mask, changed: Matrix<'int32'>): Promise<number> {
    return obs.obsExchangeAllocate(this.#be, trajectories, mask, changed);
  }

  /** Exact re-solve H[S,S] x = B[r,S] on each row's support (see KernelBackend.solveOnSupport). */
  solveOnSupport(H: Matrix, B: Matrix, mask: Mask, X: Matrix): Promise<number> {
    return obs.solveOnSupport(this.#be, H, B, mask, X);
  }

  /** SparseGPT's column loop over one block (see KernelBackend.sparsegptBlock). */
  sparsegptBlock(W1: Matrix, U1: Matrix, rule: MaskRule, Err1: Matrix, mask: Mask): Promise<number> {
    return obs.sparsegptBlock(this.#be, W1, U1, rule, Err1, mask);
  }

  /** Starts masked PCG on every row (see KernelBackend.pcgStart); resolves to the active rows. */
  pcgStart(X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): Promise<number> {
    return obs.pcgStart(this.#be, X, B, R, P, mask, dinv, tolerance, state);
  }

  /** One masked PCG iteration (see KernelBackend.pcgStep); resolves to the active rows. */
  pcgStep(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): Promise<number> {
    return obs.pcgStep(this.#be, X, R, P, Q, mask, dinv, tolerance, state);
  }

  /** The update half of a masked PCG iteration (see KernelBackend.pcgUpdate); resolves to the active rows. */
  pcgUpdate(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, tolerance: number, state: Matrix<'float64'>): Promise<number> {
    return obs.pcgUpdate(this.#be, X, R, P, Q, mask, tolerance, state);
  }

  /** The direction half, z = dinv ⊙ R − C on the support (see KernelBackend.pcgDirection); resolves to the active rows. */
  pcgDirection(R: Matrix, C: Matrix | null, P: Matrix, mask: Mask, dinv: Matrix, restart: boolean, state: Matrix<'float64'>): Promise<number> {
    return obs.pcgDirection(this.#be, R, C, P, mask, dinv, restart, state);
  }

  // ---- transformer kernels (the Llama forward pass) ------------------------------------------

  /** Runs kernel into Y, or into a new X-shaped matrix (freed again if the kernel refuses) returned instead. */
  async #into<D extends DType>(Y: Matrix<D> | undefined, rows: unknown, cols: unknown, dtype: unknown, kernel: (Y: Matrix<D>) => Promise<void>): Promise<Matrix<D>> {
    if (Y !== undefined) {
      await kernel(Y);
      return Y;
    }
    // Shapes and dtypes of the inputs are checked by the kernel; a bad input fails there.
    const ok = typeof rows === 'number' && typeof cols === 'number' && (dtype === 'float32' || dtype === 'float64');
    const out = ok ? this.matrix(rows as number, cols as number, dtype as D) : (undefined as unknown as Matrix<D>);
    try {
      await kernel(out);
    } catch (e) {
      out?.free();
      throw e;
    }
    return out;
  }

  /**
   * Llama's RMSNorm of every row: Y[i, :] = X[i, :] / sqrt(mean_j X[i, j]² + eps) ⊙ weight, in
   * float64 with each element rounded once. weight is a vector of X.cols; Y (X's shape, may be X
   * itself) is written, or a new matrix is returned when Y is left out.
   * @example
   * const X = la.fromArray([3, 4], 1, 2), w = la.fromArray([1, 2], 1, 2);
   * const Y = await la.rmsNorm(X, w, 0);   // [[0.8485, 2.2627]]: X / sqrt(12.5) ⊙ [1, 2]
   */
  rmsNorm<D extends DType>(X: Matrix<D>, weight: Matrix<D>, eps: number, Y?: Matrix<D>): Promise<Matrix<D>> {
    return this.#into(Y, X?.rows, X?.cols, X?.dtype, (out) => nn.rmsNorm(this.#be, X, weight, eps, out));
  }

  /**
   * Rotary position embedding in place on X (rows x heads·headDim), Hugging Face's rotate_half
   * convention: in each head, element i < headDim/2 and element i + headDim/2 are turned by the
   * angle p · theta^(−2i/headDim), p the row's position: `positions` (default 0) as a start
   * (row r is at position start + r) or an int32 vector of X.rows positions. Angles, cosines and
   * sines are computed in float64 (Hugging Face uses float32; the difference is ≈ p · 6e-8 rad).
   * @example
   * await la.rotary(Q, 16, 10000);          // rows at positions 0, 1, 2, …
   * await la.rotary(K, 16, 10000, 512);     // rows at positions 512, 513, …
   */
  rotary(X: Matrix, headDim: number, theta: number, positions: number | Matrix<'int32'> = 0): Promise<void> {
    return nn.rotary(this.#be, X, headDim, theta, positions);
  }

  /**
   * Softmax of every row of scale · S in place, about the row's largest value (float64 inside).
   * With options.causal, row r keeps columns j ≤ r + offset (offset default 0) and the others
   * become 0; a row that keeps no column is all 0.
   * @example
   * await la.softmaxRows(S, { scale: 1 / Math.sqrt(headDim), causal: true });
   */
  softmaxRows(S: Matrix, options?: nn.SoftmaxOptions): Promise<void> {
    return nn.softmaxRows(this.#be, S, options);
  }

  /**
   * The gated MLP's activation: Y = silu(G) ⊙ U, silu(g) = g / (1 + e^(−g)), in float64. Y (G's
   * shape; may be G or U itself) is written, or a new matrix is returned when Y is left out.
   * @example
   * await la.siluGate(gate, up, gate);      // gate := silu(gate) ⊙ up
   */
  siluGate<D extends DType>(G: Matrix<D>, U: Matrix<D>, Y?: Matrix<D>): Promise<Matrix<D>> {
    return this.#into(Y, G?.rows, G?.cols, G?.dtype, (out) => nn.siluGate(this.#be, G, U, out));
  }

  /**
   * Rows of E picked by an int32 vector of ids (an embedding lookup): Y[t, :] = E[ids[t], :]. An
   * id outside [0, E.rows) is an error naming it (nothing is written then). Y (ids.size x E.cols)
   * is written, or a new matrix is returned when Y is left out.
   * @example
   * const ids = la.fromArray([2, 0], 2, 1, 'int32');
   * const X = await la.gather(embedding, ids);   // rows 2 and 0 of the embedding
   */
  gather<D extends DType>(E: Matrix<D>, ids: Matrix<'int32'>, Y?: Matrix<D>): Promise<Matrix<D>> {
    return this.#into(Y, ids?.size, E?.cols, E?.dtype, (out) => nn.gather(this.#be, E, ids, out));
  }

  /**
   * Σ_t −log softmax(logits[t, :])[targets[t]] in float64 (each row's log-sum-exp about its
   * largest logit): the summed negative log-likelihood of the targets, an int32 vector of
   * logits.rows class indices (one outside [0, logits.cols) is an error naming it).
   * @example
   * const nll = await la.crossEntropy(logits, targets);   // perplexity = exp(nll / targets.size)
   */
  crossEntropy(logits: Matrix, targets: Matrix<'int32'>): Promise<number> {
    return nn.crossEntropy(this.#be, logits, targets);
  }

  // ---- neural-network layout ----------------------------------------------------------------------

  /**
   * The patch matrix of a 2-D convolution: X holds one image per row (channels·height·width values
   * in C order), and the result P (a new matrix, or `P` when given: (images·outHeight·outWidth) x
   * (channels·kh·kw), X's dtype) gets one row per output position (image, oy, ox) and one column
   * per (channel, ky, kx), 0 where the kernel reads the padding. The columns follow a Conv weight's
   * [out, C, kh, kw] flattening, so the convolution is P Wᵀ and the layer's Hessian is PᵀP.
   * @example
   * // one 1-channel 3x3 image, a 2x2 kernel, stride 1, no padding: 4 patches of 4 pixels
   * const X = la.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 9);
   * const P = await la.im2col(X, { channels: 1, height: 3, width: 3, kernel: [2, 2] });
   * await la.read(P);   // [1, 2, 4, 5,  2, 3, 5, 6,  4, 5, 7, 8,  5, 6, 8, 9]
   */
  im2col<D extends DType>(X: Matrix<D>, geometry: ConvGeometry, P?: Matrix<D>): Promise<Matrix<D>> {
    return im2col<D>(this.#be, X, geometry, P, (rows, cols, dtype) => this.matrix(rows, cols, dtype));
  }

  // ---- BLAS and LAPACK names with a precision prefix (aliases that also check the dtype) ------

  /**
   * C = alpha * op(A) * op(B) + beta * C in float32 (BLAS sgemm).
   * @example
   * const A = la.fromArray([1, 2, 3, 4], 2, 2), B = la.fromArray([5, 6, 7, 8], 2, 2);
   * const C = la.matrix(2, 2);
   * await la.sgemm(A, B, C);               // C = [[19, 22], [43, 50]]
   * await la.sgemm(A, B, C, { transA: true, beta: 1 });
   */
  sgemm(A: Matrix<'float32'>, B: Matrix<'float32'>, C: Matrix<'float32'>, options?: GemmOptions): Promise<void> {
    return gemm(this.#be, 'sgemm', 'float32', A, B, C, options);
  }

  /** C = alpha * op(A) * op(B) + beta * C in float64 (BLAS dgemm); options as sgemm. */
  dgemm(A: Matrix<'float64'>, B: Matrix<'float64'>, C: Matrix<'float64'>, options?: GemmOptions): Promise<void> {
    return gemm(this.#be, 'dgemm', 'float64', A, B, C, options);
  }

  /**
   * Triangular solve with many right-hand sides in float32 (BLAS strsm): op(A) X = alpha B
   * (side 'left') or X op(A) = alpha B (side 'right'); X overwrites B. A is square and only its
   * `uplo` triangle is read.
   * @example
   * const L = la.fromArray([2, 0, 1, 4], 2, 2), B = la.fromArray([2, 4, 9, 10], 2, 2);
   * await la.strsm(L, B);                                   // B = [[1, 2], [2, 2]]
   * await la.strsm(L, B, { side: 'right', transA: true });  // solves X Lᵀ = B
   */
  strsm(A: Matrix<'float32'>, B: Matrix<'float32'>, options?: TrsmOptions): Promise<void> {
    return trsm(this.#be, 'strsm', 'float32', A, B, options);
  }

  /** Triangular solve with many right-hand sides in float64 (BLAS dtrsm); options as strsm. */
  dtrsm(A: Matrix<'float64'>, B: Matrix<'float64'>, options?: TrsmOptions): Promise<void> {
    return trsm(this.#be, 'dtrsm', 'float64', A, B, options);
  }

  /**
   * Triangular solve op(A) x = b in place in float32 (BLAS strsv); x is an n x 1 or 1 x n matrix
   * holding b on entry and the solution on return. Only the `uplo` triangle of A is read.
   * @example
   * const U = la.fromArray([2, 1, 0, 4], 2, 2), x = la.fromArray([4, 8], 2, 1);
   * await la.strsv(U, x, { uplo: 'upper' });                // x = [1, 2]
   */
  strsv(A: Matrix<'float32'>, x: Matrix<'float32'>, options?: TrsvOptions): Promise<void> {
    return trsv(this.#be, 'strsv', 'float32', A, x, options);
  }

  /** Triangular solve op(A) x = b in place in float64 (BLAS dtrsv); options as strsv. */
  dtrsv(A: Matrix<'float64'>, x: Matrix<'float64'>, options?: TrsvOptions): Promise<void> {
    return trsv(this.#be, 'dtrsv', 'float64', A, x, options);
  }

  /**
   * Cholesky factorization in float32 (LAPACK spotrf, lower): the SPD matrix A, of which only
   * the lower triangle is read, is overwritten by L with A = L Lᵀ; the strict upper triangle is
   * set to 0. Returns info: 0 on success, or j + 1 when the leading minor of order j + 1 is not
   * positive definite (a pivot <= 0, NaN or infinite); A is then partly overwritten and its
   * contents unspecified. No NaN is ever returned with info 0.
   * @example
   * const A = la.fromArray([4, 0, 2, 5], 2, 2);      // lower triangle of [[4, 2], [2, 5]]
   * await la.spotrf(A);                                     // 0; A = [[2, 0], [1, 2]]
   */
  spotrf(A: Matrix<'float32'>): Promise<number> {
    return cholesky(this.#be, 'potrf', 'spotrf', 'float32', A);
  }

  /** Cholesky factorization in float64 (LAPACK dpotrf, lower); as spotrf. */
  dpotrf(A: Matrix<'float64'>): Promise<number> {
    return cholesky(this.#be, 'potrf', 'dpotrf', 'float64', A);
  }

  /**
   * Inverse of an SPD matrix in float32 via Cholesky (LAPACK spotrf + spotri): only the lower
   * triangle of A is read, and A is overwritten by the full symmetric A⁻¹. Returns info as
   * spotrf (on info > 0 the contents of A are unspecified).
   * @example
   * const A = la.fromArray([4, 0, 2, 5], 2, 2);
   * await la.spotri(A);                                     // 0; A = [[5, -2], [-2, 4]] / 16
   */
  spotri(A: Matrix<'float32'>): Promise<number> {
    return cholesky(this.#be, 'potri', 'spotri', 'float32', A);
  }

  /** Inverse of an SPD matrix in float64 via Cholesky; as spotri. */
  dpotri(A: Matrix<'float64'>): Promise<number> {
    return cholesky(this.#be, 'potri', 'dpotri', 'float64', A);
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
   * await la.sinvchol(H);                                   // 0; H = U, upper, with Uᵀ U = H⁻¹
   */
  sinvchol(A: Matrix<'float32'>): Promise<number> {
    return cholesky(this.#be, 'invchol', 'sinvchol', 'float32', A);
  }

  /** Upper Cholesky factor of the inverse in float64; as sinvchol. */
  dinvchol(A: Matrix<'float64'>): Promise<number> {
    return cholesky(this.#be, 'invchol', 'dinvchol', 'float64', A);
  }

  /**
   * C = alpha · XᵀX + beta · C in float32 (BLAS ssyrk; options.trans = false gives alpha · X Xᵀ + beta · C).
   * The lower triangle is computed and mirrored, so C comes back full and symmetric; sums over
   * slices of 256 rows of X are accumulated in float64, so 100,000-row X keeps float32 accuracy.
   * @example
   * const X = la.fromArray([1, 2, 3, 4, 5, 6], 3, 2);   // 3 samples, 2 features
   * const H = la.matrix(2, 2);
   * await la.ssyrk(X, H);                      // H = XᵀX = [[35, 44], [44, 56]]
   * await la.ssyrk(X, H, { beta: 1 });         // H += XᵀX (the next batch)
   */
  ssyrk(X: Matrix<'float32'>, C: Matrix<'float32'>, options?: SyrkOptions): Promise<void> {
    return syrk(this.#be, 'ssyrk', 'float32', X, C, options);
  }

  /** C = alpha · XᵀX + beta · C in float64 (BLAS dsyrk); options as ssyrk. */
  dsyrk(X: Matrix<'float64'>, C: Matrix<'float64'>, options?: SyrkOptions): Promise<void> {
    return syrk(this.#be, 'dsyrk', 'float64', X, C, options);
  }

  /**
   * The largest eigenvalue of a symmetric positive semi-definite float32 matrix by power
   * iteration (e.g. the IHT step size 1/λ_max). The start vector is fixed by options.seed.
   * @example
   * const A = la.fromArray([2, 1, 1, 2], 2, 2);
   * await la.slammax(A);                       // { value: ≈3, iterations: …, converged: true }
   * await la.slammax(A, { tolerance: 1e-7, maxIterations: 50, seed: 7 });
   */
  slammax(A: Matrix<'float32'>, options?: LammaxOptions): Promise<LammaxResult> {
    return lammax(this.#be, 'slammax', 'float32', A, options);
  }

  /** λ_max of a symmetric PSD float64 matrix by power iteration; options as slammax. */
  dlammax(A: Matrix<'float64'>, options?: LammaxOptions): Promise<LammaxResult> {
    return lammax(this.#be, 'dlammax', 'float64', A, options);
  }

  /**
   * Indices (ascending) of the k entries of a float32 vector with the largest |x_i| — the support
   * of T_k(x). Equal scores go to the smaller index, so every backend picks the same set.
   * NaN in x is an error. options.by = 'value' ranks by the signed values instead.
   * @example
   * const x = la.fromArray([0.5, -3, 2, 0], 4, 1);
   * await la.stopk(x, 2);                      // Int32Array [1, 2]
   * await la.stopk(x, 2, { by: 'value' });     // Int32Array [0, 2]
   */
  stopk(x: Matrix<'float32'>, k: number, options?: TopkOptions): Promise<Int32Array> {
    return topk(this.#be, 'stopk', 'float32', x, k, options);
  }

  /** Top-k indices of a float64 vector; as stopk. */
  dtopk(x: Matrix<'float64'>, k: number, options?: TopkOptions): Promise<Int32Array> {
    return topk(this.#be, 'dtopk', 'float64', x, k, options);
  }

  /**
   * OBS removal of index p from a symmetric float32 inverse Hessian, in place:
   * Hinv ← Hinv − Hinv[:,p] Hinv[p,:] / Hinv[p,p]; row and column p become exactly 0, and the
   * rest equals the inverse of H with row and column p deleted. Hinv[p,p] must be finite and > 0.
   * @example
   * const Hinv = la.fromArray([2, 1, 1, 2], 2, 2);
   * await la.sdowndate(Hinv, 0);               // Hinv = [[0, 0], [0, 1.5]]
   */
  sdowndate(Hinv: Matrix<'float32'>, p: number): Promise<void> {
    return downdate(this.#be, 'sdowndate', 'float32', Hinv, p);
  }

  /** OBS downdate of a symmetric float64 inverse Hessian at p; as sdowndate. */
  ddowndate(Hinv: Matrix<'float64'>, p: number): Promise<void> {
    return downdate(this.#be, 'ddowndate', 'float64', Hinv, p);
  }

  /**
   * Resolves when every kernel called so far has finished on the device. Calls resolve when their
   * work is queued on a device backend (webgpu), so timing code awaits this before the clock
   * stops; on host backends work is done when a call resolves and this resolves at once.
   * @example
   * const t0 = performance.now();
   * await la.sgemm(A, B, C);
   * await la.finish();
   * const seconds = (performance.now() - t0) / 1000;
   */
  async finish(): Promise<void> {
    await this.#be.finish?.();
  }

  /** True for a device backend (webgpu), whose device can be lost midway (see recover). */
  get canLoseDevice(): boolean {
    return typeof this.#be.lost === 'function';
  }

  /**
   * After a failed call on a device backend: null when the device still works (the failure was
   * something else: rethrow it). When the device was lost (a driver reset, a removed GPU), its
   * reason and a Linalg on the host backend (Wasm) to go on with; every matrix of this Linalg is
   * gone, so the work since the last host copy is redone there. Every call after a loss returns the
   * same Linalg; dispose() of this one disposes it too. Host backends always give null.
   * @example
   * try {
   *   await work(la);
   * } catch (e) {
   *   const r = await la.recover();
   *   if (r === null) throw e;
   *   console.warn(`GPU lost (${r.reason}); going on with ${r.la.backendName}`);
   *   await work(r.la);
   * }
   */
  async recover(): Promise<{ reason: string; la: Linalg } | null> {
    if (this.#recovered !== null) return this.#recovered;
    const loss = await this.#be.lost?.();
    if (!loss) return null;
    this.#recovered = { reason: loss.reason, la: new Linalg(loss.host) };
    return this.#recovered;
  }

  /** Releases the backend's memory; matrices made here are unusable afterwards. */
  dispose(): void {
    this.#be.dispose();
    this.#recovered?.la.dispose();
  }
}
