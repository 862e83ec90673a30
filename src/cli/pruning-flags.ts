// The flags every pruning command shares (prune-layer, prune): the pattern (--sparsity with
// --per-row, or --pattern N:M) and the pruner's options (--damp, --blocksize, --iters, --eta),
// each refused where the method does not read it.
import { flagValue, intFlag, numberFlag, UsageError } from './args.js';
import type { Pattern } from '../pruning/pattern.js';
import { availableMethods, makePruner } from '../pruning/registry.js';
import { sparseGPT } from '../pruning/sparsegpt.js';
import type { PruneMethod, Pruner } from '../pruning/types.js';

/** The pattern from --sparsity S [--per-row] or --pattern N:M (exactly one of the two). */
export function patternFromFlags(values: { sparsity?: string; pattern?: string; 'per-row'?: boolean }): Pattern {
  if ((values.sparsity === undefined) === (values.pattern === undefined)) {
    throw new UsageError(values.sparsity === undefined ? 'one of --sparsity S or --pattern N:M is required' : `give --sparsity ${JSON.stringify(values.sparsity)} or --pattern ${JSON.stringify(values.pattern)}, not both`);
  }
  if (values.pattern !== undefined) {
    if (values['per-row']) throw new UsageError(`--per-row goes with --sparsity, not with ${flagValue('--pattern', values.pattern)}`);
    const nm = /^(\d+):(\d+)$/.exec(values.pattern);
    if (!nm || !(Number(nm[1]) >= 1 && Number(nm[1]) <= Number(nm[2]))) {
      throw new UsageError(`${flagValue('--pattern', values.pattern)}: expected N:M with 1 <= N <= M, such as 2:4`);
    }
    return { kind: 'nm', n: Number(nm[1]), m: Number(nm[2]) };
  }
  const s = numberFlag('--sparsity', values.sparsity, (x) => x >= 0 && x < 1, 'a fraction in [0, 1)')!;
  return { kind: values['per-row'] ? 'per-row' : 'unstructured', sparsity: s };
}

/** The flags each method reads; a flag given to a method that ignores it is a usage error. */
export const METHOD_FLAGS: Record<PruneMethod, readonly string[]> = {
  magnitude: [], wanda: [], sparsegpt: ['damp', 'blockSize'], obc: ['damp'], iobs: ['damp', 'blockSize', 'iterations', 'eta', 'start'],
};
const FLAG_NAMES: Record<string, string> = { damp: '--damp', blockSize: '--blocksize', iterations: '--iters', eta: '--eta', start: '--start' };

/** The one-shot starts I-OBS takes by name (--start). */
const STARTS = ['sparsegpt', 'obc', 'wanda', 'magnitude'] as const;

/** The pruner options from --damp, --blocksize, --iters and --eta (checked against `pattern`'s M). */
export function prunerFromFlags(method: PruneMethod, values: { damp?: string; blocksize?: string; iters?: string; eta?: string; start?: string }, pattern: Pattern): Pruner {
  const blockSize = intFlag('--blocksize', values.blocksize, (x) => x >= 1, 'a positive integer');
  if (blockSize !== undefined && pattern.kind === 'nm' && blockSize % pattern.m !== 0) {
    throw new UsageError(`${flagValue('--blocksize', values.blocksize!)}: expected a multiple of M = ${pattern.m} (--pattern ${pattern.n}:${pattern.m})`);
  }
  const damp = numberFlag('--damp', values.damp, (x) => x >= 0, 'a number >= 0');
  const iterations = intFlag('--iters', values.iters, (x) => x >= 0, 'a non-negative integer');
  const eta = numberFlag('--eta', values.eta, (x) => x > 0 && x <= 1, 'a step in (0, 1]');
  // A flag the method does not read is refused, with its value as typed.
  for (const [key, flag] of Object.entries(FLAG_NAMES)) {
    const text = values[flag.slice(2) as keyof typeof values];
    if (text !== undefined && !METHOD_FLAGS[method].includes(key)) throw new UsageError(`${flagValue(flag, text)} does not apply to --method ${method} (${appliesTo(key)})`);
  }
  let start: string | undefined;
  if (values.start !== undefined && METHOD_FLAGS[method].includes('start')) {
    start = values.start;
    if (!(STARTS as readonly string[]).includes(start)) throw new UsageError(`${flagValue('--start', start)}: expected one of ${STARTS.join(', ')}`);
    if (blockSize !== undefined && start !== 'sparsegpt') throw new UsageError(`${flagValue('--blocksize', values.blocksize!)} applies to the SparseGPT start; --start ${start} does not read it`);
  }
  return prunerFor(method, { damp, blockSize, iterations, eta }, start);
}

/** "it applies to sparsegpt, iobs": the methods that read an option. */
function appliesTo(key: string): string {
  return `it applies to ${availableMethods().filter((m) => METHOD_FLAGS[m].includes(key)).join(', ')}`;
}

/** The pruner the flags ask for (I-OBS's --blocksize goes to its SparseGPT start). */
export function prunerFor(method: PruneMethod, flags: Record<string, number | undefined>, start?: string): Pruner {
  for (const [key, value] of Object.entries(flags)) {
    if (value !== undefined && !METHOD_FLAGS[method].includes(key)) {
      throw new UsageError(`${FLAG_NAMES[key]} does not apply to --method ${method} (${appliesTo(key)})`);
    }
  }
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  if (method === 'iobs') {
    const { blockSize, ...rest } = given;
    if (blockSize !== undefined) return makePruner('iobs', { ...rest, start: sparseGPT({ damp: rest.damp, blockSize }) });
    return makePruner('iobs', start === undefined ? rest : { ...rest, start });
  }
  return makePruner(method, given);
}
