// Validation shared by the public kernel functions.
import type { DType, StorageDType } from '../core/dtype.js';
import { rangeError, show, typeError } from '../core/errors.js';
import { Matrix } from '../core/matrix.js';

/**
 * Throws unless M is a live Matrix of the given compute dtype (null: float32 or float64, as the
 * dtype-generic entries take); returns it typed.
 */
export function checkMatrix<D extends DType>(fn: string, arg: string, M: unknown, dtype: D | null): Matrix<D> {
  if (!(M instanceof Matrix)) throw typeError(fn, arg, M, 'a Matrix');
  if (M.storage.released) throw rangeError(fn, arg, M, 'a matrix that has not been freed');
  if (dtype === null) {
    if (M.dtype !== 'float32' && M.dtype !== 'float64') throw typeError(fn, arg, M, `a float32 or float64 matrix (convert ${M.dtype} with la.convert first)`);
  } else if (M.dtype !== dtype) {
    throw typeError(fn, arg, M, `a ${dtype} matrix (${fn} is the ${dtype} kernel)`);
  }
  return M as Matrix<D>;
}

/** Throws unless M is a live matrix of exactly `dtype` (any storage dtype: masks, counts). */
export function checkStored<D extends StorageDType>(fn: string, arg: string, M: unknown, dtype: D): Matrix<D> {
  if (!(M instanceof Matrix)) throw typeError(fn, arg, M, `a ${dtype} Matrix`);
  if (M.storage.released) throw rangeError(fn, arg, M, 'a matrix that has not been freed');
  if (M.dtype !== dtype) throw typeError(fn, arg, M, `a ${dtype} matrix`);
  return M as Matrix<D>;
}

/** Throws unless M's rows are adjacent in storage (what the OBS kernels need of masks and state). */
export function checkContiguous(fn: string, arg: string, M: Matrix<any>): void {
  if (!M.contiguous) throw rangeError(fn, arg, `a view with stride ${M.stride}`, `a contiguous ${M.rows}x${M.cols} matrix (stride ${M.cols})`);
}

/** Throws unless M is square. */
export function checkSquare(fn: string, arg: string, M: Matrix<any>): void {
  if (M.rows !== M.cols) throw rangeError(fn, arg, M, 'a square matrix');
}

/** Throws unless M has exactly rows x cols. */
export function checkShape(fn: string, arg: string, M: Matrix<any>, rows: number, cols: number, why: string): void {
  if (M.rows !== rows || M.cols !== cols) throw rangeError(fn, arg, M, `${rows}x${cols} (${why})`);
}

/** Throws if an output matrix shares storage with an input it must not overlap. */
export function checkNoAlias(fn: string, out: string, O: Matrix<any>, inputs: Record<string, Matrix<any> | null>): void {
  for (const [name, M] of Object.entries(inputs)) {
    if (M && M.storage === O.storage && overlaps(M, O)) {
      throw rangeError(fn, out, O, `not to overlap input ${name} (${show(M)})`);
    }
  }
}

function span(M: Matrix<any>): [number, number] {
  return [M.offset, M.offset + (M.rows - 1) * M.stride + M.cols];
}

function overlaps(a: Matrix<any>, b: Matrix<any>): boolean {
  if (a.size === 0 || b.size === 0) return false;
  const [a0, a1] = span(a), [b0, b1] = span(b);
  return a0 < b1 && b0 < a1;
}

/** Reads an optional options object, rejecting anything but a plain object. */
export function checkOptions<T extends object>(fn: string, options: unknown): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw typeError(fn, 'options', options, 'an object');
  }
  return options as Partial<T>;
}

/** Throws unless x is undefined (giving `fallback`) or one of `choices`. */
export function checkChoice<C extends string>(fn: string, arg: string, x: unknown, choices: readonly C[], fallback: C): C {
  if (x === undefined) return fallback;
  if (typeof x !== 'string' || !(choices as readonly string[]).includes(x)) {
    throw (typeof x === 'string' ? rangeError : typeError)(fn, arg, x, choices.map((c) => `'${c}'`).join(' or '));
  }
  return x as C;
}
