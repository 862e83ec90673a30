// TRSM: solve op(A) X = alpha B (side left) or X op(A) = alpha B (side right) for X, which
// overwrites B (m x n, row-major). A is triangular (the `uplo` triangle is the only one read),
// op(A) = A or Aᵀ, optionally with an implicit unit diagonal.
//
// Blocked: op(A) is walked in TB x TB diagonal blocks in the order the substitution needs.
// Each diagonal block is copied (in op orientation, other triangle zero, unit diagonal made
// explicit) into a dense scratch tile and solved with SIMD row operations; the rest of B is
// then updated by one gemm<T> call (B_rest -= op(A)_offdiag * X_block, or the right-side mirror).
import { gemm, gemmWorkBytes, scaleMatrix } from './gemm';
import { ld, st } from '../util/mem';
import { axpy, divide, elem } from '../util/vec';

/** Diagonal block size of the blocked solve. */
export const TB: i32 = 64;

/** Workspace bytes for trsm<T>: one dense TB x TB tile and gemm's workspace. */
export function trsmWorkBytes<T>(): usize {
  return <usize>(TB * TB) * sizeof<T>() + gemmWorkBytes<T>();
}

/** The gemm workspace inside a trsm workspace at `work` (after the tile); callers may reuse it between trsm calls. */
// @ts-ignore: decorator
@inline export function gemmArea<T>(work: usize): usize {
  return work + <usize>(TB * TB) * sizeof<T>();
}

/** Copies op(A)[k0:k0+kb, k0:k0+kb] (only its `lowerOp` triangle; unit diagonal if asked) into tile (ld TB). */
function copyDiagBlock<T>(kb: i32, k0: i32, lowerOp: bool, transA: i32, unit: i32, a: usize, lda: i32, tile: usize): void {
  memory.fill(tile, 0, <usize>(TB * kb) * sizeof<T>());
  for (let i = 0; i < kb; i++) {
    const j0 = lowerOp ? 0 : i + 1, j1 = lowerOp ? i : kb;
    for (let j = j0; j < j1; j++) {
      const v = transA ? load<T>(elem<T>(a, lda, k0 + j, k0 + i)) : load<T>(elem<T>(a, lda, k0 + i, k0 + j));
      st<T>(tile, i * TB + j, v);
    }
    st<T>(tile, i * TB + i, unit ? <T>1 : load<T>(elem<T>(a, lda, k0 + i, k0 + i)));
  }
}

/** Address and gemm transpose flag of the block op(A)[r0.., c0..]. */
// @ts-ignore: decorator
@inline function opBlock<T>(a: usize, lda: i32, transA: i32, r0: i32, c0: i32): usize {
  return transA ? elem<T>(a, lda, c0, r0) : elem<T>(a, lda, r0, c0);
}

/** Solves tile X = B for kb rows of B (n wide), tile lower (forward) or upper (backward). */
function solveLeft<T>(kb: i32, n: i32, lowerOp: bool, tile: usize, b: usize, ldb: i32): void {
  for (let s = 0; s < kb; s++) {
    const i = lowerOp ? s : kb - 1 - s;
    const bi = elem<T>(b, ldb, i, 0);
    const p0 = lowerOp ? 0 : i + 1, p1 = lowerOp ? i : kb;
    for (let p = p0; p < p1; p++) {
      const t = ld<T>(tile, i * TB + p);
      if (t != <T>0) axpy<T>(n, -t, elem<T>(b, ldb, p, 0), bi);
    }
    divide<T>(n, ld<T>(tile, i * TB + i), bi);
  }
}

/** Solves X tile = B for m rows of B (kb wide), tile upper (forward in columns) or lower (backward). */
function solveRight<T>(m: i32, kb: i32, lowerOp: bool, tile: usize, b: usize, ldb: i32): void {
  for (let r = 0; r < m; r++) {
    const x = elem<T>(b, ldb, r, 0);
    if (!lowerOp) {
      for (let j = 0; j < kb; j++) {
        const xj = ld<T>(x, j) / ld<T>(tile, j * TB + j);
        st<T>(x, j, xj);
        if (xj != <T>0) axpy<T>(kb - j - 1, -xj, tile + <usize>(j * TB + j + 1) * sizeof<T>(), x + <usize>(j + 1) * sizeof<T>());
      }
    } else {
      for (let j = kb - 1; j >= 0; j--) {
        const xj = ld<T>(x, j) / ld<T>(tile, j * TB + j);
        st<T>(x, j, xj);
        if (xj != <T>0) axpy<T>(j, -xj, tile + <usize>(j * TB) * sizeof<T>(), x);
      }
    }
  }
}

/**
 * Solves op(A) X = alpha B (side 0) or X op(A) = alpha B (side 1); X overwrites B (m x n).
 * uplo 0 = A lower, 1 = upper; transA 1 uses Aᵀ; unit 1 takes the diagonal of A as ones.
 * `work` points at trsmWorkBytes<T>() bytes.
 */
export function trsm<T>(
  side: i32, uplo: i32, transA: i32, unit: i32, m: i32, n: i32,
  alpha: T, a: usize, lda: i32, b: usize, ldb: i32, work: usize,
): void {
  if (m <= 0 || n <= 0) return;
  scaleMatrix<T>(m, n, alpha, b, ldb);
  if (alpha == <T>0) return;
  const lowerOp = (uplo == 0) != (transA != 0);
  const tile = work;
  const gw = gemmArea<T>(work);
  const k = side ? n : m;
  const nblocks = (k + TB - 1) / TB;
  // Left with op(A) lower, or right with op(A) upper, runs forward; the other two backward.
  const forward = side ? !lowerOp : lowerOp;
  for (let s = 0; s < nblocks; s++) {
    const blk = forward ? s : nblocks - 1 - s;
    const k0 = blk * TB, k1 = min(k0 + TB, k), kb = k1 - k0;
    copyDiagBlock<T>(kb, k0, lowerOp, transA, unit, a, lda, tile);
    if (!side) {
      solveLeft<T>(kb, n, lowerOp, tile, elem<T>(b, ldb, k0, 0), ldb);
      if (forward && k1 < m) {
        // B[k1:m] -= op(A)[k1:m, k0:k1] X[k0:k1]
        gemm<T>(transA, 0, m - k1, n, kb, <T>-1, opBlock<T>(a, lda, transA, k1, k0), lda,
          elem<T>(b, ldb, k0, 0), ldb, <T>1, elem<T>(b, ldb, k1, 0), ldb, gw);
      } else if (!forward && k0 > 0) {
        // B[0:k0] -= op(A)[0:k0, k0:k1] X[k0:k1]
        gemm<T>(transA, 0, k0, n, kb, <T>-1, opBlock<T>(a, lda, transA, 0, k0), lda,
          elem<T>(b, ldb, k0, 0), ldb, <T>1, b, ldb, gw);
      }
    } else {
      solveRight<T>(m, kb, lowerOp, tile, elem<T>(b, ldb, 0, k0), ldb);
      if (forward && k1 < n) {
        // B[:, k1:n] -= X[:, k0:k1] op(A)[k0:k1, k1:n]
        gemm<T>(0, transA, m, n - k1, kb, <T>-1, elem<T>(b, ldb, 0, k0), ldb,
          opBlock<T>(a, lda, transA, k0, k1), lda, <T>1, elem<T>(b, ldb, 0, k1), ldb, gw);
      } else if (!forward && k0 > 0) {
        // B[:, 0:k0] -= X[:, k0:k1] op(A)[k0:k1, 0:k0]
        gemm<T>(0, transA, m, k0, kb, <T>-1, elem<T>(b, ldb, 0, k0), ldb,
          opBlock<T>(a, lda, transA, k0, 0), lda, <T>1, b, ldb, gw);
      }
    }
  }
}

/** Single precision TRSM (see trsm). */
export function strsm(
  side: i32, uplo: i32, transA: i32, unit: i32, m: i32, n: i32,
  alpha: f32, a: usize, lda: i32, b: usize, ldb: i32, work: usize,
): void {
  trsm<f32>(side, uplo, transA, unit, m, n, alpha, a, lda, b, ldb, work);
}

/** Double precision TRSM (see trsm). */
export function dtrsm(
  side: i32, uplo: i32, transA: i32, unit: i32, m: i32, n: i32,
  alpha: f64, a: usize, lda: i32, b: usize, ldb: i32, work: usize,
): void {
  trsm<f64>(side, uplo, transA, unit, m, n, alpha, a, lda, b, ldb, work);
}

/** Workspace bytes for strsm. */
export function strsmWorkBytes(): usize { return trsmWorkBytes<f32>(); }
/** Workspace bytes for dtrsm. */
export function dtrsmWorkBytes(): usize { return trsmWorkBytes<f64>(); }
