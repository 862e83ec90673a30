// The layer objective tr((W − X) H (W − X)ᵀ) in float64, in blocks of up to BLOCK rows: the
// block's D = W − X is formed in float64 in the workspace (two lanes at a time), P = D·H is one
// dgemm into a second float64 workspace, and Σ D ∘ P is summed in float64 (two f64x2
// accumulators per block, reduced in a fixed order). W and X are float32 or float64 (one
// dtype); H is float64, cols x cols, read in full (no symmetry assumed).
import { gemm, gemmWorkBytes } from '../blas/gemm';
import { load1, load2, rowOf, sum2 } from '../util/wide';

/** Rows of W per block (the height of D and P). */
const BLOCK: i32 = 64;

// @ts-ignore: decorator
@inline function pad64(bytes: usize): usize {
  return (bytes + 63) & ~(<usize>63);
}

/** Workspace bytes for objective on rows x cols: D and P (min(rows, BLOCK) x cols float64), then dgemm's. */
export function objectiveWorkBytes(rows: i32, cols: i32): usize {
  const block = <usize>min(rows, BLOCK) * <usize>cols * 8;
  return 2 * pad64(block) + gemmWorkBytes<f64>();
}

/** d[j] := w[j] − x[j] (x = 0: d := w) in float64 for j < n, w and x rows of T. */
function differenceRow<T>(n: i32, w: usize, x: usize, d: usize): void {
  let j = 0;
  if (x == 0) {
    for (; j + 2 <= n; j += 2) v128.store(d + (<usize>j << 3), load2<T>(w, j));
    for (; j < n; j++) store<f64>(d + (<usize>j << 3), load1<T>(w, j));
    return;
  }
  for (; j + 2 <= n; j += 2) v128.store(d + (<usize>j << 3), f64x2.sub(load2<T>(w, j), load2<T>(x, j)));
  for (; j < n; j++) store<f64>(d + (<usize>j << 3), load1<T>(w, j) - load1<T>(x, j));
}

/** Σ d[k] p[k] for k < n over two contiguous float64 arrays. */
function sumProducts(n: i32, d: usize, p: usize): f64 {
  let acc0 = f64x2.splat(0), acc1 = f64x2.splat(0);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const o = <usize>k << 3;
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(d + o), v128.load(p + o)));
    acc1 = f64x2.add(acc1, f64x2.mul(v128.load(d + o, 16), v128.load(p + o, 16)));
  }
  let s = sum2(f64x2.add(acc0, acc1));
  for (; k < n; k++) s += load<f64>(d + (<usize>k << 3)) * load<f64>(p + (<usize>k << 3));
  return s;
}

/** tr((W − X) H (W − X)ᵀ) with W, X rows x cols of T (x = 0: X absent) and H float64. */
function objective<T>(rows: i32, cols: i32, w: usize, ldw: i32, x: usize, ldx: i32, h: usize, ldh: i32, work: usize): f64 {
  if (rows <= 0 || cols <= 0) return 0;
  const d = work;
  const p = d + pad64(<usize>min(rows, BLOCK) * <usize>cols * 8);
  const gw = p + (p - d);
  let total = 0.0;
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const m = min(BLOCK, rows - r0);
    for (let i = 0; i < m; i++) {
      const xr: usize = x == 0 ? 0 : rowOf<T>(x, ldx, r0 + i);
      differenceRow<T>(cols, rowOf<T>(w, ldw, r0 + i), xr, d + <usize>i * <usize>cols * 8);
    }
    gemm<f64>(0, 0, m, cols, cols, 1.0, d, cols, h, ldh, 0.0, p, cols, gw);
    total += sumProducts(m * cols, d, p);
  }
  return total;
}

/**
 * tr((W − X) H (W − X)ᵀ) in float64 for float32 W, X (rows x cols, leading dimensions ldw, ldx;
 * x = 0 reads X as 0) and the float64 cols x cols H (ldh). `work`: sobjectiveWorkBytes(rows, cols).
 */
export function sobjective(rows: i32, cols: i32, w: usize, ldw: i32, x: usize, ldx: i32, h: usize, ldh: i32, work: usize): f64 {
  return objective<f32>(rows, cols, w, ldw, x, ldx, h, ldh, work);
}

/** The layer objective for float64 W, X (see sobjective). `work`: dobjectiveWorkBytes(rows, cols). */
export function dobjective(rows: i32, cols: i32, w: usize, ldw: i32, x: usize, ldx: i32, h: usize, ldh: i32, work: usize): f64 {
  return objective<f64>(rows, cols, w, ldw, x, ldx, h, ldh, work);
}

/** Workspace bytes for sobjective on rows x cols. */
export function sobjectiveWorkBytes(rows: i32, cols: i32): usize { return objectiveWorkBytes(rows, cols); }
/** Workspace bytes for dobjective on rows x cols. */
export function dobjectiveWorkBytes(rows: i32, cols: i32): usize { return objectiveWorkBytes(rows, cols); }
