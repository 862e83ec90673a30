// The pattern a whole-model run asks for, applied layer by layer: a sparsity applies to every
// layer; an N:M pattern only to layers whose input count is a multiple of M (a Conv over one
// channel with a 3x3 kernel has 9 inputs), the others stay dense and the report says why.
import { checkPattern, formatPattern, type Pattern } from '../pruning/pattern.js';

/**
 * A whole-model pattern, checked without a layer ('2:4', '0.5', '0.5/row', or a Pattern).
 * @example
 * modelPattern('pruneModel', 'options.pattern', '2:4');   // { kind: 'nm', n: 2, m: 4 }
 */
export function modelPattern(fn: string, arg: string, pattern: unknown): Pattern {
  // checkPattern wants a layer width; for N:M any multiple of M passes, so give it M itself.
  const m = typeof pattern === 'object' && pattern !== null && (pattern as { kind?: unknown }).kind === 'nm' ? Number((pattern as { m?: unknown }).m) : NaN;
  const text = typeof pattern === 'string' ? /^\d+:(\d+)$/.exec(pattern) : null;
  const cols = text ? Number(text[1]) : Number.isInteger(m) && m >= 1 ? m : 1;
  return checkPattern(fn, arg, pattern, Math.max(cols, 1));
}

/** What a layer with `cols` inputs gets under the model's pattern: the pattern, or why it stays dense. */
export function layerPattern(p: Pattern, cols: number): { pattern: Pattern; dense?: undefined } | { pattern: null; dense: string } {
  if (p.kind === 'nm' && cols % p.m !== 0) return { pattern: null, dense: `${cols} inputs, not a multiple of M = ${p.m} (${formatPattern(p)})` };
  return { pattern: p };
}
