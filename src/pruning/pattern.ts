// Sparsity patterns a pruner honours, and the keep-mask rule each one means for a rows x cols layer.
import { checkFinite, checkInt, rangeError, typeError } from '../core/errors.js';
import type { Mask } from '../core/matrix.js';
import type { MaskRule } from '../backends/types.js';
import type { Linalg } from '../linalg/linalg.js';

/**
 * Which weights of a layer are pruned:
 * - 'unstructured': ⌊rows·cols·sparsity⌋ weights of the whole layer (where they fall is the method's choice);
 * - 'per-row': exactly ⌊cols·sparsity⌋ weights of every row;
 * - 'nm': n weights kept of every m consecutive inputs of each row (2:4, 4:8; cols a multiple of m).
 */
export type Pattern =
  | { kind: 'unstructured'; sparsity: number }
  | { kind: 'per-row'; sparsity: number }
  | { kind: 'nm'; n: number; m: number };

/**
 * Throws unless `pattern` is a valid Pattern (or its text: '2:4', '0.5', '0.5/row') for a layer
 * with `cols` inputs; returns it.
 */
export function checkPattern(fn: string, arg: string, pattern: unknown, cols: number): Pattern {
  if (typeof pattern === 'string') {
    try {
      pattern = parsePattern(pattern);
    } catch {
      throw rangeError(fn, arg, pattern, "a pattern: 'N:M' (such as '2:4'), a sparsity such as '0.5', or '0.5/row'");
    }
  }
  if (typeof pattern !== 'object' || pattern === null) throw typeError(fn, arg, pattern, "a pattern such as { kind: 'nm', n: 2, m: 4 } or '2:4'");
  const p = pattern as Record<string, unknown>;
  if (p.kind === 'unstructured' || p.kind === 'per-row') {
    const s = checkFinite(fn, `${arg}.sparsity`, p.sparsity);
    if (s < 0 || s >= 1) throw rangeError(fn, `${arg}.sparsity`, s, 'a number in [0, 1)');
    return { kind: p.kind, sparsity: s };
  }
  if (p.kind === 'nm') {
    const m = checkInt(fn, `${arg}.m`, p.m, 1);
    const n = checkInt(fn, `${arg}.n`, p.n, 1, m);
    if (cols % m !== 0) throw rangeError(fn, `${arg}.m`, m, `a divisor of the layer's ${cols} inputs`);
    return { kind: 'nm', n, m };
  }
  throw rangeError(fn, `${arg}.kind`, p.kind, "'unstructured', 'per-row' or 'nm'");
}

/**
 * Reads a pattern from text: "2:4" (N:M, N kept of every M), "0.5" (unstructured), "0.5/row" (per row).
 * @example
 * parsePattern('2:4');      // { kind: 'nm', n: 2, m: 4 }
 * parsePattern('0.7/row');  // { kind: 'per-row', sparsity: 0.7 }
 */
export function parsePattern(text: string): Pattern {
  const nm = /^(\d+):(\d+)$/.exec(text);
  if (nm) return { kind: 'nm', n: Number(nm[1]), m: Number(nm[2]) };
  const s = /^(\d*\.?\d+)(\/row)?$/.exec(text);
  if (s) return { kind: s[2] ? 'per-row' : 'unstructured', sparsity: Number(s[1]) };
  throw rangeError('parsePattern', 'text', text, "'N:M', a sparsity such as '0.5', or '0.5/row'");
}

/** The pattern as text ("2:4", "50%", "50%/row"). */
export function formatPattern(p: Pattern): string {
  if (p.kind === 'nm') return `${p.n}:${p.m}`;
  const pct = `${+(p.sparsity * 100).toFixed(4)}%`;
  return p.kind === 'per-row' ? `${pct}/row` : pct;
}

/** Weights pruned in a rows x cols layer under the pattern. */
export function prunedCount(p: Pattern, rows: number, cols: number): number {
  if (p.kind === 'nm') return rows * (cols / p.m) * (p.m - p.n);
  if (p.kind === 'per-row') return rows * Math.floor(cols * p.sparsity);
  return Math.floor(rows * cols * p.sparsity);
}

/** The keep-mask rule of the pattern for selectMask (unstructured becomes one threshold over the layer). */
export function maskRule(p: Pattern, rows: number, cols: number): MaskRule {
  if (p.kind === 'nm') return { kind: 'nm', n: p.n, m: p.m };
  if (p.kind === 'per-row') return { kind: 'row', keep: cols - Math.floor(cols * p.sparsity) };
  return { kind: 'layer', keep: rows * cols - Math.floor(rows * cols * p.sparsity) };
}

/**
 * Kept weights per row of a keep-mask and the fraction pruned, with whether the mask satisfies
 * the pattern exactly (per-row and N:M counts, and the layer's total). Reads rows numbers.
 */
export async function maskSummary(la: Linalg, p: Pattern, mask: Mask): Promise<{ fits: boolean; kept: number; sparsity: number }> {
  const { rows, cols } = mask;
  const counts = la.matrix(rows, 1, 'int32');
  try {
    const mostInGroup = await la.maskCounts(mask, p.kind === 'nm' ? p.m : 0, counts);
    const perRow = await la.read(counts);
    let kept = 0, fits = true;
    const rowKeep = p.kind === 'per-row' ? cols - Math.floor(cols * p.sparsity) : -1;
    for (let r = 0; r < rows; r++) {
      kept += perRow[r];
      if (rowKeep >= 0 && perRow[r] !== rowKeep) fits = false;
    }
    if (p.kind === 'nm' && mostInGroup > p.n) fits = false;
    if (kept !== rows * cols - prunedCount(p, rows, cols)) fits = false;
    // (total − kept) / total: the correctly rounded fraction (1 − kept/total can be off by an ulp).
    return { fits, kept, sparsity: rows * cols > 0 ? (rows * cols - kept) / (rows * cols) : 0 };
  } finally {
    counts.free();
  }
}
