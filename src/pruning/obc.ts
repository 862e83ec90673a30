// Exact OBS for a layer (OBC: Frantar & Alistarh 2022, IST-DASLab/OBC trueobs.py): every row is
// pruned greedily, one weight at a time, each removal the exact OBS step on the row's own copy of
// H⁻¹ (damped), followed by a rank-1 downdate of that copy (la.obsGreedy); the weights are then
// re-solved exactly on the support chosen (la.solveOnSupport), removing the downdates' drift. The cost is O(cols²)
// per removed weight per row, O(rows·k·cols²) in all for k removals per row: about a second's work
// for 128 x 3136, but hours for a 4096 x 4096 layer (4096 rows x ~2048 removals x 4096² ≈
// 1.4·10¹⁴ multiply-adds); use SparseGPT or I-OBS there.
import type { DType } from '../core/dtype.js';
import { computationError } from '../core/errors.js';
import type { Mask, Matrix } from '../core/matrix.js';
import { DAMP_RETRIES, dampedHessian } from '../linalg/damped.js';
import type { Linalg } from '../linalg/linalg.js';
import type { Scope } from '../linalg/scope.js';
import { prunedCount, type Pattern } from './pattern.js';
import { dampOf, optionsOf } from './options.js';
import type { Pruner, PrunerOutput } from './types.js';

const FN = 'obc';

/** Options of obc(). */
export interface OBCOptions {
  /** Relative damping λ ≥ 0 (default 0.01), ×10 while H fails to factor or a greedy pivot fails. */
  damp?: number;
}

/**
 * Exact greedy OBS (OBC) for every pattern:
 * - 'per-row': ⌊cols·sparsity⌋ removals in every row;
 * - 'nm': (m − n) removals in every group of m consecutive inputs of each row;
 * - 'unstructured': OBC's global allocation: every row's greedy trajectory is run with the loss
 *   of each step recorded, the ⌊rows·cols·sparsity⌋ smallest step losses of the whole layer are
 *   chosen (ties to the smaller row, then the earlier step; la.obcAllocate), and each row keeps
 *   the prefix of its trajectory with as many removals as it had steps chosen (as trueobs.py's
 *   prune_unstr).
 *
 * Dead inputs (H_jj = 0) have their columns of W zeroed and H_jj set to 1; H⁻¹ is that of
 * H + λ·mean(diag H)·I, λ ×10 while the factorisation or a greedy pivot fails. details:
 * { predictedLoss } — the sum of the step losses of the steps each row takes (its prefix), which is
 * tr(ΔHΔᵀ) for the damped H.
 * @example
 * const r = await pruneLayer(la, W, H, { pruner: obc(), pattern: '2:4' });
 */
export function obc(options?: OBCOptions): Pruner {
  const o = optionsOf(FN, options, ['damp']);
  const damp = dampOf(FN, o);
  return {
    method: 'obc',
    options: { damp },
    factorsHessian: true,
    checkPattern() {},
    async run(la, W, H, pattern, ctx) {
      let lambda = damp;
      const warnings: string[] = [];
      for (let attempt = 0; ; attempt++) {
        const hessian = await dampedHessian(la, H, { fn: FN, arg: 'H', damp: lambda, factor: 'inverse', deadInputs: true, check: attempt === 0 ? ctx.check : 'trusted' });
        const scope = la.scope();
        try {
          const Wd = scope.track(await la.copy(W));
          if (hessian.deadCount > 0) await la.zeroColumns(Wd, hessian.dead!);
          const out = await greedyPattern(la, Wd, hessian.factor!, pattern, scope);
          if (out && prunedCount(pattern, W.rows, W.cols) > 0) {
            // The greedy downdates drift in float32 (on a held-out MNIST layer at 50% OBC's weights were
            // 2% worse than the exact solution on its own mask): one exact re-solve on the chosen
            // support, H[S,S] ŵ_S = (H w)_S per row with the damped H, makes the weights exact.
            const B = scope.track(la.matrix(W.rows, W.cols, W.dtype));
            await la.gemm(Wd, hessian.damped, B);
            const row = await la.solveOnSupport(hessian.damped, B, out.mask, out.weight);
            scope.release(B);
            if (row >= 0) throw computationError(FN, 'options.damp', damp, `H[S,S] has no Cholesky factor on the support of row ${row} at λ = ${hessian.dampUsed}`);
          }
          ctx.onProgress?.(1, 'obc');
          if (out) {
            warnings.push(...hessian.warnings);
            if (attempt > 0) warnings.push(`${FN}: a greedy OBS pivot was not positive at λ = ${damp}; damping raised to λ = ${hessian.dampUsed}`);
            return { ...out, dampUsed: hessian.dampUsed ?? 0, warnings };
          }
          if (attempt >= DAMP_RETRIES) {
            throw computationError(FN, 'options.damp', damp, `no damping up to λ = ${hessian.dampUsed} keeps every greedy OBS pivot positive`);
          }
          lambda = (hessian.dampUsed ?? 0.001) * 10;
        } finally {
          scope.free();
          hessian.free();
        }
      }
    },
  };
}

type Greedy<D extends DType> = Omit<PrunerOutput<D>, 'dampUsed' | 'warnings'> | null;

/** OBC under the pattern from the dead-fixed W (not modified); null when a greedy pivot failed. */
async function greedyPattern<D extends DType>(la: Linalg, W: Matrix<D>, Hinv: Matrix<D>, pattern: Pattern, scope: Scope): Promise<Greedy<D>> {
  const rows = W.rows, cols = W.cols;
  if (pattern.kind === 'unstructured') return globalGreedy(la, W, Hinv, prunedCount(pattern, rows, cols), scope);
  const perRow = prunedCount(pattern, 1, cols);
  const counts = scope.track(la.matrix(rows, 1, 'int32'));
  await la.fill(counts, perRow);
  const losses = perRow > 0 ? scope.track(la.matrix(rows, perRow, 'float64')) : null;
  const m = pattern.kind === 'nm' ? pattern.m : 0;
  const out = scope.track(await la.copy(W)), mask = scope.track(la.mask(rows, cols));
  const failed = await la.obsGreedy(out, Hinv, counts, mask, { groupSize: m, groupPrune: pattern.kind === 'nm' ? m - pattern.n : 0, losses });
  if (failed >= 0) return null;
  const predictedLoss = losses ? await lossSum(la, losses, scope) : 0;
  return { weight: scope.keep(out), mask: scope.keep(mask), details: { predictedLoss } };
}

/** Σ of every step loss (rows x steps). */
async function lossSum(la: Linalg, losses: Matrix<'float64'>, scope: Scope): Promise<number> {
  const ones = scope.track(la.matrix(losses.rows, losses.cols, 'float64'));
  await la.fill(ones, 1);
  const s = await la.dot(losses, ones);
  scope.release(ones);
  return checkedLoss(s);
}

function checkedLoss(s: number): number {
  if (!Number.isFinite(s)) {
    throw computationError(FN, null, s, 'a greedy OBS step loss overflowed (w_p² / [H⁻¹]_pp is not finite): the weights or the Hessian are too large for this dtype; use float64');
  }
  return s;
}

/**
 * Unstructured OBC: first pass records every row's step losses up to the most removals a row can
 * take (min(cols, total)); the global choice gives each row its count; rows whose count is the
 * full first pass keep its result, the others are re-run to their count. The greedy is
 * deterministic, so a re-run to c removals retraces the first c steps of the first pass exactly
 * (the same prefix trueobs.py stores as its Trace); re-running costs at most one more pass, where
 * storing every prefix would need rows·cols² numbers (5 GB for 128 x 3136 in float32).
 */
async function globalGreedy<D extends DType>(la: Linalg, W: Matrix<D>, Hinv: Matrix<D>, total: number, scope: Scope): Promise<Greedy<D>> {
  const rows = W.rows, cols = W.cols;
  const steps = Math.min(cols, total);
  const first = scope.track(await la.copy(W)), mask = scope.track(la.mask(rows, cols));
  if (steps === 0) {
    await la.fill(mask, 1);
    return { weight: scope.keep(first), mask: scope.keep(mask), details: { predictedLoss: 0 } };
  }
  const counts = scope.track(la.matrix(rows, 1, 'int32'));
  await la.fill(counts, steps);
  const losses = scope.track(la.matrix(rows, steps, 'float64'));
  if ((await la.obsGreedy(first, Hinv, counts, mask, { losses })) >= 0) return null;
  const chosen = scope.track(la.matrix(rows, 1, 'int32'));
  checkedLoss(await la.obcAllocate(losses, total, chosen));
  const perRow = await la.read(chosen); // rows numbers: the allocation
  // The loss of the result is each row's first perRow[r] step losses: the steps chosen globally
  // need not be a prefix of the row's trajectory (step losses are not monotone), so their own sum
  // is not it.
  const prefix = new Float64Array(rows * steps);
  for (let r = 0; r < rows; r++) prefix.fill(1, r * steps, r * steps + perRow[r]);
  const taken = scope.track(la.fromArray(prefix, rows, steps, 'float64'));
  const predictedLoss = checkedLoss(await la.dot(losses, taken));
  scope.release(taken);
  const redo: number[] = [];
  for (let r = 0; r < rows; r++) if (perRow[r] < steps) redo.push(r);
  if (redo.length > 0 && !(await rerun(la, W, Hinv, perRow, redo, first, mask, scope))) return null;
  return { weight: scope.keep(first), mask: scope.keep(mask), details: { predictedLoss } };
}

/** Re-runs the greedy for the listed rows to their counts; writes their rows of out and mask. */
async function rerun<D extends DType>(
  la: Linalg, W: Matrix<D>, Hinv: Matrix<D>, counts: Int32Array, redo: number[], out: Matrix<D>, mask: Mask, scope: Scope,
): Promise<boolean> {
  const cols = W.cols, n = redo.length;
  const sub = scope.track(la.matrix(n, cols, W.dtype));
  const subMask = scope.track(la.mask(n, cols));
  const subCounts = scope.track(la.fromArray(redo.map((r) => counts[r]), n, 1, 'int32'));
  for (let i = 0; i < n; i++) await la.copy(W.view(redo[i], 0, 1, cols), sub.view(i, 0, 1, cols));
  if ((await la.obsGreedy(sub, Hinv, subCounts, subMask)) >= 0) return false;
  for (let i = 0; i < n; i++) {
    await la.copy(sub.view(i, 0, 1, cols), out.view(redo[i], 0, 1, cols));
    await la.copy(subMask.view(i, 0, 1, cols), mask.view(redo[i], 0, 1, cols));
  }
  return true;
}
