// Ownership of temporaries: a Scope collects the matrices a computation allocates and frees them
// all at once, on success and on error alike; what the computation hands to its caller is kept
// (taken out of the scope) explicitly.
import type { StorageDType } from '../core/dtype.js';
import { rangeError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';

/**
 * A set of matrices freed together. `track` adds one (and returns it), `keep` takes one out again
 * (its ownership passes to whoever returns it), `free` frees the rest, once.
 * @example
 * const scope = new Scope();
 * try {
 *   const T = scope.track(la.matrix(n, n));
 *   const out = scope.track(la.matrix(n, n));
 *   await la.gemm(A, T, out);
 *   return scope.keep(out);            // the caller frees out
 * } finally {
 *   scope.free();                      // T is freed, also when gemm threw
 * }
 */
export class Scope {
  private readonly owned = new Set<Matrix<StorageDType>>();
  private closed = false;

  /** Adds M (a matrix that owns its storage) to the scope; returns M. */
  track<M extends Matrix<any>>(M: M): M {
    if (this.closed) throw rangeError('Scope.track', 'this', 'a freed scope', 'a scope that is still open');
    if (!M.owner) throw rangeError('Scope.track', 'M', M, 'a matrix that owns its storage (not a view)');
    this.owned.add(M);
    return M;
  }

  /** Takes M out of the scope: it outlives the scope and its new owner frees it. Returns M. */
  keep<M extends Matrix<any>>(M: M): M {
    this.owned.delete(M);
    return M;
  }

  /** Frees M now and forgets it. */
  release(M: Matrix<any>): void {
    if (this.owned.delete(M)) M.free();
  }

  /** Matrices the scope still owns. */
  get size(): number {
    return this.owned.size;
  }

  /** Frees every matrix still in the scope; later track calls throw. */
  free(): void {
    this.closed = true;
    for (const M of this.owned) if (!M.freed) M.free();
    this.owned.clear();
  }
}

/**
 * Runs body with a fresh Scope and frees it when body settles (resolves or throws).
 * @example
 * const y = await scoped(async (s) => {
 *   const t = s.track(la.matrix(3, 1));
 *   await la.gemm(A, x, t);
 *   return la.dot(t, t);
 * });
 */
export async function scoped<T>(body: (scope: Scope) => Promise<T> | T): Promise<T> {
  const scope = new Scope();
  try {
    return await body(scope);
  } finally {
    scope.free();
  }
}
