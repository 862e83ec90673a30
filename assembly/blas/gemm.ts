// GEMM: C = alpha * op(A) * op(B) + beta * C, row-major, op = identity or transpose.
//
// GotoBLAS structure: C is swept in panels of NC columns; for each KC-deep slice of
// the shared dimension a KC x NC panel of op(B) is packed into NR-wide slivers, and
// for each MC x KC block of op(A) (scaled by alpha while packing) into MR-tall slivers.
// The micro-kernel multiplies one A sliver by one B sliver into an MR x NR tile of C
// held in 2*MR v128 accumulators: per k step one splat-load of A per row and two
// loads of B. A transpose is only a swap of the strides the packing routines read with.
import { ld, st, lanes, madd } from '../util/mem';

/** Rows of the register tile. */
const MR: i32 = 4;
/** Depth of a packed slice (elements of the shared dimension). */
const KC: i32 = 256;
/** Rows of a packed A block; a multiple of MR. */
const MC: i32 = 128;
/** Columns of a packed B panel; a multiple of every NR (8 for f32, 4 for f64). */
const NC: i32 = 2048;

/** Columns of the register tile: two vectors. */
@inline function nr<T>(): i32 {
  return 2 * lanes<T>();
}

/** Bytes of workspace gemm<T> needs: a packed A block, a packed B panel and one edge tile. */
export function gemmWorkBytes<T>(): usize {
  return <usize>(MC * KC + KC * NC + MR * nr<T>()) * sizeof<T>();
}

/** C = beta * C over an m x n block (beta = 0 clears C, so NaN in C does not survive). */
export function scaleMatrix<T>(m: i32, n: i32, beta: T, c: usize, ldc: i32): void {
  if (beta == <T>1) return;
  const sz = <usize>sizeof<T>();
  for (let i = 0; i < m; i++) {
    const row = c + <usize>i * <usize>ldc * sz;
    if (beta == <T>0) {
      memory.fill(row, 0, <usize>n * sz);
    } else {
      for (let j = 0; j < n; j++) st<T>(row, j, ld<T>(row, j) * beta);
    }
  }
}

/** Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A), times alpha, into MR-row slivers (zero padded). */
export function packA<T>(mc: i32, kc: i32, i0: i32, p0: i32, alpha: T, a: usize, rs: i32, cs: i32, dst: usize): void {
  for (let s = 0; s < mc; s += MR) {
    const out = dst + <usize>s * <usize>kc * sizeof<T>();
    for (let r = 0; r < MR; r++) {
      if (s + r < mc) {
        const src = a + (<usize>(i0 + s + r) * <usize>rs + <usize>p0 * <usize>cs) * sizeof<T>();
        for (let p = 0; p < kc; p++) st<T>(out, p * MR + r, alpha * ld<T>(src, <isize>p * cs));
      } else {
        for (let p = 0; p < kc; p++) st<T>(out, p * MR + r, <T>0);
      }
    }
  }
}

/** Packs rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into NR-column slivers (zero padded). */
export function packB<T>(kc: i32, nc: i32, p0: i32, j0: i32, b: usize, rs: i32, cs: i32, dst: usize): void {
  const NR = nr<T>();
  for (let s = 0; s < nc; s += NR) {
    const out = dst + <usize>s * <usize>kc * sizeof<T>();
    const w = min(NR, nc - s);
    if (cs == 1 && w == NR) {
      // op(B) rows are contiguous: copy two vectors per k step.
      let src = b + (<usize>p0 * <usize>rs + <usize>(j0 + s)) * sizeof<T>();
      const step = <usize>rs * sizeof<T>();
      for (let p = 0; p < kc; p++) {
        const o = out + <usize>(p * NR) * sizeof<T>();
        v128.store(o, v128.load(src));
        v128.store(o, v128.load(src, 16), 16);
        src += step;
      }
    } else {
      for (let c = 0; c < NR; c++) {
        if (c < w) {
          const src = b + (<usize>p0 * <usize>rs + <usize>(j0 + s + c) * <usize>cs) * sizeof<T>();
          for (let p = 0; p < kc; p++) st<T>(out, p * NR + c, ld<T>(src, <isize>p * rs));
        } else {
          for (let p = 0; p < kc; p++) st<T>(out, p * NR + c, <T>0);
        }
      }
    }
  }
}

/** C[0:MR, 0:NR] += (packed A sliver) x (packed B sliver), kc steps deep. */
// @ts-ignore: decorator
@inline function microKernel<T>(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32): void {
  const zero = v128.splat<T>(<T>0);
  let c00 = zero, c01 = zero, c10 = zero, c11 = zero;
  let c20 = zero, c21 = zero, c30 = zero, c31 = zero;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load_splat<T>(pa);
    c00 = madd<T>(a, b0, c00);
    c01 = madd<T>(a, b1, c01);
    a = v128.load_splat<T>(pa, sizeof<T>());
    c10 = madd<T>(a, b0, c10);
    c11 = madd<T>(a, b1, c11);
    a = v128.load_splat<T>(pa, 2 * sizeof<T>());
    c20 = madd<T>(a, b0, c20);
    c21 = madd<T>(a, b1, c21);
    a = v128.load_splat<T>(pa, 3 * sizeof<T>());
    c30 = madd<T>(a, b0, c30);
    c31 = madd<T>(a, b1, c31);
    pa += 4 * sizeof<T>();
    pb += 32;
  }
  const step = <usize>ldc * sizeof<T>();
  let r = c;
  v128.store(r, v128.add<T>(v128.load(r), c00));
  v128.store(r, v128.add<T>(v128.load(r, 16), c01), 16);
  r += step;
  v128.store(r, v128.add<T>(v128.load(r), c10));
  v128.store(r, v128.add<T>(v128.load(r, 16), c11), 16);
  r += step;
  v128.store(r, v128.add<T>(v128.load(r), c20));
  v128.store(r, v128.add<T>(v128.load(r, 16), c21), 16);
  r += step;
  v128.store(r, v128.add<T>(v128.load(r), c30));
  v128.store(r, v128.add<T>(v128.load(r, 16), c31), 16);
}

/**
 * C = alpha * op(A) * op(B) + beta * C with op(A) m x k, op(B) k x n, C m x n, all row-major.
 * `transA`/`transB` nonzero select the transpose; `lda`, `ldb`, `ldc` are leading dimensions
 * in elements of the stored matrices; `work` points at gemmWorkBytes<T>() bytes of scratch.
 */
export function gemm<T>(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: T, a: usize, lda: i32, b: usize, ldb: i32,
  beta: T, c: usize, ldc: i32, work: usize,
): void {
  if (m <= 0 || n <= 0) return;
  scaleMatrix<T>(m, n, beta, c, ldc);
  if (k <= 0 || alpha == <T>0) return;
  const sz = <usize>sizeof<T>();
  const NR = nr<T>();
  const rsA = transA ? 1 : lda, csA = transA ? lda : 1;
  const rsB = transB ? 1 : ldb, csB = transB ? ldb : 1;
  const pA = work;
  const pB = pA + <usize>(MC * KC) * sz;
  const tile = pB + <usize>(KC * NC) * sz;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB<T>(kc, nc, pc, jc, b, rsB, csB, pB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA<T>(mc, kc, ic, pc, alpha, a, rsA, csA, pA);
        for (let jr = 0; jr < nc; jr += NR) {
          const w = min(NR, nc - jr);
          const pb = pB + <usize>jr * <usize>kc * sz;
          for (let ir = 0; ir < mc; ir += MR) {
            const h = min(MR, mc - ir);
            const pa = pA + <usize>ir * <usize>kc * sz;
            const cp = c + (<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) * sz;
            if (h == MR && w == NR) {
              microKernel<T>(kc, pa, pb, cp, ldc);
            } else {
              memory.fill(tile, 0, <usize>(MR * NR) * sz);
              microKernel<T>(kc, pa, pb, tile, NR);
              for (let i = 0; i < h; i++) {
                const row = cp + <usize>i * <usize>ldc * sz;
                for (let j = 0; j < w; j++) st<T>(row, j, ld<T>(row, j) + ld<T>(tile, i * NR + j));
              }
            }
          }
        }
      }
    }
  }
}

/** Single precision GEMM (see gemm). */
export function sgemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32, work: usize,
): void {
  gemm<f32>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work);
}

/** Double precision GEMM (see gemm). */
export function dgemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  alpha: f64, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f64, c: usize, ldc: i32, work: usize,
): void {
  gemm<f64>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work);
}

/** Workspace bytes for sgemm. */
export function sgemmWorkBytes(): usize { return gemmWorkBytes<f32>(); }
/** Workspace bytes for dgemm. */
export function dgemmWorkBytes(): usize { return gemmWorkBytes<f64>(); }
