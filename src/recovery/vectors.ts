// Small helpers for the length-d vectors of the recovery methods. A vector lives in backend
// storage as a d x 1 column (what gemm and trsv take); the kernels that work row by row (selectMask,
// obsGreedy, solveOnSupport) see the same storage as a 1 x d row. The only host traffic is
// `la.read` of a whole vector where a caller's function needs it, and `la.write` of its answer.
import type { DType } from '../core/dtype.js';
import { rangeError, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';

/**
 * The 1 x n row over the storage of a contiguous vector (n x 1 or 1 x n): a view that shares the
 * storage and owns nothing (freeing the vector frees it).
 * @example
 * const x = la.fromArray([1, 2, 3], 3, 1);
 * await la.read(asRow(x));   // Float32Array [1, 2, 3], as a 1 x 3 matrix
 */
export function asRow<D extends DType>(v: Matrix<D>): Matrix<D> {
  if (v.rows === 1) return v;
  if (v.cols !== 1 || v.stride !== 1) throw rangeError('asRow', 'v', v, 'a contiguous vector (n x 1 with stride 1, or 1 x n)');
  return new Matrix(v.storage, v.dtype, 1, v.rows, v.rows, v.offset, v.parent ?? v);
}

/**
 * The n x 1 column over the storage of a contiguous vector (1 x n or n x 1); a view as asRow.
 * @example
 * const y = la.fromArray([1, 2], 1, 2);
 * asColumn(y).rows;   // 2
 */
export function asColumn<D extends DType>(v: Matrix<D>): Matrix<D> {
  if (v.cols === 1) return v;
  if (v.rows !== 1) throw rangeError('asColumn', 'v', v, 'a vector (1 x n or n x 1)');
  return new Matrix(v.storage, v.dtype, v.cols, 1, 1, v.offset, v.parent ?? v);
}

/**
 * The values of a vector as a Float64Array: one read of its d values (the sync point where a
 * caller's function needs them).
 * @example
 * await hostVector(la, la.fromArray([0.5, 2], 2, 1));   // Float64Array [0.5, 2]
 */
export async function hostVector(la: Linalg, v: Matrix): Promise<Float64Array> {
  const values = await la.read(v);
  return values instanceof Float64Array ? values : Float64Array.from(values);
}

/**
 * Throws unless v is a live d x 1 matrix of the given dtype (the vectors problem methods take).
 * @example
 * checkColumn('evaluate', 'theta', la.matrix(3, 1, 'float64'), 3, 'float64');   // passes
 */
export function checkColumn(fn: string, arg: string, v: unknown, d: number, dtype: DType): Matrix {
  if (!(v instanceof Matrix)) throw typeError(fn, arg, v, `a ${d} x 1 ${dtype} Matrix`);
  if (v.freed) throw rangeError(fn, arg, v, 'a matrix that has not been freed');
  if (v.dtype !== dtype) throw typeError(fn, arg, v, `a ${dtype} matrix (the problem's dtype)`);
  if (v.rows !== d || v.cols !== 1 || v.stride !== 1) throw rangeError(fn, arg, v, `a contiguous ${d} x 1 column vector`);
  return v as Matrix;
}

/**
 * [i, j, value] of the first non-finite entry of M (row-major order), or null: the position
 * from one kernel call, the value from a one-element read.
 * @example
 * await firstBad(la, la.fromArray([1, Infinity], 1, 2));   // [0, 1, Infinity]
 */
export async function firstBad(la: Linalg, M: Matrix): Promise<[number, number, number] | null> {
  const at = await la.firstNonFinite(M);
  if (at === null) return null;
  const [value] = await la.read(M.view(at[0], at[1], 1, 1));
  return [at[0], at[1], value];
}

/** max |u_i| of a vector: one topk and a one-element read. */
async function maxAbs(la: Linalg, u: Matrix): Promise<number> {
  const [i] = await la.topk(u, 1);
  const [m] = await la.read(u.rows === 1 ? u.view(0, i, 1, 1) : u.view(i, 0, 1, 1));
  return Math.abs(m);
}

/** The power of two 2^-e with m·2^-e in [1, 2) (e clamped so that it is a normal float64). */
function inversePowerOfTwo(m: number): number {
  return 2 ** Math.max(-1022, Math.min(1022, -Math.floor(Math.log2(m))));
}

/**
 * A power of two s that brings max|u_i| of a float64 vector near 1 (1 when it already lies within
 * 2^±64, for float32 vectors, and for u = 0). selectMask ranks the float64 squares u_i²·w_j: far
 * from 1 they underflow to equal zeros (ranked by index instead of size) or overflow to Infinity,
 * and scaling by s first, which is exact and keeps every order, avoids that (float32 values square
 * exactly in float64). One topk and a one-element read.
 * @example
 * await unitScale(la, la.fromArray([3e-200, -1e-199], 2, 1, 'float64'));   // 2 ** 662
 */
export async function unitScale(la: Linalg, u: Matrix): Promise<number> {
  if (u.dtype !== 'float64') return 1;
  const m = await maxAbs(la, u);
  if (m === 0 || (m >= 2 ** -64 && m < 2 ** 64)) return 1;
  return inversePowerOfTwo(m);
}

/**
 * ‖x‖₂: one dot (float64 accumulation) and one read; only when the sum of squares leaves the safe
 * range of float64 (x below ~1e-145 or above ~1e144, so that squares underflow or overflow) is x
 * scaled by a power of two into scratch (x's shape and dtype) and the dot repeated.
 * @example
 * await norm(la, la.fromArray([3e-300, 4e-300], 2, 1, 'float64'), la.matrix(2, 1, 'float64'));   // 5e-300
 */
export async function norm(la: Linalg, x: Matrix, scratch: Matrix): Promise<number> {
  const s2 = await la.dot(x, x);
  if ((s2 > 2 ** -960 && s2 < 2 ** 960) || Number.isNaN(s2) || x.dtype !== 'float64') return Math.sqrt(s2);
  const m = await maxAbs(la, x);
  if (m === 0 || !Number.isFinite(m)) return m;
  const s = inversePowerOfTwo(m);
  await la.axpby(s, x, 0, scratch);
  return Math.sqrt(await la.dot(scratch, scratch)) / s;
}
