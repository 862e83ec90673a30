// OBS rank-1 downdate of an inverse Hessian: removing index p,
//   Hinv ← Hinv − Hinv[:,p] Hinv[p,:] / Hinv[p,p],
// after which row and column p are zero (set exactly). Hinv must be symmetric: row p serves as
// both the column and the row. The update is written as Hinv −= u uᵀ with u = Hinv[p,:] / √d,
// so element (i, j) and (j, i) get the identical correction u_i·u_j and symmetry is kept
// exactly. u is copied to scratch first because row p is overwritten by the update.
import { ld, st, lanes, madd } from '../util/mem';

@inline function vecBytes<T>(n: i32): usize {
  return (<usize>n * sizeof<T>() + 15) & ~(<usize>15);
}

/** Bytes of workspace downdate<T> needs for order n: one vector (padded to 16 bytes) and a v128. */
export function downdateWorkBytes<T>(n: i32): usize {
  return vecBytes<T>(n) + 16;
}

/**
 * Downdates the n x n matrix at `a` (leading dimension lda) at index p in place.
 * Returns 0, or 1 (nothing changed) when a[p, p] is not a finite positive number.
 */
export function downdate<T>(n: i32, a: usize, lda: i32, p: i32, work: usize): i32 {
  if (p < 0 || p >= n) return 1;
  const sz = <usize>sizeof<T>();
  const rowp = a + <usize>p * <usize>lda * sz;
  const d = ld<T>(rowp, p);
  if (!(d > <T>0) || !isFinite<T>(d)) return 1;
  const s = <T>1 / <T>Math.sqrt(<f64>d);
  const u = work;
  const tmp = work + vecBytes<T>(n);
  for (let j = 0; j < n; j++) st<T>(u, j, ld<T>(rowp, j) * s);
  const L = lanes<T>();
  for (let i = 0; i < n; i++) {
    if (i == p) continue;
    const row = a + <usize>i * <usize>lda * sz;
    const ui = ld<T>(u, i);
    if (ui == <T>0) {
      st<T>(row, p, <T>0);
      continue;
    }
    const f = v128.splat<T>(-ui);
    let j = 0;
    for (; j + 2 * L <= n; j += 2 * L) {
      const o = <usize>j * sz;
      v128.store(row + o, madd<T>(f, v128.load(u + o), v128.load(row + o)));
      v128.store(row + o, madd<T>(f, v128.load(u + o, 16), v128.load(row + o, 16)), 16);
    }
    for (; j + L <= n; j += L) {
      const o = <usize>j * sz;
      v128.store(row + o, madd<T>(f, v128.load(u + o), v128.load(row + o)));
    }
    if (j < n) {
      // The tail goes through the same (possibly fused) vector multiply-add as the body, via a
      // v128 of scratch, so (i, j) and (j, i) are rounded alike. u's padding is read, not used.
      const cnt = <usize>(n - j) * sz, o = <usize>j * sz;
      memory.copy(tmp, row + o, cnt);
      v128.store(tmp, madd<T>(f, v128.load(u + o), v128.load(tmp)));
      memory.copy(row + o, tmp, cnt);
    }
    st<T>(row, p, <T>0);
  }
  memory.fill(rowp, 0, <usize>n * sz);
  return 0;
}

/** Single precision OBS downdate (see downdate). */
export function sdowndate(n: i32, a: usize, lda: i32, p: i32, work: usize): i32 {
  return downdate<f32>(n, a, lda, p, work);
}

/** Double precision OBS downdate (see downdate). */
export function ddowndate(n: i32, a: usize, lda: i32, p: i32, work: usize): i32 {
  return downdate<f64>(n, a, lda, p, work);
}

/** Workspace bytes for sdowndate of order n. */
export function sdowndateWorkBytes(n: i32): usize { return downdateWorkBytes<f32>(n); }
/** Workspace bytes for ddowndate of order n. */
export function ddowndateWorkBytes(n: i32): usize { return downdateWorkBytes<f64>(n); }
