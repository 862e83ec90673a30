import type { Matrix } from '../../core/matrix.js';
import { cholesky, lowerInverse, readSquare, writeBack } from './dense.js';

/** A := A⁻¹ = L⁻ᵀ L⁻¹ in float64 via Cholesky (lower read, full symmetric written); returns info. */
export function potri(A: Matrix): number {
  const n = A.rows, a = readSquare(A, true);
  const info = cholesky(a, n);
  if (info !== 0) return info;
  const m = lowerInverse(a, n), out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = i; p < n; p++) s += m[p * n + i] * m[p * n + j];
      out[i * n + j] = out[j * n + i] = s;
    }
  }
  writeBack(A, out);
  return 0;
}
