// λ_max of a symmetric positive semi-definite matrix by power iteration, the whole loop here:
// v ← A v / ‖A v‖ with the Rayleigh quotient vᵀ A v (v of unit length) as the estimate, stopped
// when it changes by at most tol · |estimate| between two iterations. The matrix-vector product
// is a SIMD gemv in T; the O(n) reductions (Rayleigh quotient, norm) are summed in f64.
import { ld, st, lanes, madd } from '../util/mem';

/** Bytes of the result block at the start of the workspace: value, iterations, converged (f64). */
const RESULT: usize = 32;

@inline function vecBytes<T>(n: i32): usize {
  return (<usize>n * sizeof<T>() + 15) & ~(<usize>15);
}

/** Bytes of workspace lammax<T> needs for order n: the result block and two vectors. */
export function lammaxWorkBytes<T>(n: i32): usize {
  return RESULT + 2 * vecBytes<T>(n);
}

/**
 * Element i of the start vector for a seed: a murmur3-finalised hash of (seed, i), mapped to
 * [-1, 1). The TypeScript reference backend computes the same numbers.
 */
export function startValue(seed: u32, i: u32): f64 {
  let h: u32 = seed * 0x9e3779b9 + i * 0x85ebca6b + 0x6a09e667;
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return <f64>h / 2147483648.0 - 1.0;
}

/** Sum of the lanes of a v128 of T. */
// @ts-ignore: decorator
@inline function hsum<T>(v: v128): T {
  if (sizeof<T>() == 4) {
    return v128.extract_lane<T>(v, 0) + v128.extract_lane<T>(v, 1) + v128.extract_lane<T>(v, 2) + v128.extract_lane<T>(v, 3);
  } else {
    return v128.extract_lane<T>(v, 0) + v128.extract_lane<T>(v, 1);
  }
}

/** w = A v for an n x n row-major A: one SIMD dot product per row, two accumulators. */
function gemv<T>(n: i32, a: usize, lda: i32, v: usize, w: usize): void {
  const L = lanes<T>();
  const sz = <usize>sizeof<T>();
  for (let i = 0; i < n; i++) {
    const row = a + <usize>i * <usize>lda * sz;
    let acc0 = v128.splat<T>(<T>0), acc1 = acc0;
    let j = 0;
    for (; j + 2 * L <= n; j += 2 * L) {
      const o = <usize>j * sz;
      acc0 = madd<T>(v128.load(row + o), v128.load(v + o), acc0);
      acc1 = madd<T>(v128.load(row + o, 16), v128.load(v + o, 16), acc1);
    }
    for (; j + L <= n; j += L) {
      const o = <usize>j * sz;
      acc0 = madd<T>(v128.load(row + o), v128.load(v + o), acc0);
    }
    let s: T = hsum<T>(v128.add<T>(acc0, acc1));
    for (; j < n; j++) s += ld<T>(row, j) * ld<T>(v, j);
    st<T>(w, i, s);
  }
}

/**
 * Power iteration on the n x n symmetric PSD matrix at `a` (leading dimension lda), at most
 * maxIter products, relative tolerance tol, start vector from `seed`. Writes to `work`
 * (lammaxWorkBytes<T>(n) bytes) the f64 triple [value, iterations, converged (0 or 1)].
 * A zero matrix (or n = 0) gives value 0, converged. A non-finite estimate stops the loop
 * unconverged.
 */
export function lammax<T>(n: i32, a: usize, lda: i32, maxIter: i32, tol: f64, seed: u32, work: usize): void {
  const v = work + RESULT;
  const w = v + vecBytes<T>(n);
  let value: f64 = 0, prev: f64 = 0, iterations = 0, converged = 0;
  if (n <= 0) {
    converged = 1;
  } else {
    let nrm: f64 = 0;
    for (let i = 0; i < n; i++) {
      const e = startValue(seed, <u32>i);
      nrm += e * e;
    }
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < n; i++) st<T>(v, i, <T>(startValue(seed, <u32>i) / nrm));
    while (iterations < maxIter) {
      gemv<T>(n, a, lda, v, w);
      iterations++;
      let rq: f64 = 0, ww: f64 = 0;
      for (let i = 0; i < n; i++) {
        const wi = <f64>ld<T>(w, i);
        rq += <f64>ld<T>(v, i) * wi;
        ww += wi * wi;
      }
      value = rq;
      if (!isFinite(rq) || !isFinite(ww)) break;
      if (ww == 0) {
        // A v = 0 for a unit v of a PSD matrix: A is zero along v; with a generic v, A = 0.
        value = 0;
        converged = 1;
        break;
      }
      const inv = 1.0 / Math.sqrt(ww);
      for (let i = 0; i < n; i++) st<T>(v, i, <T>(<f64>ld<T>(w, i) * inv));
      if (iterations > 1 && Math.abs(value - prev) <= tol * Math.abs(value)) {
        converged = 1;
        break;
      }
      prev = value;
    }
  }
  store<f64>(work, value);
  store<f64>(work, <f64>iterations, 8);
  store<f64>(work, <f64>converged, 16);
}

/** Single precision λ_max (see lammax). */
export function slammax(n: i32, a: usize, lda: i32, maxIter: i32, tol: f64, seed: u32, work: usize): void {
  lammax<f32>(n, a, lda, maxIter, tol, seed, work);
}

/** Double precision λ_max (see lammax). */
export function dlammax(n: i32, a: usize, lda: i32, maxIter: i32, tol: f64, seed: u32, work: usize): void {
  lammax<f64>(n, a, lda, maxIter, tol, seed, work);
}

/** Workspace bytes for slammax of order n. */
export function slammaxWorkBytes(n: i32): usize { return lammaxWorkBytes<f32>(n); }
/** Workspace bytes for dlammax of order n. */
export function dlammaxWorkBytes(n: i32): usize { return lammaxWorkBytes<f64>(n); }
