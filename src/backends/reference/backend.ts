// The reference backend: straightforward TypeScript loops that accumulate in float64. It is the
// fallback where Wasm SIMD is missing and the oracle the tests hold every other backend to.
import { HeapStorage, type Matrix, type Storage } from '../../core/matrix.js';
import type { KernelBackend, Side, Uplo } from '../types.js';
import { gemm } from './gemm.js';
import { invchol } from './invchol.js';
import { potrf } from './potrf.js';
import { potri } from './potri.js';
import { trsm } from './trsm.js';
import { trsv } from './trsv.js';

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

  dispose(): void {}
}
