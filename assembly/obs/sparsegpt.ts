// SparseGPT's column loop over one block of columns (Frantar & Alistarh 2023; ALGORITHMS.md §2, §4).
// W1 (rows x b) is the block of the weight, U1 (b x b) the matching diagonal block of U, the upper
// Cholesky factor of the damped H⁻¹ (H⁻¹ = UᵀU). For each column i, left to right, the pruned
// entries w_ri give the error e_ri = w_ri / U1[i,i], which is pushed into the later columns of the
// same row: W1[r, i+1:] −= e_ri · U1[i, i+1:]; kept entries have no error (q = w). Pruned entries
// become exactly 0 and e is stored in Err1 for the caller's lazy update of the later blocks.
//
// Every row's loop involves that row alone (N:M scores read the row's own current values), so the
// loop runs row by row, four rows at a time: each v128 of U1[i, :] is loaded once for four rows,
// and the rank-1 update is a contiguous SIMD multiply-add along the row. A row's elements see the
// same updates in the same order as the published column-by-column loop.
//
// The mask (kind):
//   0 'layer': `prune` entries of the whole block with the smallest score w²/U1[j,j]², chosen before
//              any update; equal scores prune the larger row-major index r·b + j first;
//   1 'row':   `prune` entries of every row, the same way within the row;
//   2 'nm':    at every column i with i % m == 0, the `prune` entries of W1[r, i:i+m] with the
//              smallest score of the current (already updated) values, ties to the larger column.
// Scores are computed in f64 for both precisions (w² and d² are exact there for f32 inputs), so the
// selection before updates matches a float64 reference bit for bit.
import { ld, st, lanes, madd } from '../util/mem';

const LAYER = 0;
const ROW = 1;
const NM = 2;

/** Bytes of workspace: 2·rows·b f64 for 'layer', 2·b f64 for 'row', m f64 for 'nm'; +16. */
export function sparsegptWorkBytes(rows: i32, b: i32, kind: i32, m: i32): usize {
  const n: usize = kind == LAYER ? 2 * <usize>rows * <usize>b : kind == ROW ? 2 * <usize>b : <usize>m;
  return n * 8 + 16;
}

// @ts-ignore: decorator
@inline function score<T>(w: T, d: f64): f64 {
  const x = <f64>w;
  return (x * x) / (d * d);
}

// @ts-ignore: decorator
@inline function swapF64(a: usize, i: i32, j: i32): void {
  const t = ld<f64>(a, i);
  st<f64>(a, i, ld<f64>(a, j));
  st<f64>(a, j, t);
}

/**
 * The k-th smallest (0-based) of the n f64 at `a`, which are reordered. Quickselect with a
 * pseudo-random pivot and a three-way partition, so runs of equal scores (dead inputs, zeros)
 * cost one pass; expected O(n) on every input.
 */
function kthSmallest(a: usize, n: i32, k: i32): f64 {
  let lo = 0, hi = n;
  let seed: u32 = 0x9e3779b9;
  while (hi - lo > 1) {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    const p = ld<f64>(a, lo + <i32>(seed % <u32>(hi - lo)));
    // [lo, lt) < p, [lt, i) == p, [gt, hi) > p.
    let lt = lo, i = lo, gt = hi;
    while (i < gt) {
      const v = ld<f64>(a, i);
      if (v < p) swapF64(a, lt++, i++);
      else if (v > p) swapF64(a, i, --gt);
      else i++;
    }
    if (k < lt) hi = lt;
    else if (k >= gt) lo = gt;
    else return p;
  }
  return ld<f64>(a, lo);
}

/**
 * mask[0, n) := 1, then 0 for the `count` smallest of the n scores at s (ties: larger index
 * first). `tmp` holds n f64 of scratch.
 */
function pruneSmallest(s: usize, tmp: usize, n: i32, count: i32, mask: usize): void {
  memory.fill(mask, 1, <usize>n);
  if (count <= 0) return;
  if (count >= n) {
    memory.fill(mask, 0, <usize>n);
    return;
  }
  memory.copy(tmp, s, <usize>n * 8);
  const t = kthSmallest(tmp, n, count - 1);
  let left = count;
  for (let i = 0; i < n; i++) {
    if (ld<f64>(s, i) < t) {
      store<u8>(mask + <usize>i, 0);
      left--;
    }
  }
  for (let i = n - 1; left > 0 && i >= 0; i--) {
    if (ld<f64>(s, i) == t) {
      store<u8>(mask + <usize>i, 0);
      left--;
    }
  }
}

/**
 * N:M group of one row: of the m current values at w (column i of the block), marks the `prune`
 * with the smallest score as 0 in mask (others 1); ties prune the larger column first.
 */
function pruneGroup<T>(w: usize, u: usize, ldu: i32, i: i32, m: i32, prune: i32, mask: usize, s: usize): void {
  for (let k = 0; k < m; k++) {
    const d = <f64>ld<T>(u, <isize>(i + k) * <isize>ldu + <isize>(i + k));
    st<f64>(s, k, score<T>(ld<T>(w, k), d));
  }
  for (let k = 0; k < m; k++) {
    const sk = ld<f64>(s, k);
    let rank = 0;
    for (let l = 0; l < m; l++) {
      const sl = ld<f64>(s, l);
      if (sl < sk || (sl == sk && l > k)) rank++;
    }
    store<u8>(mask + <usize>k, rank < prune ? 0 : 1);
  }
}

/** The error of entry (row at w, column i): w/d and w := 0 when pruned, else 0; stored in Err1. */
// @ts-ignore: decorator
@inline function columnError<T>(w: usize, e: usize, mask: usize, i: i32, d: T): T {
  if (load<u8>(mask + <usize>i) != 0) {
    st<T>(e, i, <T>0);
    return <T>0;
  }
  const err = ld<T>(w, i) / d;
  st<T>(w, i, <T>0);
  st<T>(e, i, err);
  return err;
}

/** The column loop for the four rows at w0..w3 (errors e0..e3, masks k0..k3). */
function fourRows<T>(
  b: i32, w0: usize, w1: usize, w2: usize, w3: usize, u: usize, ldu: i32,
  e0: usize, e1: usize, e2: usize, e3: usize, k0: usize, k1: usize, k2: usize, k3: usize,
  nm: bool, m: i32, prune: i32, s: usize,
): void {
  const sz = <usize>sizeof<T>();
  const L = lanes<T>();
  for (let i = 0; i < b; i++) {
    if (nm && i % m == 0) {
      const o = <usize>i * sz;
      pruneGroup<T>(w0 + o, u, ldu, i, m, prune, k0 + <usize>i, s);
      pruneGroup<T>(w1 + o, u, ldu, i, m, prune, k1 + <usize>i, s);
      pruneGroup<T>(w2 + o, u, ldu, i, m, prune, k2 + <usize>i, s);
      pruneGroup<T>(w3 + o, u, ldu, i, m, prune, k3 + <usize>i, s);
    }
    const urow = u + <usize>i * <usize>ldu * sz;
    const d = ld<T>(urow, i);
    const a0 = columnError<T>(w0, e0, k0, i, d), a1 = columnError<T>(w1, e1, k1, i, d);
    const a2 = columnError<T>(w2, e2, k2, i, d), a3 = columnError<T>(w3, e3, k3, i, d);
    if (a0 == <T>0 && a1 == <T>0 && a2 == <T>0 && a3 == <T>0) continue;
    const f0 = v128.splat<T>(-a0), f1 = v128.splat<T>(-a1), f2 = v128.splat<T>(-a2), f3 = v128.splat<T>(-a3);
    let j = i + 1;
    for (; j + L <= b; j += L) {
      const o = <usize>j * sz;
      const uv = v128.load(urow + o);
      v128.store(w0 + o, madd<T>(f0, uv, v128.load(w0 + o)));
      v128.store(w1 + o, madd<T>(f1, uv, v128.load(w1 + o)));
      v128.store(w2 + o, madd<T>(f2, uv, v128.load(w2 + o)));
      v128.store(w3 + o, madd<T>(f3, uv, v128.load(w3 + o)));
    }
    for (; j < b; j++) {
      const uj = ld<T>(urow, j);
      st<T>(w0, j, ld<T>(w0, j) - a0 * uj);
      st<T>(w1, j, ld<T>(w1, j) - a1 * uj);
      st<T>(w2, j, ld<T>(w2, j) - a2 * uj);
      st<T>(w3, j, ld<T>(w3, j) - a3 * uj);
    }
  }
}

/** The column loop for one row at w (errors at e, mask at k). */
function oneRow<T>(b: i32, w: usize, u: usize, ldu: i32, e: usize, k: usize, nm: bool, m: i32, prune: i32, s: usize): void {
  const sz = <usize>sizeof<T>();
  const L = lanes<T>();
  for (let i = 0; i < b; i++) {
    if (nm && i % m == 0) pruneGroup<T>(w + <usize>i * sz, u, ldu, i, m, prune, k + <usize>i, s);
    const urow = u + <usize>i * <usize>ldu * sz;
    const a = columnError<T>(w, e, k, i, ld<T>(urow, i));
    if (a == <T>0) continue;
    const f = v128.splat<T>(-a);
    let j = i + 1;
    for (; j + L <= b; j += L) {
      const o = <usize>j * sz;
      v128.store(w + o, madd<T>(f, v128.load(urow + o), v128.load(w + o)));
    }
    for (; j < b; j++) st<T>(w, j, ld<T>(w, j) - a * ld<T>(urow, j));
  }
}

/**
 * Runs the column loop of one block in place. w: W1 (rows x b, leading dimension ldw), pruned
 * entries set to 0 and the rest compensated; u: U1 (b x b, ldu; the upper triangle is read);
 * kind/prune/m: the mask rule (see the top of this file; for 'nm' b is a multiple of m and
 * prune = m − n); err: Err1 (rows x b, lde), written; mask: rows·b bytes (row-major, row stride b),
 * 1 = kept; work: sparsegptWorkBytes(rows, b, kind, m) bytes. Returns 0, or j + 1 when U1[j, j]
 * is not finite and positive (nothing is written then).
 */
export function sparsegptBlock<T>(
  rows: i32, b: i32, w: usize, ldw: i32, u: usize, ldu: i32, kind: i32, prune: i32, m: i32,
  err: usize, lde: i32, mask: usize, work: usize,
): i32 {
  for (let j = 0; j < b; j++) {
    const d = ld<T>(u, <isize>j * <isize>ldu + <isize>j);
    if (!(d > <T>0) || !isFinite<T>(d)) return j + 1;
  }
  if (rows <= 0 || b <= 0) return 0;
  const sz = <usize>sizeof<T>();
  const s = (work + 15) & ~(<usize>15);
  if (kind == LAYER || kind == ROW) {
    const n = kind == LAYER ? rows * b : b;
    const tmp = s + <usize>n * 8;
    for (let r = 0; r < rows; r++) {
      const wr = w + <usize>r * <usize>ldw * sz;
      const sr = kind == LAYER ? s + <usize>r * <usize>b * 8 : s;
      for (let j = 0; j < b; j++) st<f64>(sr, j, score<T>(ld<T>(wr, j), <f64>ld<T>(u, <isize>j * <isize>ldu + <isize>j)));
      if (kind == ROW) pruneSmallest(s, tmp, b, prune, mask + <usize>r * <usize>b);
    }
    if (kind == LAYER) pruneSmallest(s, tmp, rows * b, prune, mask);
  }
  const nm = kind == NM;
  const wst = <usize>ldw * sz, est = <usize>lde * sz, kst = <usize>b;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const wr = w + <usize>r * wst, er = err + <usize>r * est, kr = mask + <usize>r * kst;
    fourRows<T>(b, wr, wr + wst, wr + 2 * wst, wr + 3 * wst, u, ldu, er, er + est, er + 2 * est, er + 3 * est,
      kr, kr + kst, kr + 2 * kst, kr + 3 * kst, nm, m, prune, s);
  }
  for (; r < rows; r++) {
    oneRow<T>(b, w + <usize>r * wst, u, ldu, err + <usize>r * est, mask + <usize>r * kst, nm, m, prune, s);
  }
  return 0;
}

/** Single precision SparseGPT block (see sparsegptBlock). */
export function ssparsegpt(rows: i32, b: i32, w: usize, ldw: i32, u: usize, ldu: i32, kind: i32, prune: i32, m: i32, err: usize, lde: i32, mask: usize, work: usize): i32 {
  return sparsegptBlock<f32>(rows, b, w, ldw, u, ldu, kind, prune, m, err, lde, mask, work);
}

/** Double precision SparseGPT block (see sparsegptBlock). */
export function dsparsegpt(rows: i32, b: i32, w: usize, ldw: i32, u: usize, ldu: i32, kind: i32, prune: i32, m: i32, err: usize, lde: i32, mask: usize, work: usize): i32 {
  return sparsegptBlock<f64>(rows, b, w, ldw, u, ldu, kind, prune, m, err, lde, mask, work);
}

/** Workspace bytes for ssparsegpt. */
export function ssparsegptWorkBytes(rows: i32, b: i32, kind: i32, m: i32): usize { return sparsegptWorkBytes(rows, b, kind, m); }
/** Workspace bytes for dsparsegpt. */
export function dsparsegptWorkBytes(rows: i32, b: i32, kind: i32, m: i32): usize { return sparsegptWorkBytes(rows, b, kind, m); }
