// Exchange search on supports by exact OBS costs (I-OBS's support-aware reselection), row by row.
// Row r of the layer objective is f(x) = (x − w)ᵀ H (x − w) over x supported on S (the mask row);
// b = H w is given (B[r]), so f needs no w. On the optimum x of S the kernel keeps, in float64:
//   K = H[S,S]⁻¹                      (k x k)
//   V = K H[S,P]                      (k x p; P = the pruned columns)
//   g_l = (H x − b)_l,  s_l = H_ll − H[l,S] V[:,l]   for l in P (gradient and Schur complement)
// from which every single change of S has an exact cost:
//   remove S_a:        + x_a² / K_aa
//   add P_l:           − g_l² / s_l
//   swap (S_a → P_l):  − g_l² / s_l + (x_a + g_l V_al / s_l)² / (K_aa + V_al² / s_l)
// (add first, then remove in the enlarged support). The kernel applies the best improving swap of
// the row while one lowers f by more than SWAP_TOLERANCE of the row's explained energy bᵀx
// (with groupSize m > 0 only swaps inside one group of m consecutive columns count), each swap an
// O(k·p + k²) update of K, V, x, g and s; then, with steps > 0, it records the row's greedy
// trajectories from there: `steps` additions (gain and column of each, each exact after the ones
// before) and, from the same state, `steps` removals (cost and column). obsExchangeAllocate pairs
// additions with removals across rows. The state is rebuilt (Cholesky inverse and one GEMM) for
// each row processed, so drift never accumulates across calls.
import { ld, st } from '../util/mem';
import { axpy } from '../util/vec';
import { potri, potriWorkBytes } from '../lapack/potri';
import { gemm, gemmWorkBytes } from '../blas/gemm';

/** A swap is taken when it lowers f by more than this fraction of the row's explained energy bᵀx. */
const SWAP_TOLERANCE: f64 = 1e-11;

// @ts-ignore: decorator
@inline function pad16(bytes: usize): usize {
  return (bytes + 15) & ~(<usize>15);
}

// @ts-ignore: decorator
@inline function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function sti(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

/** Workspace bytes for obsExchange with c columns. */
export function obsExchangeWorkBytes(c: i32): usize {
  const n = <usize>c;
  const mat = pad16(n * n * 8);
  const vec = pad16(n * 8), idx = pad16(n * 4);
  const extra = max<usize>(potriWorkBytes<f64>(c), gemmWorkBytes<f64>());
  return 3 * mat + 7 * vec + 3 * idx + extra + 16;
}

/** The working state of the row being processed (c is the capacity and stride of every matrix). */
let R_c: i32 = 0;
let R_k: i32 = 0;
let R_p: i32 = 0;
let R_h: usize = 0; // H, c x c, ld ldh
let R_ldh: i32 = 0;
let R_b: usize = 0; // b = B[r], c
let R_K: usize = 0; // k x k, ld c
let R_V: usize = 0; // k x p, ld c
let R_T: usize = 0; // scratch c x c (H[S,P] while building; the saved K during the trajectories)
let R_x: usize = 0; // k
let R_g: usize = 0; // p
let R_s: usize = 0; // p
let R_t: usize = 0; // scratch c
let R_u: usize = 0; // scratch c
let R_xs: usize = 0; // saved x
let R_S: usize = 0; // k column indices
let R_P: usize = 0; // p column indices
let R_Ss: usize = 0; // saved S
let R_work: usize = 0;

// @ts-ignore: decorator
@inline function hAt(i: i32, j: i32): f64 {
  return load<f64>(R_h + ((<usize>i * <usize>R_ldh + <usize>j) << 3));
}

// @ts-ignore: decorator
@inline function mAt(M: usize, c: i32, i: i32, j: i32): usize {
  return M + ((<usize>i * <usize>c + <usize>j) << 3);
}

/** Builds K, V, x, g, s for the row's support from the mask row; returns 0 or 1 when H[S,S] has no factor. */
function build(mrow: usize): i32 {
  const c = R_c;
  let k = 0, p = 0;
  for (let j = 0; j < c; j++) {
    if (load<u8>(mrow + <usize>j)) sti(R_S, k++, j);
    else sti(R_P, p++, j);
  }
  R_k = k;
  R_p = p;
  if (k == 0) {
    for (let l = 0; l < p; l++) {
      st<f64>(R_g, l, -ld<f64>(R_b, ldi(R_P, l)));
      st<f64>(R_s, l, hAt(ldi(R_P, l), ldi(R_P, l)));
    }
    return 0;
  }
  for (let i = 0; i < k; i++) {
    const si = ldi(R_S, i);
    for (let j = 0; j <= i; j++) store<f64>(mAt(R_K, c, i, j), hAt(si, ldi(R_S, j)));
  }
  if (potri<f64>(k, R_K, c, R_work) != 0) return 1;
  for (let i = 0; i < k; i++) {
    let acc = 0.0;
    const row = mAt(R_K, c, i, 0);
    for (let j = 0; j < k; j++) acc += ld<f64>(row, j) * ld<f64>(R_b, ldi(R_S, j));
    st<f64>(R_x, i, acc);
  }
  if (p == 0) return 0;
  for (let i = 0; i < k; i++) {
    const si = ldi(R_S, i);
    const row = mAt(R_T, c, i, 0);
    for (let l = 0; l < p; l++) st<f64>(row, l, hAt(si, ldi(R_P, l)));
  }
  gemm<f64>(0, 0, k, p, k, 1.0, R_K, c, R_T, c, 0.0, R_V, c, R_work);
  for (let l = 0; l < p; l++) st<f64>(R_g, l, -ld<f64>(R_b, ldi(R_P, l)));
  for (let l = 0; l < p; l++) {
    const pl = ldi(R_P, l);
    st<f64>(R_s, l, hAt(pl, pl));
  }
  for (let i = 0; i < k; i++) {
    const trow = mAt(R_T, c, i, 0), vrow = mAt(R_V, c, i, 0);
    axpy<f64>(p, ld<f64>(R_x, i), trow, R_g);
    for (let l = 0; l < p; l++) st<f64>(R_s, l, ld<f64>(R_s, l) - ld<f64>(trow, l) * ld<f64>(vrow, l));
  }
  return 0;
}

/**
 * Moves P position q into S (at position k): the exact step t = −g_q / s_q along the direction
 * that keeps x optimal on S. Updates K, V, x, g, s, S and P. Returns the gain g_q² / s_q, or −1
 * when s_q is not positive (nothing changed).
 */
function addAt(q: i32): f64 {
  const c = R_c, k = R_k, p = R_p;
  const sq = ld<f64>(R_s, q), gq = ld<f64>(R_g, q);
  if (!(sq > 0)) return -1;
  const i = ldi(R_P, q);
  // v = V[:, q] into u; t_l = H[i, S] V[:, l] into t.
  for (let m = 0; m < k; m++) st<f64>(R_u, m, load<f64>(mAt(R_V, c, m, q)));
  memory.fill(R_t, 0, <usize>p << 3);
  for (let m = 0; m < k; m++) axpy<f64>(p, hAt(i, ldi(R_S, m)), mAt(R_V, c, m, 0), R_t);
  // z_l = (H_il − t_l) / s_q, written over t; the new row k of V.
  for (let l = 0; l < p; l++) st<f64>(R_t, l, (hAt(i, ldi(R_P, l)) - ld<f64>(R_t, l)) / sq);
  for (let m = 0; m < k; m++) axpy<f64>(p, -ld<f64>(R_u, m), R_t, mAt(R_V, c, m, 0));
  memory.copy(mAt(R_V, c, k, 0), R_t, <usize>p << 3);
  for (let l = 0; l < p; l++) {
    const z = ld<f64>(R_t, l);
    st<f64>(R_g, l, ld<f64>(R_g, l) - gq * z);
    st<f64>(R_s, l, ld<f64>(R_s, l) - sq * z * z);
  }
  // K' = [[K + v vᵀ / s, −v / s], [−vᵀ / s, 1 / s]].
  for (let m = 0; m < k; m++) axpy<f64>(k, ld<f64>(R_u, m) / sq, R_u, mAt(R_K, c, m, 0));
  for (let m = 0; m < k; m++) {
    const e = -ld<f64>(R_u, m) / sq;
    store<f64>(mAt(R_K, c, m, k), e);
    store<f64>(mAt(R_K, c, k, m), e);
  }
  store<f64>(mAt(R_K, c, k, k), 1.0 / sq);
  // x' = x + (g_q / s_q) v, x_k = −g_q / s_q.
  axpy<f64>(k, gq / sq, R_u, R_x);
  st<f64>(R_x, k, -gq / sq);
  sti(R_S, k, i);
  R_k = k + 1;
  // Drop P position q: the last one moves into it.
  const last = p - 1;
  if (q != last) {
    for (let m = 0; m <= k; m++) store<f64>(mAt(R_V, c, m, q), load<f64>(mAt(R_V, c, m, last)));
    st<f64>(R_g, q, ld<f64>(R_g, last));
    st<f64>(R_s, q, ld<f64>(R_s, last));
    sti(R_P, q, ldi(R_P, last));
  }
  R_p = last;
  return gq * gq / sq;
}

/**
 * Moves S position a out of the support (appended to P when withV). With withV = false only K, x
 * and S are updated (the removal trajectory needs no more). Returns the cost x_a² / K_aa, or −1
 * when K_aa is not positive (nothing changed).
 */
function removeAt(a: i32, withV: bool): f64 {
  const c = R_c, k = R_k, p = R_p;
  const kaa = load<f64>(mAt(R_K, c, a, a)), xa = ld<f64>(R_x, a);
  if (!(kaa > 0)) return -1;
  const j = ldi(R_S, a);
  memory.copy(R_u, mAt(R_K, c, a, 0), <usize>k << 3); // u = K[a, :]
  if (withV) {
    memory.copy(R_t, mAt(R_V, c, a, 0), <usize>p << 3); // t = V[a, :]
    for (let m = 0; m < k; m++) {
      if (m == a) continue;
      axpy<f64>(p, -ld<f64>(R_u, m) / kaa, R_t, mAt(R_V, c, m, 0));
      store<f64>(mAt(R_V, c, m, p), -ld<f64>(R_u, m) / kaa);
    }
    for (let l = 0; l < p; l++) {
      const va = ld<f64>(R_t, l);
      st<f64>(R_s, l, ld<f64>(R_s, l) + va * va / kaa);
      st<f64>(R_g, l, ld<f64>(R_g, l) - xa / kaa * va);
    }
    st<f64>(R_s, p, 1.0 / kaa);
    st<f64>(R_g, p, -xa / kaa);
    sti(R_P, p, j);
    R_p = p + 1;
  }
  for (let m = 0; m < k; m++) if (m != a) axpy<f64>(k, -ld<f64>(R_u, m) / kaa, R_u, mAt(R_K, c, m, 0));
  axpy<f64>(k, -xa / kaa, R_u, R_x);
  // Drop S position a: the last one moves into it (row and column of K, row of V, x, S).
  const last = k - 1;
  if (a != last) {
    memory.copy(mAt(R_K, c, a, 0), mAt(R_K, c, last, 0), <usize>k << 3);
    for (let m = 0; m < k; m++) store<f64>(mAt(R_K, c, m, a), load<f64>(mAt(R_K, c, m, last)));
    store<f64>(mAt(R_K, c, a, a), load<f64>(mAt(R_K, c, last, last)));
    if (withV) memory.copy(mAt(R_V, c, a, 0), mAt(R_V, c, last, 0), <usize>R_p << 3);
    st<f64>(R_x, a, ld<f64>(R_x, last));
    sti(R_S, a, ldi(R_S, last));
  }
  R_k = last;
  return xa * xa / kaa;
}

/** bᵀx over the support: the part of wᵀHw the row's weights explain (f = wᵀHw − bᵀx). */
function explained(): f64 {
  let e = 0.0;
  for (let m = 0; m < R_k; m++) e += ld<f64>(R_b, ldi(R_S, m)) * ld<f64>(R_x, m);
  return e;
}

/**
 * Best swap of the row: writes (a, q) into out[0], out[1] and returns its change of f (+Inf when
 * there is none). groupSize > 0 restricts swaps to one group of that many consecutive columns.
 */
function bestSwap(groupSize: i32, out: usize): f64 {
  const c = R_c, k = R_k, p = R_p;
  let best = Infinity;
  // gain_l = g_l² / s_l and ratio_l = g_l / s_l per P position, into t and u.
  for (let l = 0; l < p; l++) {
    const s = ld<f64>(R_s, l), g = ld<f64>(R_g, l);
    st<f64>(R_t, l, s > 0 ? g * g / s : 0);
    st<f64>(R_u, l, s > 0 ? g / s : 0);
  }
  for (let a = 0; a < k; a++) {
    const xa = ld<f64>(R_x, a), kaa = load<f64>(mAt(R_K, c, a, a));
    const vrow = mAt(R_V, c, a, 0);
    const ga = groupSize > 0 ? ldi(R_S, a) / groupSize : 0;
    for (let l = 0; l < p; l++) {
      if (groupSize > 0 && ldi(R_P, l) / groupSize != ga) continue;
      const s = ld<f64>(R_s, l);
      if (!(s > 0)) continue;
      const v = ld<f64>(vrow, l);
      const y = xa + ld<f64>(R_u, l) * v;
      const d = y * y / (kaa + v * v / s) - ld<f64>(R_t, l);
      if (d < best) {
        best = d;
        sti(out, 0, a);
        sti(out, 1, l);
      }
    }
  }
  return best;
}

/**
 * For each row r with todo[r] != 0: builds the state of its support (mask row r), applies up to
 * maxSwaps best improving swaps (mask row r updated, swaps[r] = how many), then with steps > 0
 * writes the greedy trajectories: addGain[r·steps + t] / addIndex (0 / −1 once P is empty) and
 * removeCost / removeIndex (+Inf / −1 once S is empty). H (c x c, ld ldh, float64, symmetric
 * positive definite: pass the damped Hessian) and B (rows x c, ld ldb, float64, B = W H) are
 * read. Rows with todo[r] = 0 are left as they are. Returns 0, or r + 1 for the first row whose
 * H[S,S] has no Cholesky factor or whose pivot is not positive. work: obsExchangeWorkBytes(c).
 */
export function dobsExchange(rows: i32, c: i32, h: usize, ldh: i32, b: usize, ldb: i32, mask: usize,
  todo: usize, groupSize: i32, maxSwaps: i32, steps: i32, swaps: usize,
  addGain: usize, addIndex: usize, removeCost: usize, removeIndex: usize, work: usize): i32 {
  const n = <usize>c;
  const mat = pad16(n * n * 8), vec = pad16(n * 8), idx = pad16(n * 4);
  R_c = c;
  R_h = h;
  R_ldh = ldh;
  R_K = work;
  R_V = R_K + mat;
  R_T = R_V + mat;
  R_x = R_T + mat;
  R_g = R_x + vec;
  R_s = R_g + vec;
  R_t = R_s + vec;
  R_u = R_t + vec;
  R_xs = R_u + vec;
  const pick = R_xs + vec; // two i32 (a, q) in a vec-sized slot
  R_S = pick + vec;
  R_P = R_S + idx;
  R_Ss = R_P + idx;
  R_work = R_Ss + idx;
  for (let r = 0; r < rows; r++) {
    if (ldi(todo, r) == 0) continue;
    R_b = b + <usize>r * <usize>ldb * 8;
    const mrow = mask + <usize>r * n;
    if (build(mrow) != 0) return r + 1;
    let done = 0;
    while (done < maxSwaps && R_k > 0 && R_p > 0) {
      const d = bestSwap(groupSize, pick);
      if (!(d < -SWAP_TOLERANCE * abs(explained()))) break;
      const a = ldi(pick, 0), q = ldi(pick, 1);
      const i = ldi(R_P, q), j = ldi(R_S, a);
      if (addAt(q) < 0) return r + 1;
      if (removeAt(a, true) < 0) return r + 1;
      store<u8>(mrow + <usize>i, 1);
      store<u8>(mrow + <usize>j, 0);
      done++;
    }
    sti(swaps, r, done);
    if (steps <= 0) continue;
    // Save K, x and S (the removal trajectory starts from them), then run the additions.
    const k0 = R_k;
    for (let m = 0; m < k0; m++) memory.copy(mAt(R_T, c, m, 0), mAt(R_K, c, m, 0), <usize>k0 << 3);
    memory.copy(R_xs, R_x, <usize>k0 << 3);
    memory.copy(R_Ss, R_S, <usize>k0 << 2);
    const o = <usize>r * <usize>steps;
    for (let t = 0; t < steps; t++) {
      let q = -1, best = 0.0;
      for (let l = 0; l < R_p; l++) {
        const s = ld<f64>(R_s, l), g = ld<f64>(R_g, l);
        if (!(s > 0)) continue;
        const gain = g * g / s;
        if (q < 0 || gain > best) { best = gain; q = l; }
      }
      if (q < 0) {
        st<f64>(addGain, <isize>(o + <usize>t), 0);
        sti(addIndex, <i32>(o + <usize>t), -1);
        continue;
      }
      const col = ldi(R_P, q);
      const gain = addAt(q);
      if (gain < 0) return r + 1;
      st<f64>(addGain, <isize>(o + <usize>t), gain);
      sti(addIndex, <i32>(o + <usize>t), col);
    }
    R_k = k0;
    for (let m = 0; m < k0; m++) memory.copy(mAt(R_K, c, m, 0), mAt(R_T, c, m, 0), <usize>k0 << 3);
    memory.copy(R_x, R_xs, <usize>k0 << 3);
    memory.copy(R_S, R_Ss, <usize>k0 << 2);
    for (let t = 0; t < steps; t++) {
      let a = -1, best = 0.0;
      for (let m = 0; m < R_k; m++) {
        const kaa = load<f64>(mAt(R_K, c, m, m)), xa = ld<f64>(R_x, m);
        if (!(kaa > 0)) return r + 1;
        const cost = xa * xa / kaa;
        if (a < 0 || cost < best) { best = cost; a = m; }
      }
      if (a < 0) {
        st<f64>(removeCost, <isize>(o + <usize>t), Infinity);
        sti(removeIndex, <i32>(o + <usize>t), -1);
        continue;
      }
      const col = ldi(R_S, a);
      const cost = removeAt(a, false);
      if (cost < 0) return r + 1;
      st<f64>(removeCost, <isize>(o + <usize>t), cost);
      sti(removeIndex, <i32>(o + <usize>t), col);
    }
  }
  return 0;
}
