// Helpers shared by the triangular-solve and Cholesky cases: placing a matrix inside a larger
// one (a strided view) and checking the frame around it was left alone, SPD and triangular test
// matrices, and plain float64 products for checks that do not go through any backend.
import { check, type CaseContext, expectReject, expectThrow, type Matrix } from './harness.js';
import { Rng } from './random.js';

export type DT = 'float32' | 'float64';
type La = CaseContext['la'];

/** A matrix holding `values`: plain, or a view at (2, 1) inside a larger random matrix. */
export interface Placed {
  M: Matrix;
  /** Checks every element of the enclosing matrix outside the view kept its value. */
  frameIntact(what: string): Promise<void>;
}

/** Places values (through la.write only, so it works on every backend). */
export async function place(la: La, rng: Rng, values: ArrayLike<number>, rows: number, cols: number, dtype: DT, strided: boolean): Promise<Placed> {
  if (!strided) return { M: la.fromArray(values, rows, cols, dtype), async frameIntact() {} };
  const R = rows + 4, C = cols + 3;
  const big = la.fromArray(rng.normals(R * C), R, C, dtype);
  const before = await la.read(big);
  const M = big.view(2, 1, rows, cols);
  la.write(M, values);
  return {
    M,
    async frameIntact(what: string) {
      const after = await la.read(big);
      for (let i = 0; i < R; i++) {
        for (let j = 0; j < C; j++) {
          if (i >= 2 && i < 2 + rows && j >= 1 && j < 1 + cols) continue;
          const k = i * C + j;
          check(Object.is(after[k], before[k]), () => `${what}: element (${i}, ${j}) outside the view changed from ${before[k]} to ${after[k]}`);
        }
      }
    },
  };
}

/** G Gᵀ + shift·I with G n x r standard normal, row-major n x n. */
export function spd(rng: Rng, n: number, r = n, shift = n): Float64Array {
  const g = rng.normals(n * r), a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p < r; p++) s += g[i * r + p] * g[j * r + p];
      a[i * n + j] = a[j * n + i] = s;
    }
    a[i * n + i] += shift;
  }
  return a;
}

/** Copy of a square row-major array with the strict upper (or lower) triangle set to `fill`. */
export function withTriangle(a: ArrayLike<number>, n: number, keep: 'lower' | 'upper', fill: number): Float64Array {
  const out = Float64Array.from(a);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (keep === 'lower' ? j > i : j < i) out[i * n + j] = fill;
  return out;
}

/** The lower triangle mirrored onto the upper one (the symmetric matrix a kernel sees). */
export function symmetrize(a: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) out[i * n + j] = out[j * n + i] = a[i * n + j];
  return out;
}

/** C = op(A) op(B) in float64, A m x k as stored (or transposed), B k x n likewise. */
export function matmul(a: ArrayLike<number>, ar: number, ac: number, ta: boolean, b: ArrayLike<number>, br: number, bc: number, tb: boolean): Float64Array {
  const m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = ta ? a[p * ac + i] : a[i * ac + p];
      if (x === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += x * (tb ? b[j * bc + p] : b[p * bc + j]);
    }
  }
  return c;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** 1-norm (max column sum) of a square row-major array. */
export function norm1(a: ArrayLike<number>, n: number): number {
  let m = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i * n + j]);
    m = Math.max(m, s);
  }
  return m;
}

export { expectReject, expectThrow };
export { Rng };
