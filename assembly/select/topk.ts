// Top-k selection: the indices of the k entries of a vector with the largest score, where the
// score is |x_i| (byValue = 0) or x_i (byValue = 1). Entries are ordered by score, larger first,
// and equal scores by index, smaller first; this is a strict total order, so the selected set
// is unique and every backend returns the same one.
//
// Quickselect over an i32 index workspace (O(n) expected): median-of-3 pivots, Lomuto
// partitions, insertion sort for ranges of at most 16, and an introselect guard: after
// 2·log2(n) + 4 partitions the remaining range is finished by heap selection (O(n log k)), so
// adversarial inputs cannot make it quadratic. The k chosen indices are then returned in
// ascending order through a bitmap scan (O(n)), never a sort of the n entries.
import { ld } from '../util/mem';

/** Bytes of workspace topk needs for n entries: n i32 indices, then an n-bit bitmap. */
export function topkWorkBytes(n: i32): usize {
  return <usize>n * 4 + ((<usize>n + 31) >> 5) * 4;
}

/** Score of entry i. */
// @ts-ignore: decorator
@inline function score<T>(x: usize, inc: i32, byValue: i32, i: i32): T {
  const v = ld<T>(x, <isize>i * <isize>inc);
  return byValue ? v : abs<T>(v);
}

/** True when entry a comes before entry b: a larger score, or an equal score and a smaller index. */
// @ts-ignore: decorator
@inline function before<T>(x: usize, inc: i32, byValue: i32, a: i32, b: i32): bool {
  const sa = score<T>(x, inc, byValue, a), sb = score<T>(x, inc, byValue, b);
  return sa > sb || (sa == sb && a < b);
}

// @ts-ignore: decorator
@inline function idx(w: usize, i: i32): i32 {
  return load<i32>(w + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function setIdx(w: usize, i: i32, v: i32): void {
  store<i32>(w + (<usize>i << 2), v);
}

// @ts-ignore: decorator
@inline function swap(w: usize, i: i32, j: i32): void {
  const t = idx(w, i);
  setIdx(w, i, idx(w, j));
  setIdx(w, j, t);
}

/** Sorts w[lo, hi) by the order `before`. */
function insertionSort<T>(x: usize, inc: i32, byValue: i32, w: usize, lo: i32, hi: i32): void {
  for (let i = lo + 1; i < hi; i++) {
    const e = idx(w, i);
    let j = i - 1;
    while (j >= lo && before<T>(x, inc, byValue, e, idx(w, j))) {
      setIdx(w, j + 1, idx(w, j));
      j--;
    }
    setIdx(w, j + 1, e);
  }
}

/** Restores the heap on w[lo, lo + m) below position r (relative); the root is the last in order. */
function siftDown<T>(x: usize, inc: i32, byValue: i32, w: usize, lo: i32, m: i32, r: i32): void {
  while (true) {
    let c = 2 * r + 1;
    if (c >= m) return;
    if (c + 1 < m && before<T>(x, inc, byValue, idx(w, lo + c), idx(w, lo + c + 1))) c++;
    if (!before<T>(x, inc, byValue, idx(w, lo + r), idx(w, lo + c))) return;
    swap(w, lo + r, lo + c);
    r = c;
  }
}

/** Moves the first m (1 <= m < hi - lo) of w[lo, hi) in order to w[lo, lo + m): heap selection. */
function heapSelect<T>(x: usize, inc: i32, byValue: i32, w: usize, lo: i32, hi: i32, m: i32): void {
  for (let r = m / 2 - 1; r >= 0; r--) siftDown<T>(x, inc, byValue, w, lo, m, r);
  for (let j = lo + m; j < hi; j++) {
    if (before<T>(x, inc, byValue, idx(w, j), idx(w, lo))) {
      swap(w, j, lo);
      siftDown<T>(x, inc, byValue, w, lo, m, 0);
    }
  }
}

/**
 * Rearranges the indices w[0, n) so that w[0, k) holds the first k entries in the order above
 * (0 < k < n), in no particular order among themselves. Shared with the OBS mask selection.
 */
export function select<T>(x: usize, inc: i32, byValue: i32, w: usize, n: i32, k: i32): void {
  let lo = 0, hi = n;
  let depth = 2 * (31 - clz<i32>(n)) + 4;
  // Invariant: w[0, lo) all come before w[lo, n); w[hi, n) all come after w[0, hi); lo <= k <= hi.
  while (hi - lo > 16) {
    if (depth-- == 0) {
      if (k > lo) heapSelect<T>(x, inc, byValue, w, lo, hi, k - lo);
      return;
    }
    // Median of three (first, middle, last) becomes the pivot at hi - 1.
    const mid = lo + ((hi - lo) >> 1);
    let a = lo, b = mid, c = hi - 1;
    if (before<T>(x, inc, byValue, idx(w, b), idx(w, a))) { const t = a; a = b; b = t; }
    if (before<T>(x, inc, byValue, idx(w, c), idx(w, b))) {
      b = c;
      if (before<T>(x, inc, byValue, idx(w, b), idx(w, a))) b = a;
    }
    swap(w, b, hi - 1);
    const pv = idx(w, hi - 1);
    const ps = score<T>(x, inc, byValue, pv);
    let s = lo;
    for (let i = lo; i < hi - 1; i++) {
      const e = idx(w, i);
      const es = score<T>(x, inc, byValue, e);
      if (es > ps || (es == ps && e < pv)) {
        setIdx(w, i, idx(w, s));
        setIdx(w, s, e);
        s++;
      }
    }
    swap(w, s, hi - 1);
    if (s == k) return;
    if (s < k) lo = s + 1;
    else hi = s;
  }
  insertionSort<T>(x, inc, byValue, w, lo, hi);
}

/** Index of the first NaN among n entries (stride inc), or -1. SIMD scan when contiguous. */
function firstNaN<T>(n: i32, x: usize, inc: i32): i32 {
  let i = 0;
  if (inc == 1) {
    const L = 16 / sizeof<T>();
    for (; i + L <= n; i += L) {
      const v = v128.load(x + (<usize>i * sizeof<T>()));
      if (v128.any_true(v128.ne<T>(v, v))) break;
    }
  }
  for (; i < n; i++) {
    const v = ld<T>(x, <isize>i * <isize>inc);
    if (v != v) return i;
  }
  return -1;
}

/**
 * Writes to out[0, k) the indices of the first k of the n entries of x (stride incx) in the
 * order above, ascending. `out` is the workspace: topkWorkBytes(n) bytes. Returns 0, or i + 1
 * when x_i is NaN (the first one; nothing is selected then).
 */
export function topk<T>(n: i32, x: usize, incx: i32, k: i32, byValue: i32, out: usize): i32 {
  const bad = firstNaN<T>(n, x, incx);
  if (bad >= 0) return bad + 1;
  if (k <= 0) return 0;
  if (k >= n) {
    for (let i = 0; i < n; i++) setIdx(out, i, i);
    return 0;
  }
  for (let i = 0; i < n; i++) setIdx(out, i, i);
  select<T>(x, incx, byValue, out, n, k);
  // Ascending order through a bitmap of the chosen indices.
  const bits = out + (<usize>n << 2);
  const words = (n + 31) >> 5;
  memory.fill(bits, 0, <usize>words << 2);
  for (let i = 0; i < k; i++) {
    const e = idx(out, i);
    const p = bits + (<usize>(e >> 5) << 2);
    store<u32>(p, load<u32>(p) | (<u32>1 << (e & 31)));
  }
  let o = 0;
  for (let wi = 0; wi < words; wi++) {
    let word = load<u32>(bits + (<usize>wi << 2));
    while (word != 0) {
      setIdx(out, o++, (wi << 5) + <i32>ctz<u32>(word));
      word &= word - 1;
    }
  }
  return 0;
}

/** Single precision top-k (see topk). */
export function stopk(n: i32, x: usize, incx: i32, k: i32, byValue: i32, out: usize): i32 {
  return topk<f32>(n, x, incx, k, byValue, out);
}

/** Double precision top-k (see topk). */
export function dtopk(n: i32, x: usize, incx: i32, k: i32, byValue: i32, out: usize): i32 {
  return topk<f64>(n, x, incx, k, byValue, out);
}

/** Workspace bytes for stopk over n entries. */
export function stopkWorkBytes(n: i32): usize { return topkWorkBytes(n); }
/** Workspace bytes for dtopk over n entries. */
export function dtopkWorkBytes(n: i32): usize { return topkWorkBytes(n); }
