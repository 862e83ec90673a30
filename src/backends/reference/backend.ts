// The reference backend: straightforward TypeScript loops that accumulate in float64. It is the
// fallback where Wasm SIMD is missing and the oracle the tests hold every other backend to.
import { bytesPer, type StorageArray } from '../../core/dtype.js';
import { HeapStorage, type Mask, type Matrix, type Storage } from '../../core/matrix.js';
import type { CrossEntropyResult, ExchangeTrajectories, Im2colGeometry, KernelBackend, LammaxResult, MaskRule, Side, Uplo } from '../types.js';
import { copy, fill } from './copy.js';
import { addDiagonal, deadInputs, diagonal } from './diagonal.js';
import { applyMask, axpby, gramDiagonal, scaleRows, zeroColumns } from './elementwise.js';
import { dot, firstNonFinite, objective, symmetryViolation } from './reduce.js';
import { maskCounts, maskDifference, maskViolation, obcAllocate } from './masks.js';
import { gemm } from './gemm.js';
import { invchol } from './invchol.js';
import { potrf } from './potrf.js';
import { potri } from './potri.js';
import { trsm } from './trsm.js';
import { trsv } from './trsv.js';
import { downdate } from './downdate.js';
import { lammax } from './lammax.js';
import { syrk } from './syrk.js';
import { topk } from './topk.js';
import { selectMask } from './select-mask.js';
import { obsGreedy } from './obs-greedy.js';
import { obsExchange, obsExchangeAllocate } from './obs-exchange.js';
import { solveOnSupport } from './solve-support.js';
import { sparsegptBlock } from './sparsegpt-block.js';
import { pcgDirection, pcgStart, pcgStep, pcgUpdate } from './pcg.js';
import * as nn from './nn.js';
import { im2col } from './im2col.js';

/** The elements of a contiguous matrix as a typed array over its storage (no copy). */
function flat<A extends StorageArray>(M: Matrix<any>): A {
  return (M.data as A).subarray(M.offset, M.offset + M.size) as A;
}

export class ReferenceBackend implements KernelBackend {
  readonly name: string = 'reference';
  private live = 0;
  private peak = 0;

  allocate(byteLength: number): Storage {
    this.live += byteLength;
    if (this.live > this.peak) this.peak = this.live;
    return new HeapStorage(this.name, byteLength, (bytes) => {
      this.live -= bytes;
    });
  }

  liveBytes(): number {
    return this.live;
  }

  peakBytes(): number {
    return this.peak;
  }

  resetPeak(): void {
    this.peak = this.live;
  }

  read(M: Matrix<any>): StorageArray {
    return M.toArray();
  }

  write(M: Matrix<any>, values: ArrayLike<number>): void {
    M.assign(values);
  }

  hostBytes(M: Matrix<any>): Uint8Array {
    const size = bytesPer(M.dtype);
    return M.storage.view('uint8').subarray(M.offset * size, (M.offset + M.size) * size);
  }

  copy(A: Matrix<any>, B: Matrix<any>): void {
    copy(A, B);
  }

  fill(A: Matrix<any>, value: number): void {
    fill(A, value);
  }

  addDiagonal(A: Matrix, alpha: number): void {
    addDiagonal(A, alpha);
  }

  diagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): void {
    diagonal(A, x, op);
  }

  deadInputs(H: Matrix, dead: Mask): number {
    return deadInputs(H, dead);
  }

  zeroColumns(A: Matrix, cols: Mask): void {
    zeroColumns(A, cols);
  }

  scaleRows(A: Matrix, x: Matrix): void {
    scaleRows(A, x);
  }

  gramDiagonal(A: Matrix, x: Matrix, op: 'copy' | 'reciprocal'): void {
    gramDiagonal(A, x, op);
  }

  axpby(alpha: number, X: Matrix, beta: number, Y: Matrix): void {
    axpby(alpha, X, beta, Y);
  }

  applyMask(A: Matrix, mask: Mask): void {
    applyMask(A, mask);
  }

  firstNonFinite(A: Matrix): number {
    return firstNonFinite(A);
  }

  dot(A: Matrix, B: Matrix): number {
    return dot(A, B);
  }

  objective(W: Matrix, X: Matrix | null, H: Matrix<'float64'>): number {
    return objective(W, X, H);
  }

  symmetryViolation(H: Matrix, tolerance: number): number {
    return symmetryViolation(H, tolerance);
  }

  maskCounts(mask: Mask, groupSize: number, rowCounts: Matrix<'int32'>): number {
    return maskCounts(mask, groupSize, rowCounts);
  }

  maskDifference(a: Mask, b: Mask): number {
    return maskDifference(a, b);
  }

  maskViolation(W: Matrix, mask: Mask): number {
    return maskViolation(W, mask);
  }

  obcAllocate(losses: Matrix<'float64'>, total: number, rowCounts: Matrix<'int32'>): number {
    return obcAllocate(losses, total, rowCounts);
  }

  gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): void {
    gemm(transA, transB, alpha, A, B, beta, C);
  }

  trsm(side: Side, uplo: Uplo, transA: boolean, unit: boolean, alpha: number, A: Matrix, B: Matrix): void {
    trsm(side, uplo, transA, unit, alpha, A, B);
  }

  trsv(uplo: Uplo, trans: boolean, unit: boolean, A: Matrix, x: Matrix): void {
    trsv(uplo, trans, unit, A, x);
  }

  potrf(A: Matrix): number {
    return potrf(A);
  }

  potri(A: Matrix): number {
    return potri(A);
  }

  invchol(A: Matrix): number {
    return invchol(A);
  }

  syrk(trans: boolean, alpha: number, X: Matrix, beta: number, C: Matrix): void {
    syrk(trans, alpha, X, beta, C);
  }

  lammax(A: Matrix, maxIterations: number, tolerance: number, seed: number): LammaxResult {
    return lammax(A, maxIterations, tolerance, seed);
  }

  topk(x: Matrix, k: number, byValue: boolean, out: Matrix<'int32'>): number {
    return topk(x, k, byValue, flat<Int32Array>(out));
  }

  downdate(Hinv: Matrix, p: number): void {
    downdate(Hinv, p);
  }

  selectMask(W: Matrix, colWeight: Matrix | null, rule: MaskRule, mask: Mask): void {
    selectMask(W, colWeight, rule, flat<Uint8Array>(mask));
  }

  obsGreedy(W: Matrix, Hinv: Matrix, counts: Matrix<'int32'>, groupSize: number, groupPrune: number, mask: Mask, losses: Matrix<'float64'> | null): number {
    return obsGreedy(W, Hinv, flat<Int32Array>(counts), groupSize, groupPrune, flat<Uint8Array>(mask), losses && flat<Float64Array>(losses), losses ? losses.cols : 0);
  }

  obsExchange(H: Matrix<'float64'>, B: Matrix<'float64'>, mask: Mask, todo: Matrix<'int32'>, groupSize: number, maxSwaps: number,
    swaps: Matrix<'int32'>, t: ExchangeTrajectories | null): number {
    const tr = t && { addGain: flat<Float64Array>(t.addGain), addIndex: flat<Int32Array>(t.addIndex), removeCost: flat<Float64Array>(t.removeCost), removeIndex: flat<Int32Array>(t.removeIndex), steps: t.addGain.cols };
    return obsExchange(H, B, flat<Uint8Array>(mask), flat<Int32Array>(todo), groupSize, maxSwaps, flat<Int32Array>(swaps), tr);
  }

  obsExchangeAllocate(t: ExchangeTrajectories, mask: Mask, changed: Matrix<'int32'>): number {
    return obsExchangeAllocate(mask.rows, mask.cols, t.addGain.cols, flat<Float64Array>(t.addGain), flat<Int32Array>(t.addIndex),
      flat<Float64Array>(t.removeCost), flat<Int32Array>(t.removeIndex), flat<Uint8Array>(mask), flat<Int32Array>(changed));
  }

  solveOnSupport(H: Matrix, B: Matrix, mask: Mask, X: Matrix): number {
    return solveOnSupport(H, B, flat<Uint8Array>(mask), X);
  }

  sparsegptBlock(W1: Matrix, U1: Matrix, rule: MaskRule, Err1: Matrix, mask: Mask): number {
    return sparsegptBlock(W1, U1, rule, Err1, flat<Uint8Array>(mask));
  }

  pcgStart(X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): number {
    return pcgStart(X, B, R, P, flat<Uint8Array>(mask), dinv, tolerance, flat<Float64Array>(state));
  }

  pcgStep(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, dinv: Matrix, tolerance: number, state: Matrix<'float64'>): number {
    return pcgStep(X, R, P, Q, flat<Uint8Array>(mask), dinv, tolerance, flat<Float64Array>(state));
  }

  pcgUpdate(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Mask, tolerance: number, state: Matrix<'float64'>): number {
    return pcgUpdate(X, R, P, Q, flat<Uint8Array>(mask), tolerance, flat<Float64Array>(state));
  }

  pcgDirection(R: Matrix, C: Matrix | null, P: Matrix, mask: Mask, dinv: Matrix, restart: boolean, state: Matrix<'float64'>): number {
    return pcgDirection(R, C, P, flat<Uint8Array>(mask), dinv, restart, flat<Float64Array>(state));
  }

  rmsNorm(X: Matrix, weight: Matrix, eps: number, Y: Matrix): void {
    nn.rmsNorm(X, weight, eps, Y);
  }

  rotary(X: Matrix, headDim: number, theta: number, start: number, positions: Matrix<'int32'> | null): void {
    nn.rotary(X, headDim, theta, start, positions);
  }

  softmaxRows(S: Matrix, scale: number, causal: boolean, offset: number): void {
    nn.softmaxRows(S, scale, causal, offset);
  }

  siluGate(G: Matrix, U: Matrix, Y: Matrix): void {
    nn.siluGate(G, U, Y);
  }

  gather(E: Matrix, ids: Matrix<'int32'>, Y: Matrix): number {
    return nn.gather(E, ids, Y);
  }

  crossEntropy(logits: Matrix, targets: Matrix<'int32'>): CrossEntropyResult {
    return nn.crossEntropy(logits, targets);
  }

  im2col(X: Matrix, P: Matrix, g: Im2colGeometry): void {
    im2col(X, P, g);
  }

  dispose(): void {}
}
