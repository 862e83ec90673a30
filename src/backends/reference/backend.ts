// The reference backend: straightforward TypeScript loops that accumulate in float64. It is the
// fallback where Wasm SIMD is missing and the oracle the tests hold every other backend to.
import { HeapStorage, type Matrix, type Storage } from '../../core/matrix.js';
import type { KernelBackend, LammaxResult, MaskRule, Side, Uplo } from '../types.js';
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
import { solveOnSupport } from './solve-support.js';
import { sparsegptBlock } from './sparsegpt-block.js';
import { pcgStart, pcgStep } from './pcg.js';

export class ReferenceBackend implements KernelBackend {
  readonly name = 'reference';

  allocate(byteLength: number): Storage {
    return new HeapStorage(this.name, byteLength);
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

  topk(x: Matrix, k: number, byValue: boolean, out: Int32Array): number {
    return topk(x, k, byValue, out);
  }

  downdate(Hinv: Matrix, p: number): void {
    downdate(Hinv, p);
  }

  selectMask(W: Matrix, colWeight: Matrix | null, rule: MaskRule, mask: Uint8Array): void {
    selectMask(W, colWeight, rule, mask);
  }

  obsGreedy(W: Matrix, Hinv: Matrix, counts: Int32Array, groupSize: number, groupPrune: number, mask: Uint8Array, losses: Float64Array | null, lossStride: number): number {
    return obsGreedy(W, Hinv, counts, groupSize, groupPrune, mask, losses, lossStride);
  }

  solveOnSupport(H: Matrix, B: Matrix, mask: Uint8Array, X: Matrix): number {
    return solveOnSupport(H, B, mask, X);
  }

  sparsegptBlock(W1: Matrix, U1: Matrix, rule: MaskRule, Err1: Matrix, mask: Uint8Array): number {
    return sparsegptBlock(W1, U1, rule, Err1, mask);
  }

  pcgStart(X: Matrix, B: Matrix, R: Matrix, P: Matrix, mask: Uint8Array, dinv: Matrix, tolerance: number, state: Float64Array): number {
    return pcgStart(X, B, R, P, mask, dinv, tolerance, state);
  }

  pcgStep(X: Matrix, R: Matrix, P: Matrix, Q: Matrix, mask: Uint8Array, dinv: Matrix, tolerance: number, state: Float64Array): number {
    return pcgStep(X, R, P, Q, mask, dinv, tolerance, state);
  }

  dispose(): void {}
}
