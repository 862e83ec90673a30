import type { Matrix } from '../../core/matrix.js';
import type { MaskRule } from '../types.js';

/**
 * SparseGPT's column loop of one block in float64, as published: columns outer, all rows at
 * once (see KernelBackend.sparsegptBlock). W1 and Err1 are written back rounded to their dtype.
 */
export function sparsegptBlock(W1: Matrix, U1: Matrix, rule: MaskRule, Err1: Matrix, mask: Uint8Array): number {
  const rows = W1.rows, b = W1.cols;
  const d = new Float64Array(b);
  for (let j = 0; j < b; j++) {
    d[j] = U1.get(j, j);
    if (!(d[j] > 0) || !Number.isFinite(d[j])) return j;
  }
  const w = Float64Array.from({ length: rows * b }, (_, t) => W1.get(Math.floor(t / b), t % b));
  const err = new Float64Array(rows * b);
  const score = (r: number, j: number): number => (w[r * b + j] * w[r * b + j]) / (d[j] * d[j]);
  mask.fill(1, 0, rows * b);
  // Prunes the `count` smallest of the flat indices idx: smaller score first, then the larger index.
  const pruneSmallest = (idx: number[], count: number): void => {
    const s = idx.map((t) => score(Math.floor(t / b), t % b));
    const order = idx.map((_, t) => t).sort((x, y) => s[x] - s[y] || idx[y] - idx[x]);
    for (let t = 0; t < count; t++) mask[idx[order[t]]] = 0;
  };
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, t) => from + t);
  if (rule.kind === 'layer') pruneSmallest(range(0, rows * b), rows * b - rule.keep);
  else if (rule.kind === 'row') for (let r = 0; r < rows; r++) pruneSmallest(range(r * b, b), b - rule.keep);
  for (let i = 0; i < b; i++) {
    if (rule.kind === 'nm' && i % rule.m === 0) {
      for (let r = 0; r < rows; r++) pruneSmallest(range(r * b + i, rule.m), rule.m - rule.n);
    }
    for (let r = 0; r < rows; r++) {
      if (mask[r * b + i]) continue;
      const e = w[r * b + i] / d[i];
      err[r * b + i] = e;
      for (let j = i + 1; j < b; j++) w[r * b + j] -= e * U1.get(i, j);
      w[r * b + i] = 0;
    }
  }
  W1.assign(w);
  Err1.assign(err);
  return -1;
}
