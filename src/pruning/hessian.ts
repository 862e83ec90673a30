// The numerics every OBS pruner shares (ALGORITHMS.md §2): dead inputs, relative damping with
// retries, and the relative reconstruction error that every result reports.
import { rangeError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';

/** Default relative damping λ: H + λ·mean(diag H)·I. */
export const DEFAULT_DAMP = 0.01;
/** How many times λ is multiplied by 10 when the factorisation fails before giving up. */
export const DAMP_RETRIES = 6;

/** Indices j with H[j, j] = 0: inputs that were never active. */
export function deadInputs(H: Matrix): Int32Array {
  const out: number[] = [];
  for (let j = 0; j < H.rows; j++) if (H.get(j, j) === 0) out.push(j);
  return Int32Array.from(out);
}

/**
 * A copy of H (in la's memory, same dtype) with dead inputs' diagonals set to 1 — the caller
 * zeroes those columns of W — and the mean of the diagonal after that fix.
 */
export function withDeadInputs<D extends Matrix['dtype']>(la: Linalg, H: Matrix<D>, dead: Int32Array): { H: Matrix<D>; meanDiag: number } {
  const C = la.copy(H);
  for (const j of dead) C.set(j, j, 1);
  let s = 0;
  for (let j = 0; j < C.rows; j++) s += C.get(j, j);
  return { H: C, meanDiag: C.rows ? s / C.rows : 0 };
}

/** What factorDamped makes of H + λ·mean(diag H)·I. */
export type DampedKind = 'cholesky' | 'inverse' | 'invchol' | 'damped';

/**
 * Damps H (already fixed for dead inputs) by λ·meanDiag on the diagonal and factors it:
 * 'cholesky' gives L (lower, H = LLᵀ), 'inverse' H⁻¹ (both triangles), 'invchol' the upper U with
 * H⁻¹ = UᵀU (SparseGPT's "Hinv"), 'damped' the damped matrix itself after checking that it
 * factors. When the factorisation fails λ is multiplied by 10, up to DAMP_RETRIES times; the λ
 * that worked is returned as dampUsed. H is not modified.
 */
export function factorDamped<D extends Matrix['dtype']>(
  la: Linalg, H: Matrix<D>, meanDiag: number, damp: number, kind: DampedKind, fn = 'prune',
): { M: Matrix<D>; dampUsed: number } {
  let lambda = damp;
  for (let attempt = 0; attempt <= DAMP_RETRIES; attempt++, lambda *= 10) {
    const M = la.copy(H);
    const add = lambda * meanDiag;
    for (let j = 0; j < M.rows; j++) M.set(j, j, M.get(j, j) + add);
    const be = la.backend;
    let info: number;
    if (kind === 'cholesky') info = be.potrf(M);
    else if (kind === 'inverse') info = be.potri(M);
    else if (kind === 'invchol') info = be.invchol(M);
    else {
      const T = la.copy(M);
      info = be.potrf(T);
      T.free();
    }
    if (info === 0 && finite(M)) return { M, dampUsed: lambda };
    M.free();
  }
  throw rangeError(fn, 'damp', damp, `a damping under which H + λ·mean(diag H)·I factors (tried up to λ = ${lambda / 10}); H is not positive semidefinite or holds non-finite values`);
}

function finite(M: Matrix): boolean {
  const a = M.toArray();
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/**
 * tr((W−Ŵ) H (W−Ŵ)ᵀ) / tr(W H Wᵀ), accumulated in float64 from a float64 product Δ·H. Pass the
 * undamped H. Returns 0 when W H Wᵀ has zero trace and Ŵ = W.
 */
export function relativeError(la: Linalg, W: Matrix, What: Matrix, H: Matrix): number {
  const rows = W.rows, c = W.cols;
  const D = la.matrix(rows, c, 'float64'), Wd = la.matrix(rows, c, 'float64'), Hd = la.matrix(c, c, 'float64');
  try {
    const w = W.toArray(), wh = What.toArray();
    const delta = new Float64Array(rows * c);
    for (let i = 0; i < delta.length; i++) delta[i] = w[i] - wh[i];
    D.assign(delta);
    Wd.assign(w);
    Hd.assign(H.toArray());
    const P = la.matrix(rows, c, 'float64');
    try {
      const quad = (X: Matrix<'float64'>): number => {
        la.dgemm(X, Hd, P);
        const x = X.toArray(), p = P.toArray();
        let s = 0;
        for (let i = 0; i < x.length; i++) s += x[i] * p[i];
        return s;
      };
      const num = quad(D), den = quad(Wd);
      return den > 0 ? num / den : num === 0 ? 0 : Infinity;
    } finally {
      P.free();
    }
  } finally {
    D.free();
    Wd.free();
    Hd.free();
  }
}
