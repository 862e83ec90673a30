// The typed face of assembly/index.ts: one entry per export. Pointers and sizes are i32.

export interface KernelExports {
  heapBase(): number;
  sgemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, work: number): void;
  dgemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, work: number): void;
  sgemmWorkBytes(): number;
  dgemmWorkBytes(): number;
}
