// POTRF: Cholesky factorization A = L Lᵀ of a symmetric positive definite matrix, lower
// triangle in, lower factor out (row-major), strict upper triangle set to zero.
//
// Right-looking blocked algorithm, NB columns at a time:
//   1. factor the NB x NB diagonal block unblocked (potf2: row-wise dot products, SIMD);
//   2. panel: L21 = A21 L11⁻ᵀ (trsm, right side, lower, transposed);
//   3. trailing update A22 -= L21 L21ᵀ on the lower triangle, in column strips of UW that each
//      go through one gemm<T> call (only the strip's diagonal UW x UW square is computed in full;
//      its strict upper part lands in A's strict upper triangle, which is cleared at the end).
// Every pivot is checked before its square root: a pivot that is not > 0 or not finite stops
// the factorization with info = its column + 1 (NaN and Inf in A always reach some pivot).
import { gemm } from '../blas/gemm';
import { gemmArea, trsm, trsmWorkBytes } from '../blas/trsm';
import { ld, st } from '../util/mem';
import { dot, elem } from '../util/vec';

/** Columns per block step. */
export const NB: i32 = 128;
/** Width of a column strip of the trailing update (one gemm call each). */
const UW: i32 = 256;

/** Workspace bytes for potrf<T> (trsm's tile and the gemm workspace). */
export function potrfWorkBytes<T>(): usize {
  return trsmWorkBytes<T>();
}

/** Unblocked Cholesky of the n x n lower triangle at a; returns 0 or the failing column + 1. */
export function potf2<T>(n: i32, a: usize, lda: i32): i32 {
  for (let i = 0; i < n; i++) {
    const ri = elem<T>(a, lda, i, 0);
    for (let j = 0; j < i; j++) {
      const rj = elem<T>(a, lda, j, 0);
      st<T>(ri, j, (ld<T>(ri, j) - dot<T>(j, ri, rj)) / ld<T>(rj, j));
    }
    const d = ld<T>(ri, i) - dot<T>(i, ri, ri);
    if (!(d > <T>0) || !isFinite<T>(d)) return i + 1;
    st<T>(ri, i, <T>Math.sqrt(<f64>d));
  }
  return 0;
}

/** Sets the strict upper triangle of the n x n matrix at a to zero. */
export function clearUpper<T>(n: i32, a: usize, lda: i32): void {
  for (let i = 0; i + 1 < n; i++) memory.fill(elem<T>(a, lda, i, i + 1), 0, <usize>(n - 1 - i) * sizeof<T>());
}

/**
 * Cholesky factorization of the n x n SPD matrix at a (lower triangle read), overwritten by L.
 * Returns 0, or j + 1 when the leading minor of order j + 1 is not positive definite (A is
 * then partly overwritten and its contents unspecified). `work`: potrfWorkBytes<T>() bytes.
 */
export function potrf<T>(n: i32, a: usize, lda: i32, work: usize): i32 {
  const gw = gemmArea<T>(work);
  for (let k0 = 0; k0 < n; k0 += NB) {
    const k1 = min(k0 + NB, n), kb = k1 - k0;
    const info = potf2<T>(kb, elem<T>(a, lda, k0, k0), lda);
    if (info) return k0 + info;
    if (k1 >= n) break;
    trsm<T>(1, 0, 1, 0, n - k1, kb, <T>1, elem<T>(a, lda, k0, k0), lda, elem<T>(a, lda, k1, k0), lda, work);
    for (let j0 = k1; j0 < n; j0 += UW) {
      const j1 = min(j0 + UW, n);
      gemm<T>(0, 1, n - j0, j1 - j0, kb, <T>-1, elem<T>(a, lda, j0, k0), lda,
        elem<T>(a, lda, j0, k0), lda, <T>1, elem<T>(a, lda, j0, j0), lda, gw);
    }
  }
  clearUpper<T>(n, a, lda);
  return 0;
}

/** Single precision Cholesky (see potrf). */
export function spotrf(n: i32, a: usize, lda: i32, work: usize): i32 {
  return potrf<f32>(n, a, lda, work);
}

/** Double precision Cholesky (see potrf). */
export function dpotrf(n: i32, a: usize, lda: i32, work: usize): i32 {
  return potrf<f64>(n, a, lda, work);
}

/** Workspace bytes for spotrf. */
export function spotrfWorkBytes(): usize { return potrfWorkBytes<f32>(); }
/** Workspace bytes for dpotrf. */
export function dpotrfWorkBytes(): usize { return potrfWorkBytes<f64>(); }
