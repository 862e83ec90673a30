// Errors name the function, the argument and the value that was wrong, as fields as well as in
// the message, so that a caller (the CLI above all) can map an argument to its flag without
// reading the message. Two families:
// - ArgumentTypeError / ArgumentRangeError: bad input (the CLI exits 2). They extend TypeError
//   and RangeError, so `instanceof RangeError` keeps working.
// - ComputationError: the input was well-formed but the computation failed or would give a
//   wrong answer (a factorisation that does not exist, a divergence; the CLI exits 1).

/** Short printable form of a value for an error message. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `[${value.slice(0, 6).map(show).join(', ')}${value.length > 6 ? ', …' : ''}]`;
  if (typeof value === 'object' && value !== null && 'rows' in value && 'cols' in value) {
    const m = value as { rows: number; cols: number; dtype?: string };
    return `${m.rows}x${m.cols}${m.dtype ? ' ' + m.dtype : ''} matrix`;
  }
  if (typeof value === 'function') return 'a function';
  // A plain object (a JSON value such as a config field): its JSON, shortened.
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    try {
      const text = JSON.stringify(value);
      return text.length > 80 ? `${text.slice(0, 77)}...` : text;
    } catch {
      // A cycle: fall through.
    }
  }
  return Object.prototype.toString.call(value);
}

/** The fields every iobs error carries. */
export interface ErrorFields {
  /** The public function that refused (e.g. 'pruneLayer', 'sgemm', 'iobs'). */
  readonly fn: string;
  /** The argument at fault, as a path: 'options.damp', 'stats', 'W', 'X[3, 4]'; null when none is. */
  readonly arg: string | null;
  /** The offending value (as given, or a short description of it). */
  readonly value: unknown;
  /** What was expected, or what went wrong, in words. */
  readonly reason: string;
}

/** What kind of failure an error is: bad input, or a computation that could not be done. */
export type ErrorKind = 'argument' | 'computation';

function argumentMessage(fn: string, arg: string, value: unknown, expected: string): string {
  return `${fn}: argument ${arg} must be ${expected}; got ${show(value)}`;
}

/** A value of the wrong kind, naming function, argument and value. */
export class ArgumentTypeError extends TypeError implements ErrorFields {
  readonly kind: ErrorKind = 'argument';
  constructor(readonly fn: string, readonly arg: string, readonly value: unknown, readonly reason: string) {
    super(argumentMessage(fn, arg, value, reason));
    this.name = 'ArgumentTypeError';
  }
}

/** A value of the right kind out of range, of the wrong shape, or otherwise unusable. */
export class ArgumentRangeError extends RangeError implements ErrorFields {
  readonly kind: ErrorKind = 'argument';
  constructor(readonly fn: string, readonly arg: string, readonly value: unknown, readonly reason: string) {
    super(argumentMessage(fn, arg, value, reason));
    this.name = 'ArgumentRangeError';
  }
}

/**
 * A computation that failed on well-formed input: `arg` names the input it failed on when there
 * is one (the Hessian that is not positive definite after every damping), `reason` says what
 * happened.
 */
export class ComputationError extends Error implements ErrorFields {
  readonly kind: ErrorKind = 'computation';
  constructor(readonly fn: string, readonly arg: string | null, readonly value: unknown, readonly reason: string) {
    super(arg === null ? `${fn}: ${reason}` : `${fn}: ${reason} (${arg} = ${show(value)})`);
    this.name = 'ComputationError';
  }
}

/** Any error of this library, with its fields. */
export type IobsError = ArgumentTypeError | ArgumentRangeError | ComputationError;

/** True for an error raised by this library (it has fn, arg, value, reason and kind). */
export function isIobsError(e: unknown): e is IobsError {
  return e instanceof ArgumentTypeError || e instanceof ArgumentRangeError || e instanceof ComputationError;
}

/** A value of the wrong kind (TypeError), naming function, argument and value. */
export function typeError(fn: string, arg: string, value: unknown, expected: string): ArgumentTypeError {
  return new ArgumentTypeError(fn, arg, value, expected);
}

/** A value of the right kind out of range or of the wrong shape (RangeError). */
export function rangeError(fn: string, arg: string, value: unknown, expected: string): ArgumentRangeError {
  return new ArgumentRangeError(fn, arg, value, expected);
}

/** A failed computation (see ComputationError). */
export function computationError(fn: string, arg: string | null, value: unknown, reason: string): ComputationError {
  return new ComputationError(fn, arg, value, reason);
}

/**
 * The name among `choices` closest to `name` by edit distance (case-insensitive), or null when
 * none is within a third of the longer name's length (at least 2 edits). For "did you mean".
 * @example
 * closest('sparsgpt', ['magnitude', 'wanda', 'sparsegpt']);   // 'sparsegpt'
 * closest('xyz', ['magnitude', 'wanda']);                     // null
 */
export function closest(name: string, choices: readonly string[]): string | null {
  let best: string | null = null, bestD = Infinity;
  const a = name.toLowerCase();
  for (const c of choices) {
    const d = editDistance(a, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best === null) return null;
  const limit = Math.max(2, Math.floor(Math.max(a.length, best.length) / 3));
  return bestD <= limit ? best : null;
}

/** Levenshtein distance with transpositions counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1, cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1];
}

/** ", did you mean 'x'?" when a close name exists, else "". */
export function didYouMean(name: unknown, choices: readonly string[]): string {
  if (typeof name !== 'string') return '';
  const c = closest(name, choices);
  return c === null || c === name ? '' : `; did you mean '${c}'?`;
}

/**
 * Throws unless every key of `options` is in `known`: an unknown key is an error that suggests
 * the closest known name (a misspelled option is never ignored).
 */
export function checkKnownKeys(fn: string, arg: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw rangeError(fn, `${arg}.${key}`, (options as Record<string, unknown>)[key], `a known option (${known.join(', ')})${didYouMean(key, known)}`);
    }
  }
}

/** Throws unless x is an integer in [min, max]. */
export function checkInt(fn: string, arg: string, x: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof x !== 'number' || !Number.isInteger(x)) throw typeError(fn, arg, x, 'an integer');
  if (x < min || x > max) throw rangeError(fn, arg, x, `an integer in [${min}, ${max}]`);
  return x;
}

/** Throws unless x is a finite number. */
export function checkFinite(fn: string, arg: string, x: unknown): number {
  if (typeof x !== 'number') throw typeError(fn, arg, x, 'a number');
  if (!Number.isFinite(x)) throw rangeError(fn, arg, x, 'a finite number');
  return x;
}

/** Throws unless x is a boolean or undefined; returns the boolean (default false). */
export function checkFlag(fn: string, arg: string, x: unknown): boolean {
  if (x === undefined) return false;
  if (typeof x !== 'boolean') throw typeError(fn, arg, x, 'a boolean');
  return x;
}
