// The reference backend: straightforward TypeScript loops that accumulate in float64. It is the
// fallback where Wasm SIMD is missing and the oracle the tests hold every other backend to.
import { HeapStorage, type Matrix, type Storage } from '../../core/matrix.js';
import type { KernelBackend } from '../types.js';
import { gemm } from './gemm.js';

export class ReferenceBackend implements KernelBackend {
  readonly name = 'reference';

  allocate(byteLength: number): Storage {
    return new HeapStorage(this.name, byteLength);
  }

  gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix, B: Matrix, beta: number, C: Matrix): void {
    gemm(transA, transB, alpha, A, B, beta, C);
  }

  dispose(): void {}
}
