// Mask kernels in plain loops: counts per row and group, differences, violations, and OBC's
// global allocation of a pruning budget across rows.
import type { Mask, Matrix } from '../../core/matrix.js';

/** Kept per row into rowCounts; returns the most kept in any group of groupSize columns. */
export function maskCounts(mask: Mask, groupSize: number, rowCounts: Matrix<'int32'>): number {
  const m = mask.data, rc = rowCounts.data, step = rowCounts.rows === 1 ? 1 : rowCounts.stride;
  let most = 0;
  for (let i = 0; i < mask.rows; i++) {
    const o = mask.offset + i * mask.stride;
    let kept = 0, group = 0;
    for (let j = 0; j < mask.cols; j++) {
      kept += m[o + j];
      if (groupSize > 0) {
        group += m[o + j];
        if ((j + 1) % groupSize === 0) {
          most = Math.max(most, group);
          group = 0;
        }
      }
    }
    rc[rowCounts.offset + i * step] = kept;
  }
  return most;
}

/** Positions where a and b differ. */
export function maskDifference(a: Mask, b: Mask): number {
  const x = a.data, y = b.data;
  let n = 0;
  for (let i = 0; i < a.rows; i++) {
    const oa = a.offset + i * a.stride, ob = b.offset + i * b.stride;
    for (let j = 0; j < a.cols; j++) if (x[oa + j] !== y[ob + j]) n++;
  }
  return n;
}

/** First row-major index with mask 0 and W ≠ 0, or -1. */
export function maskViolation(W: Matrix, mask: Mask): number {
  const w = W.data, m = mask.data;
  for (let i = 0; i < W.rows; i++) {
    const ow = W.offset + i * W.stride, om = mask.offset + i * mask.stride;
    for (let j = 0; j < W.cols; j++) if (m[om + j] === 0 && w[ow + j] !== 0) return i * W.cols + j;
  }
  return -1;
}

/**
 * The `total` smallest losses (ties to the smaller row-major index) counted per row into
 * rowCounts; returns their sum (NaN when losses hold NaN).
 */
export function obcAllocate(losses: Matrix<'float64'>, total: number, rowCounts: Matrix<'int32'>): number {
  const rows = losses.rows, steps = losses.cols, l = losses.data, rc = rowCounts.data;
  const step = rowCounts.rows === 1 ? 1 : rowCounts.stride;
  for (let r = 0; r < rows; r++) rc[rowCounts.offset + r * step] = 0;
  if (total <= 0) return 0;
  const flat: number[] = [];
  for (let r = 0; r < rows; r++) for (let t = 0; t < steps; t++) {
    const v = l[losses.offset + r * losses.stride + t];
    if (Number.isNaN(v)) return NaN;
    flat.push(r * steps + t);
  }
  const value = (i: number): number => l[losses.offset + Math.floor(i / steps) * losses.stride + (i % steps)];
  flat.sort((a, b) => value(a) - value(b) || a - b);
  let sum = 0;
  for (let q = 0; q < total; q++) {
    const i = flat[q];
    rc[rowCounts.offset + Math.floor(i / steps) * step]++;
    sum += value(i);
  }
  return sum;
}
