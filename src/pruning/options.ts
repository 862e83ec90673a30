// Reading a pruner's options once, where the pruner is defined: a plain object whose every key is
// known (a misspelled key is an error that suggests the closest name), each value checked.
import { checkInt, checkKnownKeys, typeError } from '../core/errors.js';
import { checkDamp, DEFAULT_DAMP } from '../linalg/damped.js';

/** The options object of a factory, checked to be a plain object with only `known` keys. */
export function optionsOf(fn: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw typeError(fn, 'options', options, 'an object');
  checkKnownKeys(fn, 'options', options, known);
  return options as Record<string, unknown>;
}

/** options.damp: λ ≥ 0, default DEFAULT_DAMP. */
export function dampOf(fn: string, o: Record<string, unknown>): number {
  return o.damp === undefined ? DEFAULT_DAMP : checkDamp(fn, 'options.damp', o.damp);
}

/** A positive integer option with a default. */
export function positiveIntOf(fn: string, o: Record<string, unknown>, key: string, fallback: number, min = 1): number {
  return o[key] === undefined ? fallback : checkInt(fn, `options.${key}`, o[key], min);
}
