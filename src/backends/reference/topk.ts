import type { Matrix } from '../../core/matrix.js';

/**
 * Top-k indices by a full sort (this is the oracle): entries ordered by score (|x_i|, or x_i when
 * byValue), larger first, equal scores by smaller index; the first k, ascending. Returns -1 or the
 * index of the first NaN.
 */
export function topk(X: Matrix, k: number, byValue: boolean, out: Int32Array): number {
  const n = X.size, d = X.data;
  const inc = X.rows === 1 ? 1 : X.stride;
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = d[X.offset + i * inc];
    if (Number.isNaN(v)) return i;
    score[i] = byValue ? v : Math.abs(v);
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => (score[a] !== score[b] ? score[b] - score[a] : a - b));
  const chosen = order.slice(0, k).sort((a, b) => a - b);
  out.set(chosen);
  return -1;
}
