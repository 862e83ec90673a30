// The transformer kernels in plain float64 loops (RMSNorm, rotary embedding, row softmax, the
// SiLU gate, row gather, summed cross-entropy): the reference twins of assembly/nn/.
import type { Matrix } from '../../core/matrix.js';
import type { CrossEntropyResult } from '../types.js';

/** Element k of a vector (1 x n or n x 1). */
function at(v: Matrix<any>, k: number): number {
  return v.data[v.offset + k * (v.rows === 1 ? 1 : v.stride)];
}

/** Y := X / sqrt(mean(X²) + eps) ⊙ weight per row; Y may be X. */
export function rmsNorm(X: Matrix, weight: Matrix, eps: number, Y: Matrix): void {
  const x = X.data, y = Y.data, n = X.cols;
  for (let i = 0; i < X.rows; i++) {
    const ox = X.offset + i * X.stride, oy = Y.offset + i * Y.stride;
    let ss = 0;
    for (let j = 0; j < n; j++) ss += x[ox + j] * x[ox + j];
    const r = 1 / Math.sqrt(ss / n + eps);
    for (let j = 0; j < n; j++) y[oy + j] = x[ox + j] * r * at(weight, j);
  }
}

/** Rotary embedding in place, rotate_half pairs (i, i + headDim/2), positions or start + row. */
export function rotary(X: Matrix, headDim: number, theta: number, start: number, positions: Matrix<'int32'> | null): void {
  const x = X.data, half = headDim / 2, heads = X.cols / headDim;
  for (let t = 0; t < X.rows; t++) {
    const p = positions ? at(positions, t) : start + t;
    const o = X.offset + t * X.stride;
    for (let i = 0; i < half; i++) {
      const a = p * Math.pow(theta, (-2 * i) / headDim), c = Math.cos(a), s = Math.sin(a);
      for (let h = 0; h < heads; h++) {
        const k = o + h * headDim + i;
        const x1 = x[k], x2 = x[k + half];
        x[k] = x1 * c - x2 * s;
        x[k + half] = x2 * c + x1 * s;
      }
    }
  }
}

/** Row softmax of scale · S in place; causal rows keep j ≤ r + offset. */
export function softmaxRows(S: Matrix, scale: number, causal: boolean, offset: number): void {
  const s = S.data, cols = S.cols, e = new Float64Array(cols);
  for (let r = 0; r < S.rows; r++) {
    const o = S.offset + r * S.stride;
    const n = causal ? Math.min(cols, Math.max(0, r + offset + 1)) : cols;
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = scale * s[o + j];
      if (v > m || Number.isNaN(v)) m = v;
    }
    let sum = 0;
    for (let j = 0; j < n; j++) sum += e[j] = Math.exp(scale * s[o + j] - m);
    for (let j = 0; j < n; j++) s[o + j] = e[j] / sum;
    for (let j = n; j < cols; j++) s[o + j] = 0;
  }
}

/** Y := silu(G) ⊙ U; Y may be G or U. */
export function siluGate(G: Matrix, U: Matrix, Y: Matrix): void {
  const g = G.data, u = U.data, y = Y.data;
  for (let i = 0; i < G.rows; i++) {
    const og = G.offset + i * G.stride, ou = U.offset + i * U.stride, oy = Y.offset + i * Y.stride;
    for (let j = 0; j < G.cols; j++) {
      const v = g[og + j];
      y[oy + j] = (v / (1 + Math.exp(-v))) * u[ou + j];
    }
  }
}

/** Y[t, :] := E[ids[t], :]; returns -1 or the first t with an id outside [0, E.rows) (Y untouched). */
export function gather(E: Matrix, ids: Matrix<'int32'>, Y: Matrix): number {
  const n = ids.size;
  for (let t = 0; t < n; t++) {
    const id = at(ids, t);
    if (!(id >= 0 && id < E.rows)) return t;
  }
  const e = E.data, y = Y.data;
  for (let t = 0; t < n; t++) {
    const oe = E.offset + at(ids, t) * E.stride, oy = Y.offset + t * Y.stride;
    for (let j = 0; j < E.cols; j++) y[oy + j] = e[oe + j];
  }
  return -1;
}

/** Σ_t logsumexp(L[t, :]) − L[t, targets[t]] in float64. */
export function crossEntropy(L: Matrix, targets: Matrix<'int32'>): CrossEntropyResult {
  for (let t = 0; t < L.rows; t++) {
    const y = at(targets, t);
    if (!(y >= 0 && y < L.cols)) return { sum: NaN, invalid: t };
  }
  const l = L.data;
  let sum = 0;
  for (let t = 0; t < L.rows; t++) {
    const o = L.offset + t * L.stride;
    let m = -Infinity;
    for (let j = 0; j < L.cols; j++) if (l[o + j] > m || Number.isNaN(l[o + j])) m = l[o + j];
    let s = 0;
    for (let j = 0; j < L.cols; j++) s += Math.exp(l[o + j] - m);
    sum += m + Math.log(s) - l[o + at(targets, t)];
  }
  return { sum, invalid: -1 };
}
