// OBC's global allocation of a pruning budget: of the rows x steps float64 step losses (row r's
// losses in the order its greedy removals happen), the `total` smallest are chosen, equal losses
// going to the smaller row-major index, and each row's count of chosen steps is written.
//
// The threshold t (the total-th smallest loss) is found by quickselect on a compact copy in the
// workspace: median-of-3 pivots and three-way partitions (so runs of equal losses cost nothing),
// insertion sort below 16 entries, and a heapsort of the remaining range after 2·log2(n) + 8
// partitions (an introselect guard against quadratic inputs). Then one pass in row-major order
// takes every loss below t and the first (total − #below) losses equal to t, summing them in
// float64. A NaN anywhere gives NaN (and zero counts).

/** Workspace bytes for obcAllocate on rows x steps losses: one float64 per loss. */
export function obcAllocateWorkBytes(rows: i32, steps: i32): usize {
  return <usize>rows * <usize>steps * 8;
}

// @ts-ignore: decorator
@inline function get(a: usize, i: i32): f64 {
  return load<f64>(a + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline function put(a: usize, i: i32, v: f64): void {
  store<f64>(a + (<usize>i << 3), v);
}

// @ts-ignore: decorator
@inline function swap(a: usize, i: i32, j: i32): void {
  const t = get(a, i);
  put(a, i, get(a, j));
  put(a, j, t);
}

/** Copies the losses into the compact array at a; returns true when one of them is NaN. */
function gather(rows: i32, steps: i32, l: usize, ldl: i32, a: usize): bool {
  let nan = v128.splat<i64>(0);
  for (let r = 0; r < rows; r++) {
    const src = l + <usize>r * <usize>ldl * 8, dst = a + <usize>r * <usize>steps * 8;
    let t = 0;
    for (; t + 2 <= steps; t += 2) {
      const v = v128.load(src + (<usize>t << 3));
      nan = v128.or(nan, f64x2.ne(v, v));
      v128.store(dst + (<usize>t << 3), v);
    }
    for (; t < steps; t++) {
      const v = get(src, t);
      if (v != v) return true;
      put(dst, t, v);
    }
  }
  return v128.any_true(nan);
}

/** Sorts a[lo, hi) ascending by insertion. */
function insertionSort(a: usize, lo: i32, hi: i32): void {
  for (let i = lo + 1; i < hi; i++) {
    const v = get(a, i);
    let j = i - 1;
    while (j >= lo && get(a, j) > v) {
      put(a, j + 1, get(a, j));
      j--;
    }
    put(a, j + 1, v);
  }
}

/** Restores the max-heap a[lo, lo + m) below position r (relative to lo). */
function siftDown(a: usize, lo: i32, m: i32, r: i32): void {
  while (true) {
    let c = 2 * r + 1;
    if (c >= m) return;
    if (c + 1 < m && get(a, lo + c + 1) > get(a, lo + c)) c++;
    if (!(get(a, lo + c) > get(a, lo + r))) return;
    swap(a, lo + r, lo + c);
    r = c;
  }
}

/** Sorts a[lo, hi) ascending by heapsort (the guard's O(m log m) finish). */
function heapSort(a: usize, lo: i32, hi: i32): void {
  const m = hi - lo;
  for (let r = m / 2 - 1; r >= 0; r--) siftDown(a, lo, m, r);
  for (let end = m - 1; end > 0; end--) {
    swap(a, lo, lo + end);
    siftDown(a, lo, end, 0);
  }
}

/** The median of three values. */
// @ts-ignore: decorator
@inline function median3(x: f64, y: f64, z: f64): f64 {
  return max(min(x, y), min(max(x, y), z));
}

/** The k-th smallest (0-based) of the n NaN-free values at a, which are reordered. */
export function selectKth(a: usize, n: i32, k: i32): f64 {
  let lo = 0, hi = n;
  let depth = 2 * (31 - clz<i32>(n)) + 8;
  // Invariant: a[0, lo) <= a[lo, hi) <= a[hi, n) and lo <= k < hi.
  while (hi - lo > 16) {
    if (depth-- == 0) {
      heapSort(a, lo, hi);
      return get(a, k);
    }
    const pv = median3(get(a, lo), get(a, lo + ((hi - lo) >> 1)), get(a, hi - 1));
    // Three-way partition: [lo, lt) < pv, [lt, i) == pv, [gt, hi) > pv.
    let lt = lo, i = lo, gt = hi;
    while (i < gt) {
      const v = get(a, i);
      if (v < pv) swap(a, lt++, i++);
      else if (v > pv) swap(a, i, --gt);
      else i++;
    }
    if (k < lt) hi = lt;
    else if (k >= gt) lo = gt;
    else return pv;
  }
  insertionSort(a, lo, hi);
  return get(a, k);
}

/** Number of losses strictly below t. */
function countBelow(rows: i32, steps: i32, l: usize, ldl: i32, t: f64): i32 {
  let below = 0;
  for (let r = 0; r < rows; r++) {
    const row = l + <usize>r * <usize>ldl * 8;
    for (let s = 0; s < steps; s++) if (get(row, s) < t) below++;
  }
  return below;
}

/**
 * Chooses the `total` smallest of the rows x steps float64 losses at l (leading dimension ldl),
 * ties to the smaller row-major index, and writes each row's number of chosen losses as int32 to
 * counts[r·inc]. Returns their sum in float64 (0 when total is 0; NaN, with all counts 0, when a
 * loss is NaN). total <= rows·steps. `work`: obcAllocateWorkBytes(rows, steps) bytes.
 */
export function obcAllocate(rows: i32, steps: i32, l: usize, ldl: i32, total: i32, counts: usize, inc: i32, work: usize): f64 {
  for (let r = 0; r < rows; r++) store<i32>(counts + ((<usize>r * <usize>inc) << 2), 0);
  const n = rows * steps;
  if (total > n) total = n;
  if (total <= 0) return 0;
  if (gather(rows, steps, l, ldl, work)) return NaN;
  const t = selectKth(work, n, total - 1);
  let ties = total - countBelow(rows, steps, l, ldl, t);
  let sum = 0.0;
  for (let r = 0; r < rows; r++) {
    const row = l + <usize>r * <usize>ldl * 8;
    let chosen = 0;
    for (let s = 0; s < steps; s++) {
      const v = get(row, s);
      if (v < t || (v == t && ties-- > 0)) {
        chosen++;
        sum += v;
      }
    }
    store<i32>(counts + ((<usize>r * <usize>inc) << 2), chosen);
  }
  return sum;
}
