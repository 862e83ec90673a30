// POTRI: A := A⁻¹ for a symmetric positive definite A (lower triangle read), via Cholesky:
// A = L Lᵀ (potrf), M = L⁻¹ (trtri), A⁻¹ = Mᵀ M (lauum), then the lower triangle is mirrored
// so the full symmetric inverse is written.
import { ld, st } from '../util/mem';
import { elem } from '../util/vec';
import { lauum } from './lauum';
import { potrf } from './potrf';
import { trtri, trtriWorkBytes } from './trtri';

/** Workspace bytes for potri<T> / invchol<T> of order n. */
export function potriWorkBytes<T>(n: i32): usize {
  return trtriWorkBytes<T>(n);
}

/** Copies the strict lower triangle of the n x n matrix at a onto its strict upper triangle. */
export function mirrorLower<T>(n: i32, a: usize, lda: i32): void {
  const B: i32 = 32; // tiles, so both the rows read and the rows written stay in cache
  for (let i0 = 0; i0 < n; i0 += B) {
    const i1 = min(i0 + B, n);
    for (let j0 = 0; j0 <= i0; j0 += B) {
      const j1 = min(j0 + B, n);
      for (let i = i0; i < i1; i++) {
        const ri = elem<T>(a, lda, i, 0);
        for (let j = j0; j < min(j1, i); j++) st<T>(elem<T>(a, lda, j, 0), i, ld<T>(ri, j));
      }
    }
  }
}

/**
 * A := A⁻¹ for the n x n SPD matrix at a; both triangles written. Returns potrf's info (0, or
 * j + 1 when the leading minor of order j + 1 is not positive definite; A is then unspecified).
 */
export function potri<T>(n: i32, a: usize, lda: i32, work: usize): i32 {
  const info = potrf<T>(n, a, lda, work);
  if (info) return info;
  trtri<T>(n, a, lda, work);
  lauum<T>(n, a, lda, work);
  mirrorLower<T>(n, a, lda);
  return 0;
}

/** Single precision SPD inverse (see potri). */
export function spotri(n: i32, a: usize, lda: i32, work: usize): i32 {
  return potri<f32>(n, a, lda, work);
}

/** Double precision SPD inverse (see potri). */
export function dpotri(n: i32, a: usize, lda: i32, work: usize): i32 {
  return potri<f64>(n, a, lda, work);
}

/** Workspace bytes for spotri of order n. */
export function spotriWorkBytes(n: i32): usize { return potriWorkBytes<f32>(n); }
/** Workspace bytes for dpotri of order n. */
export function dpotriWorkBytes(n: i32): usize { return potriWorkBytes<f64>(n); }
