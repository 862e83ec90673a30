// Validation of the elementwise, reduction and mask kernels: each checks its operands once (live
// matrices, shapes, dtypes, aliasing) and makes one backend call.
import type { DType, StorageDType } from '../core/dtype.js';
import { isFloatDType } from '../core/dtype.js';
import { checkFinite, checkInt, rangeError, typeError } from '../core/errors.js';
import { type Mask, Matrix } from '../core/matrix.js';
import type { KernelBackend } from '../backends/types.js';
import { checkContiguous, checkMatrix, checkNoAlias, checkShape, checkSquare, checkStored } from './checks.js';

/** Any live matrix, of any storage dtype. */
export function checkAny(fn: string, arg: string, M: unknown): Matrix<StorageDType> {
  if (!(M instanceof Matrix)) throw typeError(fn, arg, M, 'a Matrix');
  if (M.storage.released) throw rangeError(fn, arg, M, 'a matrix that has not been freed');
  return M as Matrix<StorageDType>;
}

/** A keep-mask of the given shape. */
export function checkMask(fn: string, arg: string, M: unknown, rows: number, cols: number, contiguous = false): Mask {
  const m = checkStored(fn, arg, M, 'uint8');
  checkShape(fn, arg, m, rows, cols, 'one byte per weight');
  if (contiguous) checkContiguous(fn, arg, m);
  return m;
}

/** A vector (1 x n or n x 1) of n elements. */
export function checkVector(fn: string, arg: string, M: Matrix<any>, n: number): void {
  if (!((M.rows === 1 && M.cols === n) || (M.cols === 1 && M.rows === n))) throw rangeError(fn, arg, M, `a vector of ${n} elements (1 x ${n} or ${n} x 1)`);
}

export async function copy(be: KernelBackend, A: unknown, B: unknown): Promise<void> {
  const fn = 'copy';
  const a = checkAny(fn, 'A', A), b = checkAny(fn, 'B', B);
  checkShape(fn, 'B', b, a.rows, a.cols, "A's shape");
  if (a.dtype !== b.dtype && !(isFloatDType(a.dtype) && isFloatDType(b.dtype))) {
    throw typeError(fn, 'B', b, `a ${a.dtype} matrix (only float dtypes convert into one another)`);
  }
  checkNoAlias(fn, 'B', b, { A: a });
  if (a.size > 0) await be.copy(a, b);
}

export async function fill(be: KernelBackend, A: unknown, value: unknown): Promise<void> {
  const fn = 'fill';
  const a = checkAny(fn, 'A', A);
  if (typeof value !== 'number') throw typeError(fn, 'value', value, 'a number');
  if (a.dtype === 'uint8' && !(Number.isInteger(value) && value >= 0 && value <= 255)) throw rangeError(fn, 'value', value, 'an integer in [0, 255] for a uint8 matrix');
  if (a.dtype === 'int32' && !(Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1)) throw rangeError(fn, 'value', value, 'a 32-bit integer for an int32 matrix');
  if (a.size > 0) await be.fill(a, value);
}

export async function addDiagonal(be: KernelBackend, A: unknown, alpha: unknown): Promise<void> {
  const a = checkMatrix('addDiagonal', 'A', A, null);
  const v = checkFinite('addDiagonal', 'alpha', alpha);
  if (a.size > 0) await be.addDiagonal(a, v);
}

export async function diagonal(be: KernelBackend, A: unknown, x: unknown, op: unknown): Promise<void> {
  const fn = 'diagonal';
  const a = checkMatrix(fn, 'A', A, null);
  const v = checkMatrix(fn, 'x', x, null);
  checkVector(fn, 'x', v, Math.min(a.rows, a.cols));
  if (op !== 'copy' && op !== 'reciprocal') throw rangeError(fn, 'op', op, "'copy' or 'reciprocal'");
  checkNoAlias(fn, 'x', v, { A: a });
  if (v.size > 0) await be.diagonal(a, v, op);
}

export async function deadInputs(be: KernelBackend, H: unknown, dead: unknown): Promise<number> {
  const fn = 'deadInputs';
  const h = checkMatrix(fn, 'H', H, null);
  checkSquare(fn, 'H', h);
  const d = checkMask(fn, 'dead', dead, 1, h.rows);
  return h.rows === 0 ? 0 : await be.deadInputs(h, d);
}

export async function zeroColumns(be: KernelBackend, A: unknown, cols: unknown): Promise<void> {
  const fn = 'zeroColumns';
  const a = checkMatrix(fn, 'A', A, null);
  const c = checkMask(fn, 'cols', cols, 1, a.cols);
  if (a.size > 0) await be.zeroColumns(a, c);
}

export async function gramDiagonal(be: KernelBackend, A: unknown, x: unknown, op: unknown): Promise<void> {
  const fn = 'gramDiagonal';
  const a = checkMatrix(fn, 'A', A, null);
  const v = checkMatrix(fn, 'x', x, a.dtype);
  checkVector(fn, 'x', v, a.cols);
  if (op !== 'copy' && op !== 'reciprocal') throw rangeError(fn, 'op', op, "'copy' or 'reciprocal'");
  checkNoAlias(fn, 'x', v, { A: a });
  if (v.size > 0) await be.gramDiagonal(a, v, op);
}

export async function scaleRows(be: KernelBackend, A: unknown, x: unknown): Promise<void> {
  const fn = 'scaleRows';
  const a = checkMatrix(fn, 'A', A, null);
  const v = checkMatrix(fn, 'x', x, a.dtype);
  checkVector(fn, 'x', v, a.rows);
  checkNoAlias(fn, 'x', v, { A: a });
  if (a.size > 0) await be.scaleRows(a, v);
}

export async function axpby(be: KernelBackend, alpha: unknown, X: unknown, beta: unknown, Y: unknown): Promise<void> {
  const fn = 'axpby';
  const a = checkFinite(fn, 'alpha', alpha), b = checkFinite(fn, 'beta', beta);
  const x = checkMatrix(fn, 'X', X, null);
  const y = checkMatrix(fn, 'Y', Y, x.dtype);
  checkShape(fn, 'Y', y, x.rows, x.cols, "X's shape");
  if (x.storage === y.storage && !(x.offset === y.offset && x.stride === y.stride)) checkNoAlias(fn, 'Y', y, { X: x });
  if (x.size > 0) await be.axpby(a, x, b, y);
}

export async function applyMask(be: KernelBackend, A: unknown, mask: unknown): Promise<void> {
  const a = checkMatrix('applyMask', 'A', A, null);
  const m = checkMask('applyMask', 'mask', mask, a.rows, a.cols);
  if (a.size > 0) await be.applyMask(a, m);
}

/** [i, j] of the first NaN or ±Inf of A, or null. */
export async function firstNonFinite(be: KernelBackend, A: unknown): Promise<[number, number] | null> {
  const a = checkMatrix('firstNonFinite', 'A', A, null);
  if (a.size === 0) return null;
  const at = await be.firstNonFinite(a);
  return at < 0 ? null : [Math.floor(at / a.cols), at % a.cols];
}

export async function dot(be: KernelBackend, A: unknown, B: unknown): Promise<number> {
  const a = checkMatrix('dot', 'A', A, null);
  const b = checkMatrix('dot', 'B', B, null);
  checkShape('dot', 'B', b, a.rows, a.cols, "A's shape");
  return a.size === 0 ? 0 : await be.dot(a, b);
}

export async function objective(be: KernelBackend, W: unknown, X: unknown, H: unknown): Promise<number> {
  const fn = 'objective';
  const w = checkMatrix(fn, 'W', W, null);
  const x = X === null ? null : checkMatrix(fn, 'X', X, w.dtype);
  if (x) checkShape(fn, 'X', x, w.rows, w.cols, "W's shape");
  const h = checkMatrix<'float64'>(fn, 'H', H, 'float64');
  checkShape(fn, 'H', h, w.cols, w.cols, `the ${w.cols} x ${w.cols} Hessian of W's inputs, in float64`);
  return w.size === 0 ? 0 : await be.objective(w, x, h);
}

/** [i, j] (i > j) of the first pair where H is not symmetric within tolerance, or null. */
export async function symmetryViolation(be: KernelBackend, H: unknown, tolerance: unknown): Promise<[number, number] | null> {
  const fn = 'symmetryViolation';
  const h = checkMatrix(fn, 'H', H, null);
  checkSquare(fn, 'H', h);
  const t = checkFinite(fn, 'tolerance', tolerance);
  if (!(t >= 0)) throw rangeError(fn, 'tolerance', t, 'a number >= 0');
  if (h.rows < 2) return null;
  const at = await be.symmetryViolation(h, t);
  return at < 0 ? null : [Math.floor(at / h.rows), at % h.rows];
}

export async function maskCounts(be: KernelBackend, mask: unknown, groupSize: unknown, rowCounts: unknown): Promise<number> {
  const fn = 'maskCounts';
  const m = checkAny(fn, 'mask', mask);
  if (m.dtype !== 'uint8') throw typeError(fn, 'mask', m, 'a uint8 keep-mask');
  const g = checkInt(fn, 'groupSize', groupSize, 0, m.cols);
  if (g > 0 && m.cols % g !== 0) throw rangeError(fn, 'groupSize', g, `a divisor of the mask's ${m.cols} columns`);
  const c = checkStored(fn, 'rowCounts', rowCounts, 'int32');
  checkVector(fn, 'rowCounts', c, m.rows);
  return m.size === 0 ? 0 : await be.maskCounts(m as Mask, g, c);
}

export async function maskDifference(be: KernelBackend, a: unknown, b: unknown): Promise<number> {
  const x = checkStored('maskDifference', 'a', a, 'uint8');
  const y = checkMask('maskDifference', 'b', b, x.rows, x.cols);
  return x.size === 0 ? 0 : await be.maskDifference(x, y);
}

/** [i, j] of the first pruned (mask 0) entry of W that is not 0, or null. */
export async function maskViolation(be: KernelBackend, W: unknown, mask: unknown): Promise<[number, number] | null> {
  const w = checkMatrix('maskViolation', 'W', W, null);
  const m = checkMask('maskViolation', 'mask', mask, w.rows, w.cols);
  if (w.size === 0) return null;
  const at = await be.maskViolation(w, m);
  return at < 0 ? null : [Math.floor(at / w.cols), at % w.cols];
}

export async function obcAllocate(be: KernelBackend, losses: unknown, total: unknown, rowCounts: unknown): Promise<number> {
  const fn = 'obcAllocate';
  const l = checkMatrix<'float64'>(fn, 'losses', losses, 'float64');
  const t = checkInt(fn, 'total', total, 0, l.size);
  const c = checkStored(fn, 'rowCounts', rowCounts, 'int32');
  checkVector(fn, 'rowCounts', c, l.rows);
  return await be.obcAllocate(l, t, c);
}

export type { DType };
