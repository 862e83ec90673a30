// Greedy OBS removal (OBC: exact per step) on every row of W, each row with its own copy of the
// symmetric inverse Hessian Hinv (c x c). For row r, counts[r] times:
//   p     = the eligible index with the least w_p² / Hinv[p,p] (ties: the smaller p); eligible =
//           not yet removed and, with groupSize m > 0, its group of m consecutive columns has had
//           fewer than groupPrune removals;
//   loss  = w_p² / Hinv[p,p] (float64, written to losses[r·lossStride + t]);
//   w    -= (w_p / Hinv[p,p]) · Hinv[p,:], then w_p = 0 exactly;
//   Hinv  = the OBS downdate at p (downdate<T>: row and column p become exactly 0).
// The downdate is the O(c²) cost of a step, so three things keep it small:
// - only the lower triangle of the working copy is kept and downdated (half the flops of the
//   full downdate<T> of lapack/downdate.ts, with the same formula h_ij −= u_i·u_j, u = Hinv[p,:]/√d,
//   through the same vector multiply-add, so every kept entry is bit-for-bit what downdate<T>
//   gives; row p is gathered from row p's left part and column p's lower part);
// - removed rows are skipped (their multiplier u_i is an exact zero);
// - removed columns are dropped by compacting the working copy to the live indices once an eighth
//   of them is dead, so a step costs O(live²). Compaction only moves numbers.
import { ld, st, lanes, madd } from '../util/mem';
import { axpy } from '../util/vec';

/** Compact when at least 1/COMPACT_EVERY of the working order is removed (and it is large enough). */
const COMPACT_EVERY: i32 = 8;
/** Orders below this are never compacted (the bookkeeping is not worth it). */
const COMPACT_MIN: i32 = 32;

// @ts-ignore: decorator
@inline function pad16(bytes: usize): usize {
  return (bytes + 15) & ~(<usize>15);
}

/** Workspace bytes for obsGreedy<T> with c columns (groupSize m > 0 adds c / m group counters). */
export function obsGreedyWorkBytes<T>(c: i32, groupSize: i32): usize {
  const sz = <usize>sizeof<T>(), n = <usize>c;
  const groups = groupSize > 0 ? <usize>(c / groupSize) : 0;
  return pad16(n * n * sz) + pad16(n * sz) + pad16(n * 4) + pad16(n) + pad16(groups * 4) + 2 * pad16(n * sz) + 16;
}

/** Gathers row p of the symmetric m x m matrix whose lower triangle is at h (ld m) into r. */
function gatherRow<T>(m: i32, h: usize, p: i32, r: usize): void {
  const sz = <usize>sizeof<T>();
  memory.copy(r, h + <usize>p * <usize>m * sz, <usize>(p + 1) * sz);
  for (let i = p + 1; i < m; i++) st<T>(r, i, ld<T>(h, <isize>i * <isize>m + <isize>p));
}

/**
 * OBS downdate at p of the lower triangle at h (m x m, ld m) given row p in r (r[p] = d > 0):
 * h_ij −= u_i·u_j for j <= i with u = r/√d (written to u), then row and column p set to 0.
 * tmp: one v128 of scratch for the tails.
 */
function downdateLower<T>(m: i32, h: usize, p: i32, r: usize, u: usize, tmp: usize): void {
  const sz = <usize>sizeof<T>();
  const s = <T>1 / <T>Math.sqrt(<f64>ld<T>(r, p));
  for (let j = 0; j < m; j++) st<T>(u, j, ld<T>(r, j) * s);
  const L = lanes<T>();
  for (let i = 0; i < m; i++) {
    const ui = ld<T>(u, i);
    if (i == p || ui == <T>0) continue;
    const row = h + <usize>i * <usize>m * sz;
    const f = v128.splat<T>(-ui);
    const n = i + 1;
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
      // As in downdate<T>: the tail through the same vector multiply-add, via scratch.
      const cnt = <usize>(n - j) * sz, o = <usize>j * sz;
      memory.copy(tmp, row + o, cnt);
      v128.store(tmp, madd<T>(f, v128.load(u + o), v128.load(tmp)));
      memory.copy(row + o, tmp, cnt);
    }
    if (i > p) st<T>(row, p, <T>0);
  }
  memory.fill(h + <usize>p * <usize>m * sz, 0, <usize>(p + 1) * sz);
}

/**
 * Moves the live entries of the lower triangle of the m x m matrix h (ld m), of idx and of the live flags to the front,
 * keeping their order; returns the new order. In place: every destination precedes its source.
 */
function compact<T>(m: i32, h: usize, idx: usize, live: usize): i32 {
  let k = 0;
  for (let i = 0; i < m; i++) {
    if (!load<u8>(live + <usize>i)) continue;
    store<i32>(idx + (<usize>k << 2), load<i32>(idx + (<usize>i << 2)));
    k++;
  }
  // idx now lists the survivors' original columns; rebuild their old positions from the flags.
  const sz = <usize>sizeof<T>();
  let ni = 0;
  for (let i = 0; i < m; i++) {
    if (!load<u8>(live + <usize>i)) continue;
    const src = h + <usize>i * <usize>m * sz, dst = h + <usize>ni * <usize>k * sz;
    let nj = 0;
    for (let j = 0; j <= i; j++) {
      if (!load<u8>(live + <usize>j)) continue;
      st<T>(dst, nj++, ld<T>(src, j));
    }
    ni++;
  }
  memory.fill(live, 1, <usize>k);
  return k;
}

/**
 * Runs the greedy removal on the rows x c matrix at w (ld ldw) with the c x c symmetric Hinv at
 * hinv (ld ldh, read only; its lower triangle is what is used). counts: rows i32. mask: rows·c bytes (1 = kept). losses: f64, row r's steps at
 * losses + r·lossStride, written only when withLosses = 1. W is overwritten with the compensated
 * weights (removed ones exactly 0). Returns 0, or r + 1 for the first row r where no index was
 * eligible or the pivot Hinv[p,p] was not finite and positive (rows from r on are unspecified).
 * `work`: obsGreedyWorkBytes<T>(c, groupSize) bytes.
 */
export function obsGreedy<T>(rows: i32, c: i32, w: usize, ldw: i32, hinv: usize, ldh: i32, counts: usize,
  groupSize: i32, groupPrune: i32, mask: usize, losses: usize, lossStride: i32, withLosses: i32, work: usize): i32 {
  const sz = <usize>sizeof<T>(), n = <usize>c;
  const h = work;
  const wv = h + pad16(n * n * sz);
  const idx = wv + pad16(n * sz);
  const live = idx + pad16(n * 4);
  const used = live + pad16(n);
  const groups = groupSize > 0 ? c / groupSize : 0;
  const rp = used + pad16(<usize>groups * 4);
  const u = rp + pad16(n * sz);
  const tmp = u + pad16(n * sz);
  for (let r = 0; r < rows; r++) {
    const cnt = load<i32>(counts + (<usize>r << 2));
    const wrow = w + <usize>r * <usize>ldw * sz;
    const mrow = mask + <usize>r * n;
    if (cnt <= 0) {
      memory.fill(mrow, 1, n);
      continue;
    }
    for (let i = 0; i < c; i++) memory.copy(h + <usize>i * n * sz, hinv + <usize>i * <usize>ldh * sz, <usize>(i + 1) * sz);
    memory.copy(wv, wrow, n * sz);
    for (let i = 0; i < c; i++) store<i32>(idx + (<usize>i << 2), i);
    memory.fill(live, 1, n);
    if (groups > 0) memory.fill(used, 0, <usize>groups * 4);
    let m = c, dead = 0;
    for (let t = 0; t < cnt; t++) {
      let p = -1, best = 0.0;
      for (let k = 0; k < m; k++) {
        if (!load<u8>(live + <usize>k)) continue;
        if (groups > 0 && load<i32>(used + (<usize>(load<i32>(idx + (<usize>k << 2)) / groupSize) << 2)) >= groupPrune) continue;
        const wk = <f64>ld<T>(wv, k);
        const s = (wk * wk) / <f64>ld<T>(h, <isize>k * <isize>(m + 1));
        if (p < 0 || s < best) {
          p = k;
          best = s;
        }
      }
      if (p < 0) return r + 1;
      const dp = ld<T>(h, <isize>p * <isize>(m + 1));
      if (!(dp > <T>0) || !isFinite<T>(dp)) return r + 1;
      gatherRow<T>(m, h, p, rp);
      const wp = ld<T>(wv, p);
      if (withLosses) store<f64>(losses + ((<usize>r * <usize>lossStride + <usize>t) << 3), (<f64>wp * <f64>wp) / <f64>dp);
      axpy<T>(m, -(wp / dp), rp, wv);
      st<T>(wv, p, <T>0);
      store<u8>(live + <usize>p, 0);
      if (groups > 0) {
        const g = used + (<usize>(load<i32>(idx + (<usize>p << 2)) / groupSize) << 2);
        store<i32>(g, load<i32>(g) + 1);
      }
      downdateLower<T>(m, h, p, rp, u, tmp);
      dead++;
      if (m >= COMPACT_MIN && dead * COMPACT_EVERY >= m && t + 1 < cnt) {
        // wv follows the same permutation as h's rows.
        let nk = 0;
        for (let k = 0; k < m; k++) if (load<u8>(live + <usize>k)) st<T>(wv, nk++, ld<T>(wv, k));
        m = compact<T>(m, h, idx, live);
        dead = 0;
      }
    }
    memory.fill(mrow, 0, n);
    for (let j = 0; j < c; j++) st<T>(wrow, j, <T>0);
    for (let k = 0; k < m; k++) {
      if (!load<u8>(live + <usize>k)) continue;
      const j = load<i32>(idx + (<usize>k << 2));
      st<T>(wrow, j, ld<T>(wv, k));
      store<u8>(mrow + <usize>j, 1);
    }
  }
  return 0;
}

/** Single precision greedy OBS removal (see obsGreedy). */
export function sobsGreedy(rows: i32, c: i32, w: usize, ldw: i32, hinv: usize, ldh: i32, counts: usize,
  groupSize: i32, groupPrune: i32, mask: usize, losses: usize, lossStride: i32, withLosses: i32, work: usize): i32 {
  return obsGreedy<f32>(rows, c, w, ldw, hinv, ldh, counts, groupSize, groupPrune, mask, losses, lossStride, withLosses, work);
}

/** Double precision greedy OBS removal (see obsGreedy). */
export function dobsGreedy(rows: i32, c: i32, w: usize, ldw: i32, hinv: usize, ldh: i32, counts: usize,
  groupSize: i32, groupPrune: i32, mask: usize, losses: usize, lossStride: i32, withLosses: i32, work: usize): i32 {
  return obsGreedy<f64>(rows, c, w, ldw, hinv, ldh, counts, groupSize, groupPrune, mask, losses, lossStride, withLosses, work);
}

/** Workspace bytes for sobsGreedy with c columns and groups of groupSize (0: none). */
export function sobsGreedyWorkBytes(c: i32, groupSize: i32): usize { return obsGreedyWorkBytes<f32>(c, groupSize); }
/** Workspace bytes for dobsGreedy with c columns and groups of groupSize (0: none). */
export function dobsGreedyWorkBytes(c: i32, groupSize: i32): usize { return obsGreedyWorkBytes<f64>(c, groupSize); }
