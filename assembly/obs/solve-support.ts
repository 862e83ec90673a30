// Exact re-solve on a support, row by row: with S = {j : mask[r·c + j] = 1}, solve
//   H[S,S] x = B[r,S]
// and write x to X[r,S] and 0 to the rest of row r. H[S,S] is gathered (lower triangle) into
// the workspace and factored by the blocked potrf<T>; the solution is two triangular solves
// (trsv<T>: L y = b, then Lᵀ x = y). Consecutive rows with an identical mask row reuse the
// factor, so a row-uniform mask (N:M aside, common after per-layer selection) factors once.
// B[r,S] is gathered before X's row is written, so X may be B.
import { ld, st } from '../util/mem';
import { potrf, potrfWorkBytes } from '../lapack/potrf';
import { trsv } from '../blas/trsv';

// @ts-ignore: decorator
@inline function pad16(bytes: usize): usize {
  return (bytes + 15) & ~(<usize>15);
}

/** Workspace bytes for solveOnSupport<T> with c columns: the c x c factor, S, b, potrf's area. */
export function solveOnSupportWorkBytes<T>(c: i32): usize {
  const sz = <usize>sizeof<T>(), n = <usize>c;
  return pad16(n * n * sz) + pad16(n * 4) + pad16(n * sz) + potrfWorkBytes<T>();
}

/**
 * Solves every row of the rows x c matrices at b (ld ldb) into x (ld ldx) on its mask row's
 * support, with the symmetric c x c H at h (ld ldh; the lower triangle of H[S,S] is read).
 * mask: rows·c bytes. Returns 0, or r + 1 for the first row r whose H[S,S] has no Cholesky
 * factor (row r of X and the rows after it are then unspecified). `work`:
 * solveOnSupportWorkBytes<T>(c) bytes.
 */
export function solveOnSupport<T>(rows: i32, c: i32, h: usize, ldh: i32, b: usize, ldb: i32, mask: usize,
  x: usize, ldx: i32, work: usize): i32 {
  const sz = <usize>sizeof<T>(), n = <usize>c;
  const a = work;
  const sIdx = a + pad16(n * n * sz);
  const v = sIdx + pad16(n * 4);
  const pwork = v + pad16(n * sz);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const mrow = mask + <usize>r * n;
    if (r == 0 || memory.compare(mrow, mrow - n, n) != 0) {
      k = 0;
      for (let j = 0; j < c; j++) if (load<u8>(mrow + <usize>j)) store<i32>(sIdx + (<usize>(k++) << 2), j);
      for (let i = 0; i < k; i++) {
        const hrow = h + <usize>load<i32>(sIdx + (<usize>i << 2)) * <usize>ldh * sz;
        const arow = a + <usize>i * <usize>k * sz;
        for (let j = 0; j <= i; j++) st<T>(arow, j, ld<T>(hrow, load<i32>(sIdx + (<usize>j << 2))));
      }
      if (potrf<T>(k, a, k, pwork) != 0) return r + 1;
    }
    const brow = b + <usize>r * <usize>ldb * sz;
    for (let i = 0; i < k; i++) st<T>(v, i, ld<T>(brow, load<i32>(sIdx + (<usize>i << 2))));
    trsv<T>(0, 0, 0, k, a, k, v, 1, pwork);
    trsv<T>(0, 1, 0, k, a, k, v, 1, pwork);
    const xrow = x + <usize>r * <usize>ldx * sz;
    memory.fill(xrow, 0, n * sz);
    for (let i = 0; i < k; i++) st<T>(xrow, load<i32>(sIdx + (<usize>i << 2)), ld<T>(v, i));
  }
  return 0;
}

/** Single precision support re-solve (see solveOnSupport). */
export function ssolveOnSupport(rows: i32, c: i32, h: usize, ldh: i32, b: usize, ldb: i32, mask: usize,
  x: usize, ldx: i32, work: usize): i32 {
  return solveOnSupport<f32>(rows, c, h, ldh, b, ldb, mask, x, ldx, work);
}

/** Double precision support re-solve (see solveOnSupport). */
export function dsolveOnSupport(rows: i32, c: i32, h: usize, ldh: i32, b: usize, ldb: i32, mask: usize,
  x: usize, ldx: i32, work: usize): i32 {
  return solveOnSupport<f64>(rows, c, h, ldh, b, ldb, mask, x, ldx, work);
}

/** Workspace bytes for ssolveOnSupport with c columns. */
export function ssolveOnSupportWorkBytes(c: i32): usize { return solveOnSupportWorkBytes<f32>(c); }
/** Workspace bytes for dsolveOnSupport with c columns. */
export function dsolveOnSupportWorkBytes(c: i32): usize { return solveOnSupportWorkBytes<f64>(c); }
