// TRTRI (lower, non-unit): L := L⁻¹ in place for a lower triangular L whose strict upper
// triangle is zero (as potrf leaves it). Used by potri and invchol.
//
// Blocked as LAPACK dtrtri, last block column first: with the trailing part already inverted,
//   L[j1:, j0:j1] := -L22⁻¹ L21 L11⁻¹
// as a triangular product (gemm over row blocks of a copy of L21, relying on the zero strict
// upper triangle of L22⁻¹ inside its diagonal blocks) then a trsm from the right by L11; the
// diagonal block itself is inverted unblocked (row-wise forward substitution into a tile).
import { gemm } from '../blas/gemm';
import { gemmArea, trsm, trsmWorkBytes } from '../blas/trsm';
import { ld, st } from '../util/mem';
import { axpy, divide, elem } from '../util/vec';
import { NB } from './potrf';

/** Workspace bytes for trtri<T> / lauum<T> of order n: trsm's workspace, an NB x NB tile, n x NB copy. */
export function trtriWorkBytes<T>(n: i32): usize {
  return trsmWorkBytes<T>() + <usize>(NB * NB + max(n, 1) * NB) * sizeof<T>();
}

/** The NB x NB tile inside a trtri workspace. */
// @ts-ignore: decorator
@inline export function trtriTile<T>(work: usize): usize {
  return work + trsmWorkBytes<T>();
}

/** Inverts the n x n (n <= NB) lower triangle at a in place, through the dense tile (ld NB). */
export function trti2<T>(n: i32, a: usize, lda: i32, tile: usize): void {
  memory.fill(tile, 0, <usize>(NB * n) * sizeof<T>());
  for (let i = 0; i < n; i++) {
    // X[i, 0:i+1] = (e_i - sum_{p<i} L[i,p] X[p, 0:p+1]) / L[i,i]
    const ri = elem<T>(a, lda, i, 0);
    const xi = tile + <usize>(i * NB) * sizeof<T>();
    st<T>(xi, i, <T>1);
    for (let p = 0; p < i; p++) {
      const l = ld<T>(ri, p);
      if (l != <T>0) axpy<T>(p + 1, -l, tile + <usize>(p * NB) * sizeof<T>(), xi);
    }
    divide<T>(i + 1, ld<T>(ri, i), xi);
  }
  for (let i = 0; i < n; i++) {
    memory.copy(elem<T>(a, lda, i, 0), tile + <usize>(i * NB) * sizeof<T>(), <usize>(i + 1) * sizeof<T>());
  }
}

/** L := L⁻¹ for the n x n lower triangular L at a (strict upper triangle zero, diagonal nonzero). */
export function trtri<T>(n: i32, a: usize, lda: i32, work: usize): void {
  if (n <= 0) return;
  const sz = <usize>sizeof<T>();
  const gw = gemmArea<T>(work);
  const tile = trtriTile<T>(work);
  const copy = tile + <usize>(NB * NB) * sz;
  for (let j0 = ((n - 1) / NB) * NB; j0 >= 0; j0 -= NB) {
    const j1 = min(j0 + NB, n), jb = j1 - j0;
    if (j1 < n) {
      const r = n - j1;
      // copy := L21 (r x jb, ld jb); L21 := L22⁻¹ copy, one row block at a time.
      for (let i = 0; i < r; i++) memory.copy(copy + <usize>(i * jb) * sz, elem<T>(a, lda, j1 + i, j0), <usize>jb * sz);
      for (let i0 = 0; i0 < r; i0 += NB) {
        const i1 = min(i0 + NB, r);
        gemm<T>(0, 0, i1 - i0, jb, i1, <T>1, elem<T>(a, lda, j1 + i0, j1), lda, copy, jb,
          <T>0, elem<T>(a, lda, j1 + i0, j0), lda, gw);
      }
      // L21 := -L21 L11⁻¹
      trsm<T>(1, 0, 0, 0, r, jb, <T>-1, elem<T>(a, lda, j0, j0), lda, elem<T>(a, lda, j1, j0), lda, work);
    }
    trti2<T>(jb, elem<T>(a, lda, j0, j0), lda, tile);
  }
}
