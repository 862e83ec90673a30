// The Wasm backends: one class over the kernel module, registered twice (relaxed-SIMD and
// plain-SIMD builds). The memory is created here and imported by the module, so a later
// worker pool can share it; the arena hands out blocks of it as matrix storage.
import { bytesPer, type StorageArray } from '../../core/dtype.js';
import type { Mask, Matrix, Storage } from '../../core/matrix.js';
import type { CrossEntropyResult, ExchangeTrajectories, Im2colGeometry, KernelBackend, LammaxResult, MaskRule, Side, Uplo } from '../types.js';
import { Arena, MemoryStorage } from './arena.js';
import { WasmContext } from './context.js';
import type { KernelExports } from './exports.js';
import { addDiagonal } from './kernels/add-diagonal.js';
import { applyMask } from './kernels/apply-mask.js';
import { axpby } from './kernels/axpby.js';
import { copy } from './kernels/copy.js';
import { deadInputs } from './kernels/dead-inputs.js';
import { diagonal } from './kernels/diagonal.js';
import { dot } from './kernels/dot.js';
import { fill } from './kernels/fill.js';
import { firstNonFinite } from './kernels/first-non-finite.js';
import { maskCounts } from './kernels/mask-counts.js';
import { maskDifference } from './kernels/mask-difference.js';
import { maskViolation } from './kernels/mask-violation.js';
import { obcAllocate } from './kernels/obc-allocate.js';
import { objective } from './kernels/objective.js';
import { symmetryViolation } from './kernels/symmetry-violation.js';
import { zeroColumns } from './kernels/zero-columns.js';
import { scaleRows } from './kernels/scale-rows.js';
import { gramDiagonal } from './kernels/gram-diagonal.js';
import { downdate } from './kernels/downdate.js';
import { gemm } from './kernels/gemm.js';
import { invchol } from './kernels/invchol.js';
import { potrf } from './kernels/potrf.js';
import { potri } from './kernels/potri.js';
import { trsm } from './kernels/trsm.js';
import { trsv } from './kernels/trsv.js';
import { lammax } from './kernels/lammax.js';
import { obsGreedy } from './kernels/obs-greedy.js';
import { obsExchange, obsExchangeAllocate } from './kernels/obs-exchange.js';
import { selectMask } from './kernels/select-mask.js';
import { solveOnSupport } from './kernels/solve-support.js';
import { syrk } from './kernels/syrk.js';
import { topk } from './kernels/topk.js';
import { sparsegptBlock } from './kernels/sparsegpt-block.js';
import { pcgDirection, pcgStart, pcgStep, pcgUpdate } from './kernels/pcg.js';
import { rmsNorm } from './kernels/rms-norm.js';
import { rotary } from './kernels/rotary.js';
import { softmaxRows } from './kernels/softmax-rows.js';
import { siluGate } from './kernels/silu-gate.js';
import { gather } from './kernels/gather.js';
import { crossEntropy } from './kernels/cross-entropy.js';
import { im2col } from './kernels/im2col.js';
import { compileKernels, type WasmSource, type WasmVariant } from './loader.js';

/** Options for the Wasm backends. */
export interface WasmOptions extends WasmSource {
  /** Initial memory in 64 KiB pages (grows on demand). */
  initialPages?: number;
  /** Maximum memory in 64 KiB pages (default 65536: 4 GiB). */
  maximumPages?: number;
}

export class WasmBackend implements KernelBackend {
  private constructor(
    readonly name: string,
    readonly variant: WasmVariant,
    private readonly w: WasmContext,
  ) {}

  /** Compiles and instantiates the module for a variant over a fresh memory. */
  static async create(variant: WasmVariant, options: WasmOptions = {}): Promise<WasmBackend> {
    const module = await compileKernels(variant, options);
    const memory = new WebAssembly.Memory({ initial: options.initialPages ?? 256, maximum: options.maximumPages ?? 65536 });
    const instance = await WebAssembly.instantiate(module, {
      env: {
        memory,
        abort: (_msg: number, _file: number, line: number, col: number) => {
          throw new Error(`iobs: Wasm kernel aborted at ${line}:${col}`);
        },
      },
    });
    const exports = instance.exports as unknown as KernelExports & { _start?: () => void };
    exports._start?.();
    const name = `wasm-${variant}`;
    return new WasmBackend(name, variant, new WasmContext(name, exports, new Arena(memory, exports.heapBase())));
  }

  /** The Wasm memory the kernels run in. */
  get memory(): WebAssembly.Memory {
    return this.w.arena.memory;
  }

  allocate(byteLength: number): Storage {
    if (this.w.closed) throw new Error(`iobs: backend ${this.name} was disposed`);
    return new MemoryStorage(this.name, this.w.arena, this.w.arena.alloc(byteLength), byteLength);
  }

  liveBytes(): number {
    return this.w.arena.allocatedBytes;
  }

  peakBytes(): number {
    return this.w.arena.peakBytes;
  }

  resetPeak(): void {
    this.w.arena.resetPeak();
  }

  read(M: Matrix<any>): StorageArray {
    this.open();
    return M.toArray();
  }

  write(M: Matrix<any>, values: ArrayLike<number>): void {
    this.open();
    M.assign(values);
  }

  hostBytes(M: Matrix<any>): Uint8Array {
    this.open();
    return new Uint8Array(this.w.arena.memory.buffer, M.address, M.size * bytesPer(M.dtype));
  }

  // Elementwise, reduction and mask kernels: each a Wasm kernel (src/backends/wasm/kernels).
  copy(A: Matrix<any>, B: Matrix<any>): void {
    copy(this.w, A, B);
  }

  fill(A: Matrix<any>, value: number): void {
    fill(this.w, A, value);
  }

  addDiagonal(A: Matrix, alpha: number): void {
    addDiagonal(this.w, A, alpha);
  }

  diagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): void {
    diagonal(this.w, A, x, op);
  }

  deadInputs(H: Matrix, dead: Mask): number {
    return deadInputs(this.w, H, dead);
  }

  zeroColumns(A: Matrix, cols: Mask): void {
    zeroColumns(this.w, A, cols);
  }

  scaleRows(A: Matrix, x: Matrix): void {
    scaleRows(this.w, A, x);
  }

  gramDiagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): void {
    gramDiagonal(this.w, A, x, op);
  }

  axpby(alpha: number, X: Matrix, beta: number, Y: Matrix): void {
    axpby(this.w, alpha, X, beta, Y);
  }

  applyMask(A: Matrix, mask: Mask): void {
    applyMask(this.w, A, mask);
  }

  firstNonFinite(A: Matrix): number {
    return firstNonFinite(this.w, A);
  }

  dot(A: Matrix, B: Matrix): number {
    return dot(this.w, A, B);
  }

  objective(W: Matrix, X: Matrix | null, H: Matrix<'float64'>): number {
    return objective(this.w, W, X, H);
  }

  symmetryViolation(H: Matrix, tolerance: number): number {
    return symmetryViolation(this.w, H, tolerance);
  }

  maskCounts(mask: Mask, groupSize: number, rowCounts: Matrix<'int32'>): number {
    return maskCounts(this.w, mask, groupSize, rowCounts);
  }

  maskDifference(a: Mask, b: Mask): number {
    return maskDifference(this.w, a, b);
  }

  maskViolation(W: Matrix, mask: Mask): number {
    return maskViolation(this.w, W, mask);
  }

  obcAllocate(losses: Matrix<'float64'>, total: number, rowCounts: Matrix<'int32'>): number {
    return obcAllocate(this.w, losses, total, rowCounts);
  }

  private open(): void {
    if (this.w.closed) throw new Error(`iobs: backend ${this.name} was disposed`);
  }

  gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): void {
    gemm(this.w, transA, transB, alpha, A, B, beta, C);
  }

  trsm(side: Side, uplo: Uplo, transA: boolean, unit: boolean, alpha: number, A: Matrix, B: Matrix): void {
    trsm(this.w, side, uplo, transA, unit, alpha, A, B);
  }

  trsv(uplo: Uplo, trans: boolean, unit: boolean, A: Matrix, x: Matrix): void {
    trsv(this.w, uplo, trans, unit, A, x);
  }

  potrf(A: Matrix): number {
    return potrf(this.w, A);
  }

  potri(A: Matrix): number {
    return potri(this.w, A);
  }

  invchol(A: Matrix): number {
    return invchol(this.w, A);
  }

  syrk(trans: boolean, alpha: number, X: Matrix, beta: number, C: Matrix): void {
    syrk(this.w, trans, alpha, X, beta, C);
  }

  lammax(A: Matrix, maxIterations: number, tolerance: number, seed: number): LammaxResult {
    return lammax(this.w, A, maxIterations, tolerance, seed);
  }

  topk(x: Matrix, k: number, byValue: boolean, out: Matrix<'int32'>): number {
    return topk(this.w, x, k, byValue, out);
  }

  downdate(Hinv: Matrix, p: number): void {
    downdate(this.w, Hinv, p);
  }

  selectMask(W: Matrix, colWeight: Matrix | null, rule: MaskRule, mask: Mask): void {
    selectMask(this.w, W, colWeight, rule, mask);
  }

  obsGreedy(W: Matrix, Hinv: Matrix, counts: Matrix<'int32'>, groupSize: number, groupPrune: number, mask: Mask, losses: Matrix<'float64'> | null): number {
    return obsGreedy(this.w, W, Hinv, counts, groupSize, groupPrune, mask, losses);
  }

  obsExchange(H: Matrix<'float64'>, B: Matrix<'float64'>, mask: Mask, todo: Matrix<'int32'>, groupSize: number, maxSwaps: number,
    swaps: Matrix<'int32'>, t: ExchangeTrajectories | null): number {
    return obsExchange(this.w, H, B, mask, todo, groupSize, maxSwaps, swaps, t);
  }

  obsExchangeAllocate(t: ExchangeTrajectories, mask: Mask, changed: Matrix<'int32'>): number {
    return obsExchangeAllocate(this.w, t, mask, changed);
  }

  solveOnSupport(H: Matrix, B: Matrix, mask: Mask, X: Matrix): number {
    return solveOnSupport(this.w, H, B, mask, X);
  }

  sparsegptBlock(W1: Matrix, U1: Matrix, rule: MaskRule, Err1: Matrix, mask: Mask): number {
    return sparsegptBlock(this.w, W1, U1, rule, Err1, mask);
  }

  pcgStart(X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): number {
    return pcgStart(this.w, X, B, R, P, mask, dinv, tolerance, state);
  }

  pcgStep(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): number {
    return pcgStep(this.w, X, R, P, Q, mask, dinv, tolerance, state);
  }

  pcgUpdate(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, tolerance: number, state: Matrix<'float64'>): number {
    return pcgUpdate(this.w, X, R, P, Q, mask, tolerance, state);
  }

  pcgDirection(R: Matrix, C: Matrix | null, P: Matrix, mask: Mask, dinv: Matrix, restart: boolean, state: Matrix<'float64'>): number {
    return pcgDirection(this.w, R, C, P, mask, dinv, restart, state);
  }

  rmsNorm(X: Matrix, weight: Matrix, eps: number, Y: Matrix): void {
    rmsNorm(this.w, X, weight, eps, Y);
  }

  rotary(X: Matrix, headDim: number, theta: number, start: number, positions: Matrix<'int32'> | null): void {
    rotary(this.w, X, headDim, theta, start, positions);
  }

  softmaxRows(S: Matrix, scale: number, causal: boolean, offset: number): void {
    softmaxRows(this.w, S, scale, causal, offset);
  }

  siluGate(G: Matrix, U: Matrix, Y: Matrix): void {
    siluGate(this.w, G, U, Y);
  }

  gather(E: Matrix, ids: Matrix<'int32'>, Y: Matrix): number {
    return gather(this.w, E, ids, Y);
  }

  crossEntropy(logits: Matrix, targets: Matrix<'int32'>): CrossEntropyResult {
    return crossEntropy(this.w, logits, targets);
  }

  im2col(X: Matrix, P: Matrix, g: Im2colGeometry): void {
    im2col(this.w, X, P, g);
  }

  dispose(): void {
    // The memory itself is reclaimed by the garbage collector once nothing refers to it.
    this.w.closed = true;
  }
}
