import type { Matrix } from '../../core/matrix.js';
import { readSquare } from './dense.js';

/** Greedy OBS removal per row in float64 (see KernelBackend.obsGreedy). */
export function obsGreedy(
  W: Matrix, Hinv: Matrix, counts: Int32Array, groupSize: number, groupPrune: number,
  mask: Uint8Array, losses: Float64Array | null, lossStride: number,
): number {
  const rows = W.rows, c = W.cols, d = W.data;
  const H0 = readSquare(Hinv, false);
  for (let r = 0; r < rows; r++) {
    const h = H0.slice();
    const w = Float64Array.from({ length: c }, (_, j) => d[W.offset + r * W.stride + j]);
    const live = new Uint8Array(c).fill(1);
    const groupUsed = new Int32Array(groupSize > 0 ? c / groupSize : 0);
    for (let t = 0; t < counts[r]; t++) {
      let p = -1, best = Infinity;
      for (let j = 0; j < c; j++) {
        if (!live[j] || (groupSize > 0 && groupUsed[Math.floor(j / groupSize)] >= groupPrune)) continue;
        const s = (w[j] * w[j]) / h[j * c + j];
        if (p < 0 || s < best) (p = j), (best = s);
      }
      const dp = p < 0 ? NaN : h[p * c + p];
      if (!(dp > 0) || !Number.isFinite(dp)) return r;
      if (losses) losses[r * lossStride + t] = (w[p] * w[p]) / dp;
      const f = w[p] / dp;
      for (let j = 0; j < c; j++) w[j] -= f * h[j * c + p];
      w[p] = 0;
      live[p] = 0;
      if (groupSize > 0) groupUsed[Math.floor(p / groupSize)]++;
      const col = Float64Array.from({ length: c }, (_, i) => h[i * c + p]);
      for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) h[i * c + j] -= (col[i] * col[j]) / dp;
      for (let i = 0; i < c; i++) h[i * c + p] = h[p * c + i] = 0;
    }
    for (let j = 0; j < c; j++) {
      d[W.offset + r * W.stride + j] = live[j] ? w[j] : 0;
      mask[r * c + j] = live[j];
    }
  }
  return -1;
}
