// Keep-mask selection for pruning: from the score s_ij = W_ij² · weight_j, keep (mask byte 1)
//   rule 0 'layer': the `a` largest scores of the whole rows x cols matrix,
//   rule 1 'row':   the `a` largest scores of every row,
//   rule 2 'nm':    the `a` largest of every `b` consecutive columns of every row (cols % b == 0),
// and write 0 everywhere else. Equal scores keep the smaller flat index (row-major), which is the
// strict total order of select/topk.ts over a compact score array whose indices are flat indices.
//
// Scores are computed in float64 whatever T is (a float32 weight squared is exact in float64, so
// every backend ranks the same numbers), then one quickselect per selection range: O(rows·cols)
// expected, no sort.
import { ld } from '../util/mem';
import { select } from '../select/topk';

/** Score entries needed at once: the whole matrix for 'layer', one row otherwise. */
// @ts-ignore: decorator
@inline function span(rows: i32, cols: i32, rule: i32): usize {
  return rule == 0 ? <usize>rows * <usize>cols : <usize>cols;
}

/** Workspace bytes for selectMask: f64 scores and i32 indices for one selection span. */
export function selectMaskWorkBytes(rows: i32, cols: i32, rule: i32): usize {
  const n = span(rows, cols, rule);
  return n * 8 + n * 4 + 16;
}

/** Writes the float64 scores of row r (cols entries) to s. */
function rowScores<T>(cols: i32, w: usize, ldw: i32, r: i32, weight: usize, incWeight: i32, weighted: i32, s: usize): void {
  const row = w + <usize>r * <usize>ldw * sizeof<T>();
  for (let j = 0; j < cols; j++) {
    const v = <f64>ld<T>(row, j);
    let sc = v * v;
    if (weighted) sc *= <f64>ld<T>(weight, <isize>j * <isize>incWeight);
    store<f64>(s + (<usize>j << 3), sc);
  }
}

/**
 * Marks in mask (n bytes at m) the `keep` largest of the n scores at s (ties: smaller index),
 * using idx (n i32) as scratch. Every byte of the range is written.
 */
function keepBest(n: i32, keep: i32, s: usize, idx: usize, m: usize): void {
  if (keep >= n) {
    memory.fill(m, 1, <usize>n);
    return;
  }
  memory.fill(m, 0, <usize>n);
  if (keep <= 0) return;
  for (let i = 0; i < n; i++) store<i32>(idx + (<usize>i << 2), i);
  select<f64>(s, 1, 1, idx, n, keep);
  for (let i = 0; i < keep; i++) store<u8>(m + <usize>load<i32>(idx + (<usize>i << 2)), 1);
}

/**
 * Keep-mask of the rows x cols matrix at w (leading dimension ldw) into the rows·cols bytes at
 * mask (row-major, compact). weight: cols entries `incWeight` apart, read only when weighted = 1
 * (otherwise every weight is 1). rule, a, b as in the header. `work`: selectMaskWorkBytes bytes.
 */
export function selectMask<T>(rows: i32, cols: i32, w: usize, ldw: i32, weight: usize, incWeight: i32, weighted: i32,
  rule: i32, a: i32, b: i32, mask: usize, work: usize): void {
  if (rows <= 0 || cols <= 0) return;
  const n = span(rows, cols, rule);
  const s = work;
  const idx = work + n * 8;
  if (rule == 0) {
    for (let r = 0; r < rows; r++) rowScores<T>(cols, w, ldw, r, weight, incWeight, weighted, s + <usize>r * <usize>cols * 8);
    keepBest(rows * cols, a, s, idx, mask);
    return;
  }
  for (let r = 0; r < rows; r++) {
    rowScores<T>(cols, w, ldw, r, weight, incWeight, weighted, s);
    const m = mask + <usize>r * <usize>cols;
    if (rule == 1) {
      keepBest(cols, a, s, idx, m);
    } else {
      for (let g = 0; g + b <= cols; g += b) keepBest(b, a, s + (<usize>g << 3), idx, m + <usize>g);
    }
  }
}

/** Single precision keep-mask selection (see selectMask). */
export function sselectMask(rows: i32, cols: i32, w: usize, ldw: i32, weight: usize, incWeight: i32, weighted: i32,
  rule: i32, a: i32, b: i32, mask: usize, work: usize): void {
  selectMask<f32>(rows, cols, w, ldw, weight, incWeight, weighted, rule, a, b, mask, work);
}

/** Double precision keep-mask selection (see selectMask). */
export function dselectMask(rows: i32, cols: i32, w: usize, ldw: i32, weight: usize, incWeight: i32, weighted: i32,
  rule: i32, a: i32, b: i32, mask: usize, work: usize): void {
  selectMask<f64>(rows, cols, w, ldw, weight, incWeight, weighted, rule, a, b, mask, work);
}

/** Workspace bytes for sselectMask (scores are float64 in both precisions). */
export function sselectMaskWorkBytes(rows: i32, cols: i32, rule: i32): usize { return selectMaskWorkBytes(rows, cols, rule); }
/** Workspace bytes for dselectMask. */
export function dselectMaskWorkBytes(rows: i32, cols: i32, rule: i32): usize { return selectMaskWorkBytes(rows, cols, rule); }
