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

/** The layer objective X ↦ tr((W − X) H (W − X)ᵀ); free() releases its float64 copies. */
export interface LayerObjective {
  /** tr((W − X) H (W − X)ᵀ) for X rows x cols; null gives tr(W H Wᵀ). */
  value(X: Matrix | null): number;
  free(): void;
}

/**
 * The objective every pruner is judged by, evaluated in float64: W and H are copied to float64
 * once, and each value is one dgemm (W − X)·H and a float64 sum of (W − X) ∘ ((W − X)·H), so two
 * weights are ranked the same way whatever their dtype. Pass the undamped H.
 */
export function layerObjective(la: Linalg, W: Matrix, H: Matrix): LayerObjective {
  const rows = W.rows, c = W.cols, w = W.toArray();
  const Hd = la.matrix(c, c, 'float64').assign(H.toArray());
  const D = la.matrix(rows, c, 'float64'), P = la.matrix(rows, c, 'float64');
  const delta = new Float64Array(rows * c);
  return {
    value(X) {
      const x = X?.toArray();
      for (let i = 0; i < delta.length; i++) delta[i] = x ? w[i] - x[i] : w[i];
      D.assign(delta);
      la.dgemm(D, Hd, P);
      const p = P.toArray();
      let s = 0;
      for (let i = 0; i < delta.length; i++) s += delta[i] * p[i];
      return s;
    },
    free() {
      Hd.free();
      D.free();
      P.free();
    },
  };
}

/**
 * tr((W−Ŵ) H (W−Ŵ)ᵀ) / tr(W H Wᵀ) in float64 (layerObjective). Pass the undamped H. Returns 0
 * when W H Wᵀ has zero trace and Ŵ = W.
 */
export function relativeError(la: Linalg, W: Matrix, What: Matrix, H: Matrix): number {
  const objective = layerObjective(la, W, H);
  try {
    const num = objective.value(What), den = objective.value(null);
    return den > 0 ? num / den : num === 0 ? 0 : Infinity;
  } finally {
    objective.free();
  }
}
