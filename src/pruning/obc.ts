// Exact OBS for a layer (OBC: Frantar & Alistarh 2022, IST-DASLab/OBC trueobs.py): every row is
// pruned greedily, one weight at a time, each removal the exact OBS step on the rows's own copy of
// H⁻¹ (damped), followed by a rank-1 downdate of that copy (la.backend.obsGreedy). The cost is
// O(cols²) per removed weight per row, O(rows·k·cols²) in all for k removals per row: about a
// second's work for 128 x 3136, but hours for a 4096 x 4096 layer (4096 rows x ~2048 removals x
// 4096² ≈ 1.4·10¹⁴ multiply-adds); use SparseGPT or I-OBS there.
import { rangeError } from '../core/errors.js';
import type { Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';
import { DAMP_RETRIES, DEFAULT_DAMP, deadInputs, factorDamped, withDeadInputs } from './hessian.js';
import { prunedCount, type Pattern } from './pattern.js';
import type { LayerPruner, PrunerOptions, PrunerOutput } from './types.js';

/**
 * Exact greedy OBS (OBC) for every pattern:
 * - 'per-row': ⌊cols·sparsity⌋ removals in every row;
 * - 'nm': (m − n) removals in every group of m consecutive inputs of each row;
 * - 'unstructured': OBC's global allocation: every row's greedy trajectory is run with the loss
 *   of each step recorded, the ⌊rows·cols·sparsity⌋ smallest step losses of the whole layer are
 *   chosen (ties to the smaller row, then the earlier step), and each row keeps the prefix of its
 *   trajectory with as many removals as it had steps chosen (as trueobs.py's prune_unstr).
 *
 * Dead inputs (H_jj = 0) have their columns of W zeroed and H_jj set to 1; H⁻¹ is that of
 * H + λ·mean(diag H)·I with λ = options.damp (default 0.01), ×10 while the factorisation or a
 * greedy pivot fails. details: { predictedLoss } — the sum of the chosen step losses, which is
 * tr(ΔHΔᵀ) for the damped H.
 * @example
 * const out = obc(la, W, H, { kind: 'nm', n: 2, m: 4 }, {});
 * out.weight; out.mask; out.dampUsed;   // 0.01 unless H needed more damping
 */
export const obc: LayerPruner = <D extends Matrix['dtype']>(
  la: Linalg, W: Matrix<D>, H: Matrix<D>, pattern: Pattern, options: PrunerOptions,
): PrunerOutput<D> => {
  const dead = deadInputs(H);
  const fixed = withDeadInputs(la, H, dead);
  const Wd = la.copy(W);
  for (const j of dead) for (let r = 0; r < Wd.rows; r++) Wd.set(r, j, 0);
  try {
    let lambda = options.damp ?? DEFAULT_DAMP;
    for (let attempt = 0; ; attempt++) {
      const { M: Hinv, dampUsed } = factorDamped(la, fixed.H, fixed.meanDiag, lambda, 'inverse', 'obc');
      try {
        const out = greedyPattern(la, Wd, Hinv, pattern);
        if (out) return { ...out, dampUsed };
      } finally {
        Hinv.free();
      }
      if (attempt >= DAMP_RETRIES) throw rangeError('obc', 'damp', options.damp ?? DEFAULT_DAMP, `a damping under which every greedy OBS pivot stays positive (tried up to λ = ${dampUsed})`);
      lambda = dampUsed * 10;
    }
  } finally {
    fixed.H.free();
    Wd.free();
  }
};

type Greedy<D extends Matrix['dtype']> = Omit<PrunerOutput<D>, 'dampUsed'> | null;

/** OBC under the pattern from the dead-fixed W (not modified); null when a greedy pivot failed. */
function greedyPattern<D extends Matrix['dtype']>(la: Linalg, W: Matrix<D>, Hinv: Matrix<D>, pattern: Pattern): Greedy<D> {
  const rows = W.rows, cols = W.cols;
  if (pattern.kind === 'unstructured') return globalGreedy(la, W, Hinv, prunedCount(pattern, rows, cols));
  const counts = new Int32Array(rows).fill(prunedCount(pattern, 1, cols));
  const losses = new Float64Array(rows * counts[0]);
  const m = pattern.kind === 'nm' ? pattern.m : 0;
  const out = la.copy(W), mask = new Uint8Array(rows * cols);
  if (la.backend.obsGreedy(out, Hinv, counts, m, pattern.kind === 'nm' ? m - pattern.n : 0, mask, losses, counts[0]) >= 0) {
    out.free();
    return null;
  }
  return { weight: out, mask, details: { predictedLoss: sum(losses) } };
}

/**
 * Unstructured OBC: first pass records every row's step losses up to the most removals a row can
 * take (min(cols, total)); the global choice gives each row its count; rows whose count is the
 * full first pass keep its result, the others are re-run to their count. The greedy is
 * deterministic, so a re-run to c removals retraces the first c steps of the first pass exactly
 * (the same prefix trueobs.py stores as its Trace); re-running costs at most one more pass, where
 * storing every prefix would need rows·cols² numbers (5 GB for 128 x 3136 in float32).
 */
function globalGreedy<D extends Matrix['dtype']>(la: Linalg, W: Matrix<D>, Hinv: Matrix<D>, total: number): Greedy<D> {
  const rows = W.rows, cols = W.cols;
  const steps = Math.min(cols, total);
  const first = la.copy(W), mask = new Uint8Array(rows * cols);
  const losses = new Float64Array(rows * steps);
  try {
    if (la.backend.obsGreedy(first, Hinv, new Int32Array(rows).fill(steps), 0, 0, mask, losses, steps) >= 0) {
      first.free();
      return null;
    }
    const counts = allocate(losses, rows, steps, total);
    const redo: number[] = [];
    let predictedLoss = 0;
    for (let r = 0; r < rows; r++) {
      for (let t = 0; t < counts[r]; t++) predictedLoss += losses[r * steps + t];
      if (counts[r] < steps) redo.push(r);
    }
    if (redo.length > 0 && !rerun(la, W, Hinv, counts, redo, first, mask)) {
      first.free();
      return null;
    }
    return { weight: first, mask, details: { predictedLoss } };
  } catch (e) {
    first.free();
    throw e;
  }
}

/**
 * Per-row removal counts from the global choice of the `total` smallest step losses (rows x steps,
 * row-major; ties to the smaller flat index, i.e. the smaller row, then the earlier step).
 * @example
 * allocate(Float64Array.of(1, 5, 2, 3), 2, 2, 2);   // Int32Array [1, 1]
 */
export function allocate(losses: Float64Array, rows: number, steps: number, total: number): Int32Array {
  const counts = new Int32Array(rows);
  if (total <= 0) return counts;
  for (let i = 0; i < losses.length; i++) if (Number.isNaN(losses[i])) throw rangeError('obc', 'losses', losses[i], 'finite greedy step losses (W or H holds NaN)');
  const threshold = Float64Array.from(losses).sort()[total - 1];
  let below = 0;
  for (let i = 0; i < losses.length; i++) if (losses[i] < threshold) below++;
  let ties = total - below;
  for (let i = 0; i < losses.length; i++) {
    const v = losses[i];
    if (v < threshold || (v === threshold && ties-- > 0)) counts[Math.floor(i / steps)]++;
  }
  return counts;
}

/** Re-runs the greedy for the listed rows to their counts; writes their rows of out and mask. */
function rerun<D extends Matrix['dtype']>(
  la: Linalg, W: Matrix<D>, Hinv: Matrix<D>, counts: Int32Array, redo: number[], out: Matrix<D>, mask: Uint8Array,
): boolean {
  const cols = W.cols, n = redo.length;
  const sub = la.matrix(n, cols, W.dtype);
  try {
    const w = W.toArray(), subCounts = new Int32Array(n), subMask = new Uint8Array(n * cols);
    redo.forEach((r, i) => {
      sub.view(i, 0, 1, cols).assign(w.subarray(r * cols, (r + 1) * cols));
      subCounts[i] = counts[r];
    });
    if (la.backend.obsGreedy(sub, Hinv, subCounts, 0, 0, subMask, null, 0) >= 0) return false;
    const s = sub.toArray();
    redo.forEach((r, i) => {
      out.view(r, 0, 1, cols).assign(s.subarray(i * cols, (i + 1) * cols));
      mask.set(subMask.subarray(i * cols, (i + 1) * cols), r * cols);
    });
    return true;
  } finally {
    sub.free();
  }
}

function sum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}
