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
}
