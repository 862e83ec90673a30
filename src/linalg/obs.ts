// Validation of the OBS kernels (mask selection, greedy OBS, the re-solve on a support, the
// SparseGPT column loop, masked PCG): shapes, dtypes and the storage of masks, counts and state.
import { checkFinite, checkInt, rangeError, typeError } from '../core/errors.js';
import type { Mask, Matrix } from '../core/matrix.js';
import type { ExchangeTrajectories, KernelBackend, MaskRule } from '../backends/types.js';
import { checkContiguous, checkMatrix, checkShape, checkSquare, checkStored } from './checks.js';
import { checkMask, checkVector } from './elementwise.js';

/** Throws unless rule is a MaskRule that fits a rows x cols matrix. */
export function checkRule(fn: string, rule: unknown, rows: number, cols: number): MaskRule {
  const r = rule as MaskRule;
  if (typeof r !== 'object' || r === null) throw typeError(fn, 'rule', rule, "a mask rule such as { kind: 'row', keep: 2 }");
  if (r.kind === 'layer') return { kind: 'layer', keep: checkInt(fn, 'rule.keep', r.keep, 0, rows * cols) };
  if (r.kind === 'row') return { kind: 'row', keep: checkInt(fn, 'rule.keep', r.keep, 0, cols) };
  if (r.kind === 'nm') {
    const m = checkInt(fn, 'rule.m', r.m, 1);
    const n = checkInt(fn, 'rule.n', r.n, 0, m);
    if (cols % m !== 0) throw rangeError(fn, 'rule.m', m, `a divisor of the ${cols} columns`);
    return { kind: 'nm', n, m };
  }
  throw rangeError(fn, 'rule.kind', (r as { kind?: unknown }).kind, "'layer', 'row' or 'nm'");
}

export async function selectMask(be: KernelBackend, W: unknown, colWeight: unknown, rule: unknown, mask: unknown): Promise<void> {
  const fn = 'selectMask';
  const w = checkMatrix(fn, 'W', W, null);
  const cw = colWeight === null ? null : checkMatrix(fn, 'colWeight', colWeight, w.dtype);
  if (cw) {
    checkVector(fn, 'colWeight', cw, w.cols);
    if (cw.rows !== 1) checkContiguous(fn, 'colWeight', cw);
  }
  const r = checkRule(fn, rule, w.rows, w.cols);
  const m = checkMask(fn, 'mask', mask, w.rows, w.cols, true);
  if (w.size > 0) await be.selectMask(w, cw, r, m);
}

export interface ObsGreedyOptions {
  /** N:M groups: at most groupPrune removals in each group of groupSize consecutive columns (0: none). */
  groupSize?: number;
  groupPrune?: number;
  /** rows x steps float64 (contiguous), steps ≥ every count: each step's loss. */
  losses?: Matrix<'float64'> | null;
}

export async function obsGreedy(be: KernelBackend, W: unknown, Hinv: unknown, counts: unknown, mask: unknown, options: ObsGreedyOptions = {}): Promise<number> {
  const fn = 'obsGreedy';
  const w = checkMatrix(fn, 'W', W, null);
  const h = checkMatrix(fn, 'Hinv', Hinv, w.dtype);
  checkSquare(fn, 'Hinv', h);
  checkShape(fn, 'Hinv', h, w.cols, w.cols, 'the inverse Hessian of W\'s inputs');
  const c = checkStored(fn, 'counts', counts, 'int32');
  checkVector(fn, 'counts', c, w.rows);
  checkContiguous(fn, 'counts', c);
  const m = checkMask(fn, 'mask', mask, w.rows, w.cols, true);
  const groupSize = checkInt(fn, 'options.groupSize', options.groupSize ?? 0, 0, w.cols);
  if (groupSize > 0 && w.cols % groupSize !== 0) throw rangeError(fn, 'options.groupSize', groupSize, `a divisor of the ${w.cols} columns`);
  const groupPrune = checkInt(fn, 'options.groupPrune', options.groupPrune ?? 0, 0, groupSize);
  const losses = options.losses ?? null;
  if (losses !== null) {
    checkStored(fn, 'options.losses', losses, 'float64');
    checkContiguous(fn, 'options.losses', losses);
    if (losses.rows !== w.rows) throw rangeError(fn, 'options.losses', losses, `${w.rows} rows (one per row of W)`);
  }
  if (w.rows === 0) return -1;
  // The counts bound what the kernel writes (a row of losses per removal): read them, rows numbers.
  const wanted = (await be.read(c)) as Int32Array;
  for (let r = 0; r < wanted.length; r++) {
    // More removals than a row has entries left is the kernel's to report (it returns that row);
    // more than the losses have columns would write past them, so it is refused here.
    const limit = losses ? losses.cols : Infinity;
    if (!(wanted[r] >= 0 && wanted[r] <= limit)) {
      throw rangeError(fn, 'counts', `${wanted[r]} at row ${r}`, `counts in [0, ${limit}] (at most one step loss per column of options.losses)`);
    }
  }
  return await be.obsGreedy(w, h, c, groupSize, groupPrune, m, losses);
}

export interface ObsExchangeOptions {
  /** Swaps only inside groups of this many consecutive columns (N:M patterns); 0 (default): anywhere in the row. */
  groupSize?: number;
  /** Most swaps per row in this call (default cols). */
  maxSwaps?: number;
  /** rows x 1 int32: swaps done per row (written). */
  swaps: Matrix<'int32'>;
  /** The rows' greedy addition and removal trajectories (written), or null (default) for none. */
  trajectories?: ExchangeTrajectories | null;
}

function checkTrajectories(fn: string, t: unknown, rows: number): ExchangeTrajectories {
  if (t === null || typeof t !== 'object') throw typeError(fn, 'options.trajectories', t, '{ addGain, addIndex, removeCost, removeIndex } (rows x steps each) or null');
  const x = t as ExchangeTrajectories;
  const ag = checkStored(fn, 'options.trajectories.addGain', x.addGain, 'float64');
  const steps = ag.cols;
  const parts: [string, Matrix<any>][] = [
    ['addGain', ag],
    ['addIndex', checkStored(fn, 'options.trajectories.addIndex', x.addIndex, 'int32')],
    ['removeCost', checkStored(fn, 'options.trajectories.removeCost', x.removeCost, 'float64')],
    ['removeIndex', checkStored(fn, 'options.trajectories.removeIndex', x.removeIndex, 'int32')],
  ];
  for (const [name, M] of parts) {
    checkShape(fn, `options.trajectories.${name}`, M, rows, steps, 'one row per row of the layer, one column per step');
    checkContiguous(fn, `options.trajectories.${name}`, M);
  }
  return x;
}

export async function obsExchange(be: KernelBackend, H: unknown, B: unknown, mask: unknown, todo: unknown, options: ObsExchangeOptions): Promise<number> {
  const fn = 'obsExchange';
  const b = checkMatrix(fn, 'B', B, 'float64');
  const h = checkMatrix(fn, 'H', H, 'float64');
  checkShape(fn, 'H', h, b.cols, b.cols, "the Hessian of B's columns");
  const m = checkMask(fn, 'mask', mask, b.rows, b.cols, true);
  const t = checkStored(fn, 'todo', todo, 'int32');
  checkVector(fn, 'todo', t, b.rows);
  checkContiguous(fn, 'todo', t);
  if (options === null || typeof options !== 'object') throw typeError(fn, 'options', options, 'an object { swaps, groupSize?, maxSwaps?, trajectories? }');
  const groupSize = checkInt(fn, 'options.groupSize', options.groupSize ?? 0, 0, b.cols);
  if (groupSize > 0 && b.cols % groupSize !== 0) throw rangeError(fn, 'options.groupSize', groupSize, `a divisor of the ${b.cols} columns`);
  const maxSwaps = checkInt(fn, 'options.maxSwaps', options.maxSwaps ?? b.cols, 0);
  const swaps = checkStored(fn, 'options.swaps', options.swaps, 'int32');
  checkVector(fn, 'options.swaps', swaps, b.rows);
  checkContiguous(fn, 'options.swaps', swaps);
  const tr = options.trajectories ?? null;
  if (tr !== null) {
    checkTrajectories(fn, tr, b.rows);
    if (groupSize > 0) throw rangeError(fn, 'options.trajectories', 'trajectories', 'null with groupSize > 0 (groups fix every row\'s count, so rows cannot trade)');
  }
  if (b.rows === 0) return -1;
  return await be.obsExchange(h, b, m, t, groupSize, maxSwaps, swaps, tr);
}

export async function obsExchangeAllocate(be: KernelBackend, trajectories: unknown, mask: unknown, changed: unknown): Promise<number> {
  const fn = 'obsExchangeAllocate';
  const mk = checkStored(fn, 'mask', mask, 'uint8');
  checkContiguous(fn, 'mask', mk);
  const t = checkTrajectories(fn, trajectories, mk.rows);
  const ch = checkStored(fn, 'changed', changed, 'int32');
  checkVector(fn, 'changed', ch, mk.rows);
  checkContiguous(fn, 'changed', ch);
  if (mk.rows === 0 || t.addGain.cols === 0) return 0;
  // The kernel writes only the columns in [0, cols) the trajectories name (others count as none).
  return await be.obsExchangeAllocate(t, mk, ch);
}

export async function solveOnSupport(be: KernelBackend, H: unknown, B: unknown, mask: unknown, X: unknown): Promise<number> {
  const fn = 'solveOnSupport';
  const b = checkMatrix(fn, 'B', B, null);
  const h = checkMatrix(fn, 'H', H, b.dtype);
  checkShape(fn, 'H', h, b.cols, b.cols, "the Hessian of B's columns");
  const x = checkMatrix(fn, 'X', X, b.dtype);
  checkShape(fn, 'X', x, b.rows, b.cols, "B's shape");
  const m = checkMask(fn, 'mask', mask, b.rows, b.cols, true);
  if (b.rows === 0) return -1;
  return await be.solveOnSupport(h, b, m, x);
}

export async function sparsegptBlock(be: KernelBackend, W1: unknown, U1: unknown, rule: unknown, Err1: unknown, mask: unknown): Promise<number> {
  const fn = 'sparsegptBlock';
  const w = checkMatrix(fn, 'W1', W1, null);
  const u = checkMatrix(fn, 'U1', U1, w.dtype);
  checkShape(fn, 'U1', u, w.cols, w.cols, 'the diagonal block of U');
  const e = checkMatrix(fn, 'Err1', Err1, w.dtype);
  checkShape(fn, 'Err1', e, w.rows, w.cols, "W1's shape");
  const r = checkRule(fn, rule, w.rows, w.cols);
  const m = checkMask(fn, 'mask', mask, w.rows, w.cols, true);
  if (w.size === 0) return -1;
  return await be.sparsegptBlock(w, u, r, e, m);
}

function checkPcg(fn: string, X: unknown, others: Record<string, unknown>, mask: unknown, dinv: unknown, tolerance: unknown, state: unknown, first = 'X') {
  const x = checkMatrix(fn, first, X, null);
  const mats: Record<string, Matrix> = {};
  for (const [name, M] of Object.entries(others)) {
    mats[name] = checkMatrix(fn, name, M, x.dtype);
    checkShape(fn, name, mats[name], x.rows, x.cols, "X's shape");
  }
  const m: Mask = checkMask(fn, 'mask', mask, x.rows, x.cols, true);
  let d = null as unknown as Matrix;
  if (dinv !== undefined) {
    d = checkMatrix(fn, 'dinv', dinv, x.dtype);
    checkVector(fn, 'dinv', d, x.cols);
    if (d.rows !== 1 && d.stride !== 1) throw rangeError(fn, 'dinv', d, 'a contiguous vector');
  }
  let t = 1;
  if (tolerance !== undefined) {
    t = checkFinite(fn, 'tolerance', tolerance);
    if (!(t > 0)) throw rangeError(fn, 'tolerance', t, 'a positive number');
  }
  const s = checkStored(fn, 'state', state, 'float64');
  checkShape(fn, 'state', s, x.rows, 4, 'rz, rr, bb and status per row');
  checkContiguous(fn, 'state', s);
  return { x, mats, m, d, t, s };
}

export async function pcgStart(be: KernelBackend, X: unknown, B: unknown, R: unknown, P: unknown, mask: unknown, dinv: unknown, tolerance: unknown, state: unknown): Promise<number> {
  const { x, mats, m, d, t, s } = checkPcg('pcgStart', X, { B, R, P }, mask, dinv, tolerance, state);
  return x.rows === 0 ? 0 : await be.pcgStart(x, mats.B, mats.R, mats.P, m, d, t, s);
}

export async function pcgStep(be: KernelBackend, X: unknown, R: unknown, P: unknown, Q: unknown, mask: unknown, dinv: unknown, tolerance: unknown, state: unknown): Promise<number> {
  const { x, mats, m, d, t, s } = checkPcg('pcgStep', X, { R, P, Q }, mask, dinv, tolerance, state);
  return x.rows === 0 ? 0 : await be.pcgStep(x, mats.R, mats.P, mats.Q, m, d, t, s);
}

export async function pcgUpdate(be: KernelBackend, X: unknown, R: unknown, P: unknown, Q: unknown, mask: unknown, tolerance: unknown, state: unknown): Promise<number> {
  const { x, mats, m, t, s } = checkPcg('pcgUpdate', X, { R, P, Q }, mask, undefined, tolerance ?? NaN, state);
  return x.rows === 0 ? 0 : await be.pcgUpdate(x, mats.R, mats.P, mats.Q, m, t, s);
}

export async function pcgDirection(be: KernelBackend, R: unknown, C: unknown, P: unknown, mask: unknown, dinv: unknown, restart: unknown, state: unknown): Promise<number> {
  const fn = 'pcgDirection';
  const { x, mats, m, d, s } = checkPcg(fn, R, C === null ? { P } : { C, P }, mask, dinv ?? NaN, undefined, state, 'R');
  if (typeof restart !== 'boolean') throw typeError(fn, 'restart', restart, 'a boolean');
  return x.rows === 0 ? 0 : await be.pcgDirection(x, C === null ? null : mats.C, mats.P, m, d, restart, s);
}
