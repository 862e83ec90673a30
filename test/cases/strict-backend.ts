// A strict test backend: the reference backend behind the KernelBackend interface, with storage
// that refuses every synchronous host access, as a GPU backend's would. Matrix.data, get, set,
// assign, toArray (from test code or library code) throw; values reach the host only through
// read() and the host reaches them only through write(), the facade's two doorways. While one of
// its own kernels runs, the wrapper lets the reference loops read their operands.
//
// It also behaves like a device where timing shows: read() and every kernel that returns a value
// resolve a promise (so code that forgets an `await` gets a Promise, not a number), and it keeps
// count of what was read, so a case can assert that an algorithm never read more than O(rows +
// cols) elements at a time. Matrices of another backend are refused (a device cannot see them).
//   const strict = new StrictBackend(new lib.ReferenceBackend());
//   const la = new lib.Linalg(strict);
//   strict.resetReads(); await run(la); strict.reads().largest   // elements of the biggest read
import type { StorageArray, StorageDType } from '../../src/core/dtype.js';
import type { Mask, Matrix, Storage } from '../../src/core/matrix.js';
import type { CrossEntropyResult, ExchangeTrajectories, Im2colGeometry, KernelBackend, LammaxResult, MaskRule, Side, Uplo } from '../../src/backends/types.js';
import type { Library } from './harness.js';

/** The message of every refused host access (tests match on it). */
export const HOST_ACCESS = 'host access to a device matrix: use await la.read(M)';

/** What went through read() since the last reset. */
export interface ReadStats {
  /** Number of read() calls. */
  calls: number;
  /** Elements returned by the largest single read. */
  largest: number;
  /** Elements returned by all reads together. */
  total: number;
  /** Elements of each read, in order. */
  sizes: number[];
}

/** Storage whose view() works only while its backend runs one of its kernels. */
class StrictStorage implements Storage {
  readonly address = -1;

  constructor(readonly backend: StrictBackend, private readonly inner: Storage) {}

  get owner(): string {
    return this.backend.name;
  }

  get byteLength(): number {
    return this.inner.byteLength;
  }

  get released(): boolean {
    return this.inner.released;
  }

  view<D extends StorageDType>(dtype: D) {
    if (!this.backend.inKernel) throw new Error(`iobs strict backend: ${HOST_ACCESS} (or la.write(M, values)), not Matrix.data/get/set/assign/toArray`);
    return this.inner.view(dtype);
  }

  release(): void {
    this.inner.release();
  }
}

export class StrictBackend implements KernelBackend {
  readonly name = 'strict';
  private depth = 0;
  private log: ReadStats = { calls: 0, largest: 0, total: 0, sizes: [] };

  constructor(private readonly inner: KernelBackend) {}

  /** A Linalg on a new strict backend over the library's reference backend, and the backend itself. */
  static linalg(lib: Library): { la: InstanceType<Library['Linalg']>; strict: StrictBackend } {
    const strict = new StrictBackend(new lib.ReferenceBackend());
    return { la: new lib.Linalg(strict), strict };
  }

  /** True while one of this backend's kernels (or read / write) runs. */
  get inKernel(): boolean {
    return this.depth > 0;
  }

  /** A copy of the read counters. */
  reads(): ReadStats {
    return { ...this.log, sizes: [...this.log.sizes] };
  }

  /** Zeroes the read counters. */
  resetReads(): void {
    this.log = { calls: 0, largest: 0, total: 0, sizes: [] };
  }

  /** Runs body with host access to this backend's storage, refusing matrices of other backends. */
  private run<T>(mats: readonly (Matrix<any> | null)[], body: () => T): T {
    for (const M of mats) {
      if (M && !(M.storage instanceof StrictStorage && M.storage.backend === this)) {
        throw new Error(`iobs strict backend: a ${M.rows}x${M.cols} ${M.dtype} matrix of backend ${M.storage.owner} passed to the strict backend (copy it across with read / write)`);
      }
    }
    this.depth++;
    try {
      return body();
    } finally {
      this.depth--;
    }
  }

  /** Like run, with the value resolved a turn later, as a device's readback would be. */
  private async later<T>(mats: readonly (Matrix<any> | null)[], body: () => T | Promise<T>): Promise<T> {
    const value = await this.run(mats, body);
    await Promise.resolve();
    return value;
  }

  allocate(byteLength: number): Storage {
    return new StrictStorage(this, this.inner.allocate(byteLength));
  }

  liveBytes(): number {
    return this.inner.liveBytes();
  }

  peakBytes(): number {
    return this.inner.peakBytes();
  }

  resetPeak(): void {
    this.inner.resetPeak();
  }

  async read(M: Matrix<any>): Promise<StorageArray> {
    // Copied now (a readback sees the kernels issued before it), delivered a turn later.
    const out = await this.run([M], () => this.inner.read(M));
    this.log.calls++;
    this.log.total += out.length;
    this.log.largest = Math.max(this.log.largest, out.length);
    this.log.sizes.push(out.length);
    await Promise.resolve();
    return out;
  }

  write(M: Matrix<any>, values: ArrayLike<number>): void {
    this.run([M], () => this.inner.write(M, values));
  }

  // ---- kernels that return nothing: run now, in order (a device queues them) -------------------

  copy(A: Matrix<any>, B: Matrix<any>) {
    return this.run([A, B], () => this.inner.copy(A, B));
  }

  fill(A: Matrix<any>, value: number) {
    return this.run([A], () => this.inner.fill(A, value));
  }

  addDiagonal(A: Matrix, alpha: number) {
    return this.run([A], () => this.inner.addDiagonal(A, alpha));
  }

  diagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal') {
    return this.run([A, x], () => this.inner.diagonal(A, x, op));
  }

  zeroColumns(A: Matrix, cols: Mask) {
    return this.run([A, cols], () => this.inner.zeroColumns(A, cols));
  }

  gramDiagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal') {
    return this.run([A, x], () => this.inner.gramDiagonal(A, x, op));
  }

  scaleRows(A: Matrix, x: Matrix) {
    return this.run([A, x], () => this.inner.scaleRows(A, x));
  }

  axpby(alpha: number, X: Matrix, beta: number, Y: Matrix) {
    return this.run([X, Y], () => this.inner.axpby(alpha, X, beta, Y));
  }

  applyMask(A: Matrix, mask: Mask) {
    return this.run([A, mask], () => this.inner.applyMask(A, mask));
  }

  gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix) {
    return this.run([A, B, C], () => this.inner.gemm(transA, transB, alpha, A, B, beta, C));
  }

  trsm(side: Side, uplo: Uplo, transA: boolean, unit: boolean, alpha: number, A: Matrix, B: Matrix) {
    return this.run([A, B], () => this.inner.trsm(side, uplo, transA, unit, alpha, A, B));
  }

  trsv(uplo: Uplo, trans: boolean, unit: boolean, A: Matrix, x: Matrix) {
    return this.run([A, x], () => this.inner.trsv(uplo, trans, unit, A, x));
  }

  syrk(trans: boolean, alpha: number, X: Matrix, beta: number, C: Matrix) {
    return this.run([X, C], () => this.inner.syrk(trans, alpha, X, beta, C));
  }

  downdate(Hinv: Matrix, p: number) {
    return this.run([Hinv], () => this.inner.downdate(Hinv, p));
  }

  selectMask(W: Matrix, colWeight: Matrix | null, rule: MaskRule, mask: Mask) {
    return this.run([W, colWeight, mask], () => this.inner.selectMask(W, colWeight, rule, mask));
  }

  rmsNorm(X: Matrix, weight: Matrix, eps: number, Y: Matrix) {
    return this.run([X, weight, Y], () => this.inner.rmsNorm(X, weight, eps, Y));
  }

  rotary(X: Matrix, headDim: number, theta: number, start: number, positions: Matrix<'int32'> | null) {
    return this.run([X, positions], () => this.inner.rotary(X, headDim, theta, start, positions));
  }

  softmaxRows(S: Matrix, scale: number, causal: boolean, offset: number) {
    return this.run([S], () => this.inner.softmaxRows(S, scale, causal, offset));
  }

  siluGate(G: Matrix, U: Matrix, Y: Matrix) {
    return this.run([G, U, Y], () => this.inner.siluGate(G, U, Y));
  }

  // ---- kernels that return a value: resolved later, as a device's result is ------------------

  deadInputs(H: Matrix, dead: Mask): Promise<number> {
    return this.later([H, dead], () => this.inner.deadInputs(H, dead));
  }

  firstNonFinite(A: Matrix): Promise<number> {
    return this.later([A], () => this.inner.firstNonFinite(A));
  }

  dot(A: Matrix, B: Matrix): Promise<number> {
    return this.later([A, B], () => this.inner.dot(A, B));
  }

  objective(W: Matrix, X: Matrix | null, H: Matrix<'float64'>): Promise<number> {
    return this.later([W, X, H], () => this.inner.objective(W, X, H));
  }

  symmetryViolation(H: Matrix, tolerance: number): Promise<number> {
    return this.later([H], () => this.inner.symmetryViolation(H, tolerance));
  }

  maskCounts(mask: Mask, groupSize: number, rowCounts: Matrix<'int32'>): Promise<number> {
    return this.later([mask, rowCounts], () => this.inner.maskCounts(mask, groupSize, rowCounts));
  }

  maskDifference(a: Mask, b: Mask): Promise<number> {
    return this.later([a, b], () => this.inner.maskDifference(a, b));
  }

  maskViolation(W: Matrix, mask: Mask): Promise<number> {
    return this.later([W, mask], () => this.inner.maskViolation(W, mask));
  }

  obcAllocate(losses: Matrix<'float64'>, total: number, rowCounts: Matrix<'int32'>): Promise<number> {
    return this.later([losses, rowCounts], () => this.inner.obcAllocate(losses, total, rowCounts));
  }

  potrf(A: Matrix): Promise<number> {
    return this.later([A], () => this.inner.potrf(A));
  }

  potri(A: Matrix): Promise<number> {
    return this.later([A], () => this.inner.potri(A));
  }

  invchol(A: Matrix): Promise<number> {
    return this.later([A], () => this.inner.invchol(A));
  }

  lammax(A: Matrix, maxIterations: number, tolerance: number, seed: number): Promise<LammaxResult> {
    return this.later([A], () => this.inner.lammax(A, maxIterations, tolerance, seed));
  }

  topk(x: Matrix, k: number, byValue: boolean, out: Matrix<'int32'>): Promise<number> {
    return this.later([x, out], () => this.inner.topk(x, k, byValue, out));
  }

  obsGreedy(W: Matrix, Hinv: Matrix, counts: Matrix<'int32'>, groupSize: number, groupPrune: number, mask: Mask, losses: Matrix<'float64'> | null): Promise<number> {
    return this.later([W, Hinv, counts, mask, losses], () => this.inner.obsGreedy(W, Hinv, counts, groupSize, groupPrune, mask, losses));
  }

  obsExchange(H: Matrix<'float64'>, B: Matrix<'float64'>, mask: Mask, todo: Matrix<'int32'>, groupSize: number, maxSwaps: number,
    swaps: Matrix<'int32'>, t: ExchangeTrajectories | null): Promise<number> {
    const mats = t ? [H, B, mask, todo, swaps, t.addGain, t.addIndex, t.removeCost, t.removeIndex] : [H, B, mask, todo, swaps];
    return this.later(mats, () => this.inner.obsExchange(H, B, mask, todo, groupSize, maxSwaps, swaps, t));
  }

  obsExchangeAllocate(t: ExchangeTrajectories, mask: Mask, changed: Matrix<'int32'>): Promise<number> {
    return this.later([t.addGain, t.addIndex, t.removeCost, t.removeIndex, mask, changed], () => this.inner.obsExchangeAllocate(t, mask, changed));
  }

  solveOnSupport(H: Matrix, B: Matrix, mask: Mask, X: Matrix): Promise<number> {
    return this.later([H, B, mask, X], () => this.inner.solveOnSupport(H, B, mask, X));
  }

  sparsegptBlock(W1: Matrix, U1: Matrix, rule: MaskRule, Err1: Matrix, mask: Mask): Promise<number> {
    return this.later([W1, U1, Err1, mask], () => this.inner.sparsegptBlock(W1, U1, rule, Err1, mask));
  }

  pcgStart(X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): Promise<number> {
    return this.later([X, B, R, P, mask, dinv, state], () => this.inner.pcgStart(X, B, R, P, mask, dinv, tolerance, state));
  }

  pcgStep(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): Promise<number> {
    return this.later([X, R, P, Q, mask, dinv, state], () => this.inner.pcgStep(X, R, P, Q, mask, dinv, tolerance, state));
  }

  pcgUpdate(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, tolerance: number, state: Matrix<'float64'>): Promise<number> {
    return this.later([X, R, P, Q, mask, state], () => this.inner.pcgUpdate(X, R, P, Q, mask, tolerance, state));
  }

  pcgDirection(R: Matrix, C: Matrix | null, P: Matrix, mask: Mask, dinv: Matrix, restart: boolean, state: Matrix<'float64'>): Promise<number> {
    return this.later(C === null ? [R, P, mask, dinv, state] : [R, C, P, mask, dinv, state], () => this.inner.pcgDirection(R, C, P, mask, dinv, restart, state));
  }

  gather(E: Matrix, ids: Matrix<'int32'>, Y: Matrix): Promise<number> {
    return this.later([E, ids, Y], () => this.inner.gather(E, ids, Y));
  }

  crossEntropy(logits: Matrix, targets: Matrix<'int32'>): Promise<CrossEntropyResult> {
    return this.later([logits, targets], () => this.inner.crossEntropy(logits, targets));
  }

  im2col(X: Matrix, P: Matrix, g: Im2colGeometry) {
    return this.run([X, P], () => this.inner.im2col(X, P, g));
  }

  dispose(): void {
    this.inner.dispose();
  }
}
