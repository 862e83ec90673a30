// The name → factory map the CLI (and any recipe or config file) builds pruners from. Each
// factory checks its own options; the map only finds the factory.
import { didYouMean, rangeError, typeError } from '../core/errors.js';
import { iobs } from './iobs.js';
import { magnitude } from './magnitude.js';
import { obc } from './obc.js';
import { sparseGPT } from './sparsegpt.js';
import type { PruneMethod, Pruner } from './types.js';
import { wanda } from './wanda.js';

/** Every method name, in the order help texts list them. */
export const METHODS: readonly PruneMethod[] = ['magnitude', 'wanda', 'sparsegpt', 'obc', 'iobs'];

/** The factory of each method: options in, a checked Pruner out. */
export const PRUNERS: Readonly<Record<PruneMethod, (options?: any) => Pruner>> = {
  magnitude,
  wanda,
  sparsegpt: sparseGPT,
  obc,
  iobs,
};

/** The method names that have a pruner in this build, in METHODS order. */
export function availableMethods(): PruneMethod[] {
  return METHODS.filter((m) => PRUNERS[m] !== undefined);
}

/**
 * The pruner a method name and its options make; an unknown name is an error that lists the
 * methods and suggests the closest.
 * @example
 * const p = makePruner('iobs', { iterations: 5 });
 * makePruner('sparsgpt');   // RangeError: … did you mean 'sparsegpt'?
 */
export function makePruner(method: unknown, options?: Record<string, unknown>, fn = 'makePruner', arg = 'method'): Pruner {
  if (typeof method !== 'string') throw typeError(fn, arg, method, `a method name (${METHODS.join(', ')})`);
  const factory = (PRUNERS as Record<string, (o?: unknown) => Pruner>)[method];
  if (!factory) throw rangeError(fn, arg, method, `one of ${METHODS.map((m) => `'${m}'`).join(', ')}${didYouMean(method, METHODS)}`);
  return factory(options);
}
