import type { Matrix } from '../../core/matrix.js';

/** Hinv ← Hinv − Hinv[:,p] Hinv[p,:] / Hinv[p,p] in float64, then row and column p set to 0. */
export function downdate(Hinv: Matrix, p: number): void {
  const n = Hinv.rows, a = Hinv.data, o = Hinv.offset, ld = Hinv.stride;
  const d = a[o + p * ld + p];
  const r = Float64Array.from({ length: n }, (_, j) => a[o + p * ld + j]);
  for (let i = 0; i < n; i++) {
    const f = a[o + i * ld + p] / d;
    for (let j = 0; j < n; j++) a[o + i * ld + j] -= f * r[j];
  }
  for (let i = 0; i < n; i++) {
    a[o + i * ld + p] = 0;
    a[o + p * ld + i] = 0;
  }
}
