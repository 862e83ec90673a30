// Validation of the transformer kernels (rmsNorm, rotary, softmaxRows, siluGate, gather,
// crossEntropy): each checks its operands once (live matrices, shapes, dtypes, aliasing, ranges)
// and makes one backend call. An output may be one of its inputs exactly (the same window), which
// the kernels handle element by element, but never a partial overlap.
import { checkFinite, checkFlag, checkInt, rangeError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { KernelBackend } from '../backends/types.js';
import { checkMatrix, checkNoAlias, checkOptions, checkShape, checkStored } from './checks.js';
import { checkVector } from './elementwise.js';

/** Options of la.softmaxRows. */
export interface SoftmaxOptions {
  /** Factor applied to S before the softmax (default 1; attention passes 1/√headDim). */
  scale?: number;
  /** Keep only columns j ≤ r + offset in row r (default false). */
  causal?: boolean;
  /** The causal diagonal's offset (default 0: row r keeps columns 0 … r). */
  offset?: number;
}

/** Throws when output O overlaps input I without being exactly the same window. */
function sameOrApart(fn: string, out: string, O: Matrix<any>, name: string, I: Matrix<any>): void {
  if (O.storage === I.storage && O.offset === I.offset && O.stride === I.stride) return;
  checkNoAlias(fn, out, O, { [name]: I });
}

/** Element k of an int32 vector, read to the host (for an error message only). */
async function element(be: KernelBackend, v: Matrix<'int32'>, k: number): Promise<number> {
  const one = v.rows === 1 ? v.view(0, k, 1, 1) : v.view(k, 0, 1, 1);
  return (await be.read(one))[0];
}

export async function rmsNorm(be: KernelBackend, X: unknown, weight: unknown, eps: unknown, Y: unknown): Promise<void> {
  const fn = 'rmsNorm';
  const x = checkMatrix(fn, 'X', X, null);
  const w = checkMatrix(fn, 'weight', weight, x.dtype);
  checkVector(fn, 'weight', w, x.cols);
  const e = checkFinite(fn, 'eps', eps);
  if (!(e >= 0)) throw rangeError(fn, 'eps', e, 'a number >= 0');
  const y = checkMatrix(fn, 'Y', Y, x.dtype);
  checkShape(fn, 'Y', y, x.rows, x.cols, "X's shape");
  sameOrApart(fn, 'Y', y, 'X', x);
  checkNoAlias(fn, 'Y', y, { weight: w });
  if (x.size > 0) await be.rmsNorm(x, w, e, y);
}

export async function rotary(be: KernelBackend, X: unknown, headDim: unknown, theta: unknown, positions: unknown): Promise<void> {
  const fn = 'rotary';
  const x = checkMatrix(fn, 'X', X, null);
  const d = checkInt(fn, 'headDim', headDim, 2);
  if (d % 2 !== 0) throw rangeError(fn, 'headDim', d, 'an even integer');
  if (x.cols % d !== 0) throw rangeError(fn, 'X', x, `a multiple of headDim = ${d} columns (heads · headDim)`);
  const t = checkFinite(fn, 'theta', theta);
  if (!(t > 0)) throw rangeError(fn, 'theta', t, 'a number > 0');
  let start = 0, p: Matrix<'int32'> | null = null;
  if (typeof positions === 'number') start = checkInt(fn, 'positions', positions, 0, 2 ** 31 - 1 - x.rows);
  else {
    p = checkStored(fn, 'positions', positions, 'int32');
    checkVector(fn, 'positions', p, x.rows);
  }
  if (x.size > 0) await be.rotary(x, d, t, start, p);
}

export async function softmaxRows(be: KernelBackend, S: unknown, options: unknown): Promise<void> {
  const fn = 'softmaxRows';
  const s = checkMatrix(fn, 'S', S, null);
  const o = checkOptions<SoftmaxOptions>(fn, options);
  const scale = o.scale === undefined ? 1 : checkFinite(fn, 'options.scale', o.scale);
  const causal = checkFlag(fn, 'options.causal', o.causal);
  const offset = o.offset === undefined ? 0 : checkInt(fn, 'options.offset', o.offset, -(2 ** 31), 2 ** 31 - 1 - s.rows);
  if (o.offset !== undefined && !causal) throw rangeError(fn, 'options.offset', o.offset, 'given only with options.causal = true');
  if (s.size > 0) await be.softmaxRows(s, scale, causal, offset);
}

export async function siluGate(be: KernelBackend, G: unknown, U: unknown, Y: unknown): Promise<void> {
  const fn = 'siluGate';
  const g = checkMatrix(fn, 'G', G, null);
  const u = checkMatrix(fn, 'U', U, g.dtype);
  checkShape(fn, 'U', u, g.rows, g.cols, "G's shape");
  const y = checkMatrix(fn, 'Y', Y, g.dtype);
  checkShape(fn, 'Y', y, g.rows, g.cols, "G's shape");
  sameOrApart(fn, 'Y', y, 'G', g);
  sameOrApart(fn, 'Y', y, 'U', u);
  if (g.size > 0) await be.siluGate(g, u, y);
}

export async function gather(be: KernelBackend, E: unknown, ids: unknown, Y: unknown): Promise<void> {
  const fn = 'gather';
  const e = checkMatrix(fn, 'E', E, null);
  const i = checkStored(fn, 'ids', ids, 'int32');
  if (i.rows !== 1 && i.cols !== 1) throw rangeError(fn, 'ids', i, 'an int32 vector (1 x n or n x 1)');
  const n = i.size;
  const y = checkMatrix(fn, 'Y', Y, e.dtype);
  checkShape(fn, 'Y', y, n, e.cols, `one row of E (${e.cols} columns) per id`);
  checkNoAlias(fn, 'Y', y, { E: e });
  if (n === 0 || e.cols === 0) return;
  const bad = await be.gather(e, i, y);
  if (bad >= 0) throw rangeError(fn, `ids[${bad}]`, await element(be, i, bad), `a row index of E in [0, ${e.rows})`);
}

export async function crossEntropy(be: KernelBackend, logits: unknown, targets: unknown): Promise<number> {
  const fn = 'crossEntropy';
  const l = checkMatrix(fn, 'logits', logits, null);
  const t = checkStored(fn, 'targets', targets, 'int32');
  checkVector(fn, 'targets', t, l.rows);
  if (l.rows === 0) return 0;
  if (l.cols === 0) throw rangeError(fn, 'logits', l, 'at least one column (class)');
  const { sum, invalid } = await be.crossEntropy(l, t);
  if (invalid >= 0) throw rangeError(fn, `targets[${invalid}]`, await element(be, t, invalid), `a class index in [0, ${l.cols})`);
  return sum;
}

