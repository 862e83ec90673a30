// INVCHOL: the upper triangular U with A⁻¹ = Uᵀ U for a symmetric positive definite A (lower
// triangle read) — SparseGPT's Hinv, cholesky(cholesky_inverse(cholesky(H)), upper=True) —
// computed without forming A⁻¹:
//   with P the order-reversing permutation, B = P A P = L' L'ᵀ (potrf of the reversed matrix),
//   so A = V Vᵀ with V = P L' P upper, and A⁻¹ = V⁻ᵀ V⁻¹, i.e. U = V⁻¹ = P L'⁻¹ P.
// Steps: anti-transpose the lower triangle in place (B's lower triangle is A's, reflected),
// potrf, trtri (L'⁻¹, lower), then rotate the matrix by 180 degrees, which maps the lower
// triangle onto the upper one. U is unique (positive diagonal), so this equals the three-step
// definition exactly in exact arithmetic, at 2n³/3 flops instead of about 4n³/3.
import { ld, st } from '../util/mem';
import { elem } from '../util/vec';
import { potrf } from './potrf';
import { potriWorkBytes } from './potri';
import { trtri } from './trtri';

/** Swaps (i, j) with (n-1-j, n-1-i) over the lower triangle: B = P Aᵀ P, lower triangle only. */
function antiTransposeLower<T>(n: i32, a: usize, lda: i32): void {
  for (let i = 0; i < n; i++) {
    const ri = elem<T>(a, lda, i, 0);
    for (let j = 0; j <= i && i + j < n - 1; j++) {
      const p = elem<T>(a, lda, n - 1 - j, n - 1 - i);
      const v = ld<T>(ri, j);
      st<T>(ri, j, load<T>(p));
      store<T>(p, v);
    }
  }
}

/** Swaps (i, j) with (n-1-i, n-1-j) over the whole n x n matrix. */
function rotate180<T>(n: i32, a: usize, lda: i32): void {
  for (let i = 0; i < (n + 1) / 2; i++) {
    const ri = elem<T>(a, lda, i, 0), rk = elem<T>(a, lda, n - 1 - i, 0);
    const jEnd = i == n - 1 - i ? n / 2 : n;
    for (let j = 0; j < jEnd; j++) {
      const v = ld<T>(ri, j);
      st<T>(ri, j, ld<T>(rk, n - 1 - j));
      st<T>(rk, n - 1 - j, v);
    }
  }
}

/**
 * A := U, the upper triangular factor with A⁻¹ = Uᵀ U, for the n x n SPD matrix at a (strict
 * lower triangle set to zero). Returns 0, or k > 0 when A is not positive definite: the
 * factorization runs from the last row up, and k is the order of the first trailing principal
 * submatrix A[n-k:, n-k:] found not positive definite (A is then unspecified).
 * `work`: potriWorkBytes<T>(n) bytes.
 */
export function invchol<T>(n: i32, a: usize, lda: i32, work: usize): i32 {
  antiTransposeLower<T>(n, a, lda);
  const info = potrf<T>(n, a, lda, work);
  if (info) return info;
  trtri<T>(n, a, lda, work);
  rotate180<T>(n, a, lda);
  return 0;
}

/** Single precision inverse Cholesky factor (see invchol). */
export function sinvchol(n: i32, a: usize, lda: i32, work: usize): i32 {
  return invchol<f32>(n, a, lda, work);
}

/** Double precision inverse Cholesky factor (see invchol). */
export function dinvchol(n: i32, a: usize, lda: i32, work: usize): i32 {
  return invchol<f64>(n, a, lda, work);
}

/** Workspace bytes for sinvchol of order n. */
export function sinvcholWorkBytes(n: i32): usize { return potriWorkBytes<f32>(n); }
/** Workspace bytes for dinvchol of order n. */
export function dinvcholWorkBytes(n: i32): usize { return potriWorkBytes<f64>(n); }
