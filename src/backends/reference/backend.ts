// The reference backend: straightforward TypeScript loops that accumulate in float64. It is the
// fallback where Wasm SIMD is missing and the oracle the tests hold every other backend to.
import { HeapStorage, type Matrix, type Storage } from '../../core/matrix.js';
import type { KernelBackend, LammaxResult } from '../types.js';
import { downdate } from './downdate.js';
import { gemm } from './gemm.js';
import { lammax } from './lammax.js';
import { syrk } from './syrk.js';
import { topk } from './topk.js';

export class ReferenceBackend implements KernelBackend {
  readonly name = 'reference';

  allocate(byteLength: number): Storage {
    return new HeapStorage(this.name, byteLength);
  }

  gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): void {
    gemm(transA, transB, alpha, A, B, beta, C);
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

  dispose(): void {}
}
