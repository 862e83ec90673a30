// The exchange search of KernelBackend.obsExchange in plain float64 TypeScript: per row, the
// state of its support (K = H[S,S]⁻¹ by Cholesky, V = K H[S,P], x, g = (H x − b)[P], s = the Schur
// complements) is built once per visit and updated after each swap or trajectory step by the
// same rank-one formulas as assembly/obs/exchange.ts (kept as plain dense arrays here). The same
// costs, choices and tie rules; the cases in test/cases/exchange.ts hold both to brute force.
import type { Matrix } from '../../core/matrix.js';
import { cholesky, lowerInverse } from './dense.js';

const SWAP_TOLERANCE = 1e-11;
const EXCHANGE_TOLERANCE = 1e-12;

/** One row's state; K is k x k and V k x p, both row-major with stride c (the capacity). */
class RowState {
  k = 0;
  p = 0;
  readonly K: Float64Array;
  readonly V: Float64Array;
  readonly x: Float64Array;
  readonly g: Float64Array;
  readonly s: Float64Array;
  readonly S: Int32Array;
  readonly P: Int32Array;

  constructor(readonly c: number, readonly h: (i: number, j: number) => number, public b: (j: number) => number) {
    this.K = new Float64Array(c * c);
    this.V = new Float64Array(c * c);
    this.x = new Float64Array(c);
    this.g = new Float64Array(c);
    this.s = new Float64Array(c);
    this.S = new Int32Array(c);
    this.P = new Int32Array(c);
  }

  /** Builds the state of the support in mask (offset o); false when H[S,S] has no factor. */
  build(mask: Uint8Array, o: number): boolean {
    const { c, h, b, K, V, x, g, s, S, P } = this;
    let k = 0, p = 0;
    for (let j = 0; j < c; j++) mask[o + j] ? (S[k++] = j) : (P[p++] = j);
    this.k = k;
    this.p = p;
    if (k > 0) {
      const a = new Float64Array(k * k);
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) a[i * k + j] = h(S[i], S[j]);
      if (cholesky(a, k) !== 0) return false;
      const li = lowerInverse(a, k); // K = L⁻ᵀ L⁻¹
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
        let t = 0;
        for (let m = Math.max(i, j); m < k; m++) t += li[m * k + i] * li[m * k + j];
        K[i * c + j] = t;
      }
    }
    for (let i = 0; i < k; i++) {
      let t = 0;
      for (let j = 0; j < k; j++) t += K[i * c + j] * b(S[j]);
      x[i] = t;
    }
    for (let l = 0; l < p; l++) {
      let gl = -b(P[l]), sl = h(P[l], P[l]);
      for (let i = 0; i < k; i++) {
        let v = 0;
        for (let m = 0; m < k; m++) v += K[i * c + m] * h(S[m], P[l]);
        V[i * c + l] = v;
        gl += h(P[l], S[i]) * x[i];
        sl -= h(S[i], P[l]) * v;
      }
      g[l] = gl;
      s[l] = sl;
    }
    return true;
  }

  /** Moves P position q into S; the gain g_q²/s_q, or −1 when s_q is not positive. */
  add(q: number): number {
    const { c, h, K, V, x, g, s, S, P } = this, k = this.k, p = this.p;
    const sq = s[q], gq = g[q];
    if (!(sq > 0)) return -1;
    const i = P[q];
    const v = new Float64Array(k);
    for (let m = 0; m < k; m++) v[m] = V[m * c + q];
    const z = new Float64Array(p);
    for (let l = 0; l < p; l++) {
      let t = 0;
      for (let m = 0; m < k; m++) t += h(i, S[m]) * V[m * c + l];
      z[l] = (h(i, P[l]) - t) / sq;
    }
    for (let m = 0; m < k; m++) for (let l = 0; l < p; l++) V[m * c + l] -= v[m] * z[l];
    for (let l = 0; l < p; l++) {
      V[k * c + l] = z[l];
      g[l] -= gq * z[l];
      s[l] -= sq * z[l] * z[l];
    }
    for (let m = 0; m < k; m++) for (let n = 0; n < k; n++) K[m * c + n] += (v[m] * v[n]) / sq;
    for (let m = 0; m < k; m++) K[m * c + k] = K[k * c + m] = -v[m] / sq;
    K[k * c + k] = 1 / sq;
    for (let m = 0; m < k; m++) x[m] += (gq / sq) * v[m];
    x[k] = -gq / sq;
    S[k] = i;
    this.k = k + 1;
    const last = p - 1;
    if (q !== last) {
      for (let m = 0; m <= k; m++) V[m * c + q] = V[m * c + last];
      g[q] = g[last];
      s[q] = s[last];
      P[q] = P[last];
    }
    this.p = last;
    return (gq * gq) / sq;
  }

  /** Moves S position a out (into P when withV); the cost x_a²/K_aa, or −1 when K_aa is not positive. */
  remove(a: number, withV: boolean): number {
    const { c, K, V, x, g, s, S, P } = this, k = this.k, p = this.p;
    const kaa = K[a * c + a], xa = x[a];
    if (!(kaa > 0)) return -1;
    const j = S[a];
    const u = K.slice(a * c, a * c + k);
    if (withV) {
      const t = V.slice(a * c, a * c + p);
      for (let m = 0; m < k; m++) {
        if (m === a) continue;
        for (let l = 0; l < p; l++) V[m * c + l] -= (u[m] / kaa) * t[l];
        V[m * c + p] = -u[m] / kaa;
      }
      for (let l = 0; l < p; l++) {
        s[l] += (t[l] * t[l]) / kaa;
        g[l] -= (xa / kaa) * t[l];
      }
      s[p] = 1 / kaa;
      g[p] = -xa / kaa;
      P[p] = j;
      this.p = p + 1;
    }
    for (let m = 0; m < k; m++) if (m !== a) for (let n = 0; n < k; n++) K[m * c + n] -= (u[m] / kaa) * u[n];
    for (let m = 0; m < k; m++) x[m] -= (xa / kaa) * u[m];
    const last = k - 1;
    if (a !== last) {
      for (let n = 0; n < k; n++) K[a * c + n] = K[last * c + n];
      for (let m = 0; m < k; m++) K[m * c + a] = K[m * c + last];
      K[a * c + a] = K[last * c + last];
      if (withV) for (let l = 0; l < this.p; l++) V[a * c + l] = V[last * c + l];
      x[a] = x[last];
      S[a] = S[last];
    }
    this.k = last;
    return (xa * xa) / kaa;
  }

  /** The best swap [change of f, a, q] (change +Inf when there is none). */
  bestSwap(groupSize: number): [number, number, number] {
    const { c, K, V, x, g, s, S, P } = this, k = this.k, p = this.p;
    let best = Infinity, ba = -1, bq = -1;
    for (let a = 0; a < k; a++) {
      const ga = groupSize > 0 ? Math.floor(S[a] / groupSize) : 0;
      for (let l = 0; l < p; l++) {
        if (groupSize > 0 && Math.floor(P[l] / groupSize) !== ga) continue;
        if (!(s[l] > 0)) continue;
        const v = V[a * c + l], y = x[a] + (g[l] / s[l]) * v;
        const d = (y * y) / (K[a * c + a] + (v * v) / s[l]) - (g[l] * g[l]) / s[l];
        if (d < best) (best = d), (ba = a), (bq = l);
      }
    }
    return [best, ba, bq];
  }

  explained(): number {
    let e = 0;
    for (let m = 0; m < this.k; m++) e += this.b(this.S[m]) * this.x[m];
    return e;
  }
}

/** Reference twin of KernelBackend.obsExchange (see there). */
export function obsExchange(
  H: Matrix<'float64'>, B: Matrix<'float64'>, mask: Uint8Array, todo: Int32Array, groupSize: number, maxSwaps: number,
  swaps: Int32Array, t: { addGain: Float64Array; addIndex: Int32Array; removeCost: Float64Array; removeIndex: Int32Array; steps: number } | null,
): number {
  const rows = B.rows, c = B.cols;
  const h = (i: number, j: number) => H.data[H.offset + i * H.stride + j];
  const st = new RowState(c, h, () => 0);
  for (let r = 0; r < rows; r++) {
    if (todo[r] === 0) continue;
    st.b = (j) => B.data[B.offset + r * B.stride + j];
    if (!st.build(mask, r * c)) return r;
    let done = 0;
    while (done < maxSwaps && st.k > 0 && st.p > 0) {
      const [d, a, q] = st.bestSwap(groupSize);
      if (!(d < -SWAP_TOLERANCE * Math.abs(st.explained()))) break;
      const i = st.P[q], j = st.S[a];
      if (st.add(q) < 0 || st.remove(a, true) < 0) return r;
      mask[r * c + i] = 1;
      mask[r * c + j] = 0;
      done++;
    }
    swaps[r] = done;
    if (!t) continue;
    const o = r * t.steps, k0 = st.k;
    const K0 = Float64Array.from(st.K), x0 = Float64Array.from(st.x), S0 = Int32Array.from(st.S);
    for (let i = 0; i < t.steps; i++) {
      let q = -1, best = 0;
      for (let l = 0; l < st.p; l++) {
        if (!(st.s[l] > 0)) continue;
        const gain = (st.g[l] * st.g[l]) / st.s[l];
        if (q < 0 || gain > best) (best = gain), (q = l);
      }
      if (q < 0) {
        t.addGain[o + i] = 0;
        t.addIndex[o + i] = -1;
        continue;
      }
      const col = st.P[q], gain = st.add(q);
      if (gain < 0) return r;
      t.addGain[o + i] = gain;
      t.addIndex[o + i] = col;
    }
    st.k = k0;
    st.K.set(K0);
    st.x.set(x0);
    st.S.set(S0);
    for (let i = 0; i < t.steps; i++) {
      let a = -1, best = 0;
      for (let m = 0; m < st.k; m++) {
        const kaa = st.K[m * c + m];
        if (!(kaa > 0)) return r;
        const cost = (st.x[m] * st.x[m]) / kaa;
        if (a < 0 || cost < best) (best = cost), (a = m);
      }
      if (a < 0) {
        t.removeCost[o + i] = Infinity;
        t.removeIndex[o + i] = -1;
        continue;
      }
      const col = st.S[a], cost = st.remove(a, false);
      if (cost < 0) return r;
      t.removeCost[o + i] = cost;
      t.removeIndex[o + i] = col;
    }
  }
  return -1;
}

/** Reference twin of KernelBackend.obsExchangeAllocate (see there). */
export function obsExchangeAllocate(
  rows: number, c: number, steps: number, addGain: Float64Array, addIndex: Int32Array, removeCost: Float64Array,
  removeIndex: Int32Array, mask: Uint8Array, changed: Int32Array,
): number {
  changed.fill(0);
  if (steps <= 0) return 0;
  let count = 0;
  for (;;) {
    const adds: [number, number][] = [], rems: [number, number][] = [];
    for (let r = 0; r < rows; r++) {
      const q = changed[r], o = r * steps;
      if (q >= 0 && q < steps && addIndex[o + q] >= 0 && addIndex[o + q] < c) adds.push([addGain[o + q], r]);
      if (q <= 0 && -q < steps && removeIndex[o - q] >= 0 && removeIndex[o - q] < c) rems.push([removeCost[o - q], r]);
    }
    // Best gain first (ties: smaller row), least cost first (ties: smaller row).
    adds.sort((x, y) => y[0] - x[0] || x[1] - y[1]);
    rems.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let pick: [number, number, number, number] | null = null;
    if (adds.length && rems.length) {
      if (adds[0][1] !== rems[0][1]) pick = [adds[0][1], adds[0][0], rems[0][1], rems[0][0]];
      else {
        const x = adds.length > 1 ? adds[1][0] - rems[0][0] : -Infinity, y = rems.length > 1 ? adds[0][0] - rems[1][0] : -Infinity;
        if (x >= y && adds.length > 1) pick = [adds[1][1], adds[1][0], rems[0][1], rems[0][0]];
        else if (rems.length > 1) pick = [adds[0][1], adds[0][0], rems[1][1], rems[1][0]];
      }
    }
    if (!pick || !(pick[1] - pick[3] > EXCHANGE_TOLERANCE * pick[1])) break;
    const [ra, , rr] = pick;
    const qa = changed[ra], qr = -changed[rr];
    mask[ra * c + addIndex[ra * steps + qa]] = 1;
    mask[rr * c + removeIndex[rr * steps + qr]] = 0;
    changed[ra] = qa + 1;
    changed[rr] = -(qr + 1);
    count++;
  }
  return count;
}
