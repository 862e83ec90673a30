import type { Matrix } from '../../core/matrix.js';
import type { MaskRule } from '../types.js';

/** Keep-mask from scores W_ij² · colWeight_j in float64; ties keep the smaller flat index. */
export function selectMask(W: Matrix, colWeight: Matrix | null, rule: MaskRule, mask: Uint8Array): void {
  const rows = W.rows, cols = W.cols, d = W.data;
  const weight = new Float64Array(cols).fill(1);
  if (colWeight) {
    const cw = colWeight.toArray();
    for (let j = 0; j < cols; j++) weight[j] = cw[j];
  }
  const score = (i: number): number => {
    const r = Math.floor(i / cols), j = i - r * cols, w = d[W.offset + r * W.stride + j];
    return w * w * weight[j];
  };
  mask.fill(0, 0, rows * cols);
  // Keeps the `keep` best of the flat indices idx: larger score first, then the smaller index.
  const keepBest = (idx: number[], keep: number): void => {
    const s = idx.map(score);
    const order = idx.map((_, t) => t).sort((a, b) => s[b] - s[a] || idx[a] - idx[b]);
    for (let t = 0; t < keep; t++) mask[idx[order[t]]] = 1;
  };
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, t) => from + t);
  if (rule.kind === 'layer') keepBest(range(0, rows * cols), rule.keep);
  else if (rule.kind === 'row') for (let r = 0; r < rows; r++) keepBest(range(r * cols, cols), rule.keep);
  else for (let r = 0; r < rows; r++) for (let g = 0; g < cols; g += rule.m) keepBest(range(r * cols + g, rule.m), rule.n);
}
