// LAUUM (lower): A := Mᵀ M for a lower triangular M stored in the lower triangle of A, written
// to the lower triangle (potri mirrors it). Blocked as LAPACK dlauum, block rows top down:
// block row I of the result, R[I, 0:I] = M[I,I]ᵀ M[I, 0:I] + M[I+1:, I]ᵀ M[I+1:, 0:I], is an
// in-place triangular product (SIMD row axpys, rows in an order that reads only unwritten ones)
// plus one gemm; the diagonal block is formed in a tile, plus a gemm, and copied back last.
// Block rows below I are only read, so each block row sees the original M where it needs it.
import { gemm } from '../blas/gemm';
import { gemmArea } from '../blas/trsm';
import { ld } from '../util/mem';
import { axpy, elem } from '../util/vec';
import { NB } from './potrf';
import { trtriTile } from './trtri';

/** A := Mᵀ M (lower triangle) for the n x n lower triangular M at a; `work`: trtriWorkBytes<T>(n). */
export function lauum<T>(n: i32, a: usize, lda: i32, work: usize): void {
  const sz = <usize>sizeof<T>();
  const gw = gemmArea<T>(work);
  const tile = trtriTile<T>(work);
  for (let i0 = 0; i0 < n; i0 += NB) {
    const i1 = min(i0 + NB, n), ib = i1 - i0;
    const d = elem<T>(a, lda, i0, i0);
    // S = A[i0:i1, 0:i0] := Dᵀ S, row r from rows q >= r (still unwritten when r is done top down).
    if (i0 > 0) {
      for (let r = 0; r < ib; r++) {
        const sr = elem<T>(a, lda, i0 + r, 0);
        const drr = ld<T>(d, <isize>r * lda + r);
        for (let j = 0; j < i0; j++) store<T>(sr + <usize>j * sz, load<T>(sr + <usize>j * sz) * drr);
        for (let q = r + 1; q < ib; q++) {
          const dq = ld<T>(d, <isize>q * lda + r);
          if (dq != <T>0) axpy<T>(i0, dq, elem<T>(a, lda, i0 + q, 0), sr);
        }
      }
      if (i1 < n) {
        gemm<T>(1, 0, ib, i0, n - i1, <T>1, elem<T>(a, lda, i1, i0), lda, elem<T>(a, lda, i1, 0), lda,
          <T>1, elem<T>(a, lda, i0, 0), lda, gw);
      }
    }
    // Diagonal block: W = Dᵀ D + M[i1:, I]ᵀ M[i1:, I], full ib x ib in the tile (ld NB).
    memory.fill(tile, 0, <usize>(NB * ib) * sz);
    for (let q = 0; q < ib; q++) {
      const dq = d + <usize>q * <usize>lda * sz;
      for (let r = 0; r <= q; r++) {
        const v = ld<T>(dq, r);
        if (v != <T>0) axpy<T>(q + 1, v, dq, tile + <usize>(r * NB) * sz);
      }
    }
    if (i1 < n) {
      gemm<T>(1, 0, ib, ib, n - i1, <T>1, elem<T>(a, lda, i1, i0), lda, elem<T>(a, lda, i1, i0), lda,
        <T>1, tile, NB, gw);
    }
    for (let r = 0; r < ib; r++) memory.copy(d + <usize>r * <usize>lda * sz, tile + <usize>(r * NB) * sz, <usize>(r + 1) * sz);
  }
}
