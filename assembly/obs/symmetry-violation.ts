// The first pair (i, j), i > j, in row-major order where a square H is not symmetric within a
// relative tolerance: |H_ij − H_ji| > tol · (√|H_ii H_jj| + |H_ij| + |H_ji|), NaN counting as a
// violation. The strict lower triangle is swept in TILE x TILE tiles, so the transposed reads
// H_ji stay in cache; within one band of TILE rows every tile is checked and the smallest index
// kept, and the first band with a violation gives the answer. Arithmetic is in float64.
import { load1 } from '../util/wide';

const TILE: i32 = 32;

/** Element (i, j) of the T matrix at h (leading dimension ldh) as f64. */
// @ts-ignore: decorator
@inline function at<T>(h: usize, ldh: i32, i: i32, j: i32): f64 {
  return load1<T>(h + <usize>i * <usize>ldh * sizeof<T>(), j);
}

/** True when the pair (i, j) is within tolerance (false for NaN). */
// @ts-ignore: decorator
@inline function symmetric<T>(h: usize, ldh: i32, i: i32, j: i32, tol: f64): bool {
  const a = at<T>(h, ldh, i, j), b = at<T>(h, ldh, j, i);
  const scale = Math.sqrt(abs<f64>(at<T>(h, ldh, i, i) * at<T>(h, ldh, j, j))) + abs<f64>(a) + abs<f64>(b);
  return abs<f64>(a - b) <= tol * scale;
}

/** Smallest i·n + j (i > j) violating in rows [i0, i1) x columns [j0, j1), or -1. */
function firstInTile<T>(n: i32, h: usize, ldh: i32, tol: f64, i0: i32, i1: i32, j0: i32, j1: i32): i32 {
  for (let i = i0; i < i1; i++) {
    const end = min(j1, i);
    for (let j = j0; j < end; j++) if (!symmetric<T>(h, ldh, i, j, tol)) return i * n + j;
  }
  return -1;
}

/** First violating i·n + j of the n x n T matrix at h (ldh), or -1. */
function symmetryViolation<T>(n: i32, h: usize, ldh: i32, tol: f64): i32 {
  for (let i0 = 0; i0 < n; i0 += TILE) {
    const i1 = min(n, i0 + TILE);
    let best = -1;
    for (let j0 = 0; j0 < i1 - 1; j0 += TILE) {
      const k = firstInTile<T>(n, h, ldh, tol, i0, i1, j0, min(j0 + TILE, i1));
      if (k >= 0 && (best < 0 || k < best)) best = k;
    }
    if (best >= 0) return best;
  }
  return -1;
}

/** First row-major i·n + j (i > j) where the n x n float32 H (ldh) is not symmetric within tol, or -1. */
export function ssymmetryViolation(n: i32, h: usize, ldh: i32, tol: f64): i32 {
  return symmetryViolation<f32>(n, h, ldh, tol);
}

/** First row-major i·n + j (i > j) where the n x n float64 H (ldh) is not symmetric within tol, or -1. */
export function dsymmetryViolation(n: i32, h: usize, ldh: i32, tol: f64): i32 {
  return symmetryViolation<f64>(n, h, ldh, tol);
}
