// SYRK: C = alpha * G * Gᵀ + beta * C with G = Xᵀ (trans = 1: X is samples x features, the
// calibration Hessian XᵀX) or G = X (trans = 0: X Xᵀ). Only the lower triangle is computed;
// it is then mirrored, so C comes back full and symmetric (only C's lower triangle is read).
//
// Structure: the gemm packing (packA / packB from gemm.ts, both reading X with swapped strides)
// and an MR x NR register tile, restricted to the tiles that meet the lower triangle. The loop
// order is row block (MC) -> column panel (NC) -> depth slice (KC): each MC x NC block of C is
// finished over all of k before the next, so it can be accumulated in an f64 scratch.
//
// Precision (the reason for that order). Each depth slice of at most KC = 256 rows is summed
// in T registers; its partial is promoted and added into the f64 scratch, and C gets one final
// rounding. Measured for 100,000 x 17 and 100,000 x 64 X, N(0,1) and N(1,1), in one call, as
// max_ij |C - C64|_ij / sqrt(C64_ii C64_jj) against a float64 sum (both Wasm builds):
//   naive sequential f32 sum over the rows:               2.4e-5 (1M rows: 4.6e-4)
//   f32 slice partials added into an f32 C (sgemm's way): 4e-7 .. 1.4e-6 (1M rows: 2.4e-6)
//   f32 slice partials added into f64 (this kernel):      <= 6e-8 (1M rows: 3e-8)
// So the 256-row slices are what is needed for the 1e-5 requirement at 100k rows; the f64
// scratch takes the remaining error down to the final rounding, independent of the row
// count, at a cost of one promote + add per tile per 256 k steps (100k x 64 takes about 20 ms).
import { ld, st, lanes, madd } from '../util/mem';
import { packA, packB } from './gemm';

/** Rows of the register tile (must equal gemm's MR: packA packs MR-row slivers). */
const MR: i32 = 4;
/** Depth of a slice: rows of X summed in T registers before the f64 accumulation. */
const KC: i32 = 256;
/** Rows of a block of C; a multiple of MR. */
const MC: i32 = 128;
/** Columns of a panel of C; a multiple of every NR (8 for f32, 4 for f64). */
const NC: i32 = 1024;

@inline function nr<T>(): i32 {
  return 2 * lanes<T>();
}

/** Bytes of workspace syrk<T> needs: packed A block, packed B panel, the f64 MC x NC scratch. */
export function syrkWorkBytes<T>(): usize {
  return <usize>(MC * KC + KC * NC) * sizeof<T>() + <usize>(MC * NC) * 8;
}

/** Adds an accumulator of T lanes (one row, NR/2 columns) into f64 scratch at s. */
// @ts-ignore: decorator
@inline function addWide<T>(s: usize, v: v128): void {
  if (sizeof<T>() == 4) {
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    v128.store(s, f64x2.add(v128.load(s), lo));
    v128.store(s, f64x2.add(v128.load(s, 16), hi), 16);
  } else {
    v128.store(s, f64x2.add(v128.load(s), v));
  }
}

/** S[0:MR, 0:NR] (f64, row stride NC) += (packed A sliver) x (packed B sliver), kc <= KC deep. */
// @ts-ignore: decorator
@inline function microKernel<T>(kc: i32, pa: usize, pb: usize, s: usize): void {
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
  // Half a tile row in f64: 4 columns for f32 (two f64x2), 2 for f64 (one).
  const half = <usize>lanes<T>() * 8;
  const step = <usize>NC * 8;
  let r = s;
  addWide<T>(r, c00);
  addWide<T>(r + half, c01);
  r += step;
  addWide<T>(r, c10);
  addWide<T>(r + half, c11);
  r += step;
  addWide<T>(r, c20);
  addWide<T>(r + half, c21);
  r += step;
  addWide<T>(r, c30);
  addWide<T>(r + half, c31);
}

/**
 * C = alpha * op(X)ᵀ-style product, lower triangle computed then mirrored:
 * trans != 0: C (n x n) = alpha * XᵀX + beta * C with X k x n;
 * trans == 0: C (n x n) = alpha * X Xᵀ + beta * C with X n x k.
 * `ldx`, `ldc` are leading dimensions in elements; `work` holds syrkWorkBytes<T>() bytes.
 */
export function syrk<T>(trans: i32, n: i32, k: i32, alpha: T, x: usize, ldx: i32, beta: T, c: usize, ldc: i32, work: usize): void {
  if (n <= 0) return;
  const sz = <usize>sizeof<T>();
  const NR = nr<T>();
  // G (n x k) = op(X): G(i, p) = x[i * rsG + p * csG]. The product is G * Gᵀ.
  const rsG = trans ? 1 : ldx, csG = trans ? ldx : 1;
  const pA = work;
  const pB = pA + <usize>(MC * KC) * sz;
  const S = pB + <usize>(KC * NC) * sz;
  const a64 = <f64>alpha, b64 = <f64>beta;
  for (let ic = 0; ic < n; ic += MC) {
    const mc = min(MC, n - ic);
    const mcPad = (mc + MR - 1) / MR * MR;
    const jEnd = ic + mc; // columns [0, ic + mc) meet the lower triangle of this block
    for (let jc = 0; jc < jEnd; jc += NC) {
      const nc = min(NC, jEnd - jc);
      const ncPad = (nc + NR - 1) / NR * NR;
      for (let i = 0; i < mcPad; i++) memory.fill(S + <usize>i * <usize>NC * 8, 0, <usize>ncPad * 8);
      if (k > 0 && alpha != <T>0) {
        for (let pc = 0; pc < k; pc += KC) {
          const kc = min(KC, k - pc);
          // op(B)(p, j) = G(j, p): row stride csG, column stride rsG.
          packB<T>(kc, nc, pc, jc, x, csG, rsG, pB);
          packA<T>(mc, kc, ic, pc, <T>1, x, rsG, csG, pA);
          for (let ir = 0; ir < mc; ir += MR) {
            // Tiles of this row sliver that start at or left of its last row's diagonal.
            const jrEnd = min(nc, ic + ir + MR - jc);
            const pa = pA + <usize>ir * <usize>kc * sz;
            for (let jr = 0; jr < jrEnd; jr += NR) {
              microKernel<T>(kc, pa, pB + <usize>jr * <usize>kc * sz, S + (<usize>ir * <usize>NC + <usize>jr) * 8);
            }
          }
        }
      }
      // C = alpha * S + beta * C on the block's lower part, rounded once to T.
      for (let i = 0; i < mc; i++) {
        const gi = ic + i;
        const row = c + (<usize>gi * <usize>ldc + <usize>jc) * sz;
        const srow = S + <usize>i * <usize>NC * 8;
        const w = min(nc, gi + 1 - jc);
        for (let j = 0; j < w; j++) {
          const v = a64 * load<f64>(srow + (<usize>j << 3));
          st<T>(row, j, <T>(beta == <T>0 ? v : v + b64 * <f64>ld<T>(row, j)));
        }
      }
    }
  }
  // Mirror the lower triangle into the upper.
  for (let i = 0; i < n; i++) {
    const row = c + <usize>i * <usize>ldc * sz;
    for (let j = i + 1; j < n; j++) st<T>(row, j, ld<T>(c + <usize>j * <usize>ldc * sz, i));
  }
}

/** Single precision SYRK (see syrk). */
export function ssyrk(trans: i32, n: i32, k: i32, alpha: f32, x: usize, ldx: i32, beta: f32, c: usize, ldc: i32, work: usize): void {
  syrk<f32>(trans, n, k, alpha, x, ldx, beta, c, ldc, work);
}

/** Double precision SYRK (see syrk). */
export function dsyrk(trans: i32, n: i32, k: i32, alpha: f64, x: usize, ldx: i32, beta: f64, c: usize, ldc: i32, work: usize): void {
  syrk<f64>(trans, n, k, alpha, x, ldx, beta, c, ldc, work);
}

/** Workspace bytes for ssyrk. */
export function ssyrkWorkBytes(): usize { return syrkWorkBytes<f32>(); }
/** Workspace bytes for dsyrk. */
export function dsyrkWorkBytes(): usize { return syrkWorkBytes<f64>(); }
