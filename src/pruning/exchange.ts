// I-OBS's support-aware reselection (ALGORITHMS.md §2, "Allocation across rows"): from a mask,
// exchange kept and pruned weights while an exchange lowers the layer objective, every change
// priced exactly by OBS costs on the current support (la.obsExchange), and, when the pattern
// leaves the count per row free ('unstructured'), trade weights between rows by pairing one
// row's greedy additions with another's greedy removals (la.obsExchangeAllocate). Every accepted
// change lowers tr((W − Ŵ) H (W − Ŵ)ᵀ) for the H given (the damped Hessian), so the search ends.
import { computationError } from '../core/errors.js';
import type { Mask, Matrix } from '../core/matrix.js';
import type { Linalg } from '../linalg/linalg.js';
import type { Pattern } from './pattern.js';

/** Additions and removals each row offers per round of trading. */
export const EXCHANGE_STEPS = 16;

/** What exchangeSearch did. */
export interface ExchangeReport {
  /** Rounds run (one obsExchange call over the rows left to visit each). */
  rounds: number;
  /** Swaps inside rows (or N:M groups). */
  swaps: number;
  /** Weights moved between rows (each an addition in one row and a removal in another). */
  traded: number;
  /** False when it stopped at maxRounds with changes still being made. */
  converged: boolean;
}

/**
 * Improves `mask` in place for the layer objective with the float64 Hessian H (damped; cols x
 * cols) and B = W·H (rows x cols, float64): swaps within each row (within each group of m for
 * N:M), and for 'unstructured' also trades between rows, until no exchange lowers the objective or
 * maxRounds rounds have run. The number kept per row ('per-row', N:M) or per layer
 * ('unstructured') is unchanged. Reads O(rows) numbers per round.
 * @example
 * const report = await exchangeSearch(la, H64, B64, mask, { kind: 'unstructured', sparsity: 0.5 }, 100);
 * report.swaps; report.traded;   // e.g. 1843, 512
 */
export async function exchangeSearch(
  la: Linalg, H: Matrix<'float64'>, B: Matrix<'float64'>, mask: Mask, pattern: Pattern, maxRounds: number,
  onRound?: (round: number, changed: number) => void,
): Promise<ExchangeReport> {
  const rows = mask.rows, cols = mask.cols;
  const groupSize = pattern.kind === 'nm' ? pattern.m : 0;
  const trade = pattern.kind === 'unstructured';
  const scope = la.scope();
  try {
    const todo = scope.track(la.matrix(rows, 1, 'int32'));
    const swaps = scope.track(la.matrix(rows, 1, 'int32'));
    const changed = scope.track(la.matrix(rows, 1, 'int32'));
    const t = trade
      ? {
        addGain: scope.track(la.matrix(rows, EXCHANGE_STEPS, 'float64')),
        addIndex: scope.track(la.matrix(rows, EXCHANGE_STEPS, 'int32')),
        removeCost: scope.track(la.matrix(rows, EXCHANGE_STEPS, 'float64')),
        removeIndex: scope.track(la.matrix(rows, EXCHANGE_STEPS, 'int32')),
      }
      : null;
    await la.fill(todo, 1);
    let visit = new Int32Array(rows).fill(1); // what todo holds
    const report: ExchangeReport = { rounds: 0, swaps: 0, traded: 0, converged: false };
    while (report.rounds < maxRounds) {
      report.rounds++;
      const failed = await la.obsExchange(H, B, mask, todo, { groupSize, maxSwaps: cols, swaps, trajectories: t });
      if (failed >= 0) throw computationError('exchangeSearch', 'H', H, `H[S,S] has no Cholesky factor (or a pivot is not positive) on the support of row ${failed}`);
      const done = await la.read(swaps); // rows numbers
      let swapped = 0;
      const next = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        if (!visit[r]) continue;
        swapped += done[r];
        if (done[r] >= cols) next[r] = 1; // stopped at the cap: visit again
      }
      report.swaps += swapped;
      let moved = 0;
      if (t) {
        moved = await la.obsExchangeAllocate(t, mask, changed);
        report.traded += moved;
        if (moved > 0) {
          const ch = await la.read(changed);
          for (let r = 0; r < rows; r++) if (ch[r] !== 0) next[r] = 1;
        }
      }
      onRound?.(report.rounds, swapped + moved);
      if (!next.some((v) => v !== 0)) {
        report.converged = true;
        break;
      }
      await la.write(todo, next);
      visit = next;
    }
    return report;
  } finally {
    scope.free();
  }
}
