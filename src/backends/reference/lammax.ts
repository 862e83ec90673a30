import type { Matrix } from '../../core/matrix.js';
import type { LammaxResult } from '../types.js';

/** Element i of the start vector for a seed; the same numbers as startValue in assembly/lapack/lammax.ts. */
export function startValue(seed: number, i: number): number {
  let h = (Math.imul(seed, 0x9e3779b9) + Math.imul(i, 0x85ebca6b) + 0x6a09e667) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 2147483648 - 1;
}

/** λ_max by power iteration in float64: the same iteration and stopping rule as the Wasm kernel. */
export function lammax(A: Matrix, maxIterations: number, tolerance: number, seed: number): LammaxResult {
  const n = A.rows, a = A.data;
  if (n === 0) return { value: 0, iterations: 0, converged: true };
  let v = new Float64Array(n), w = new Float64Array(n);
  let nrm = 0;
  for (let i = 0; i < n; i++) {
    v[i] = startValue(seed >>> 0, i);
    nrm += v[i] * v[i];
  }
  nrm = Math.sqrt(nrm);
  for (let i = 0; i < n; i++) v[i] /= nrm;
  let value = 0, prev = 0, iterations = 0;
  while (iterations < maxIterations) {
    for (let i = 0; i < n; i++) {
      const o = A.offset + i * A.stride;
      let s = 0;
      for (let j = 0; j < n; j++) s += a[o + j] * v[j];
      w[i] = s;
    }
    iterations++;
    let rq = 0, ww = 0;
    for (let i = 0; i < n; i++) {
      rq += v[i] * w[i];
      ww += w[i] * w[i];
    }
    value = rq;
    if (!Number.isFinite(rq) || !Number.isFinite(ww)) break;
    if (ww === 0) return { value: 0, iterations, converged: true };
    const inv = 1 / Math.sqrt(ww);
    for (let i = 0; i < n; i++) w[i] *= inv;
    [v, w] = [w, v];
    if (iterations > 1 && Math.abs(value - prev) <= tolerance * Math.abs(value)) return { value, iterations, converged: true };
    prev = value;
  }
  return { value, iterations, converged: false };
}
