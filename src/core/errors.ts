// Errors name the function, the argument and the value that was wrong.

/** Short printable form of a value for an error message. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `[${value.slice(0, 6).map(show).join(', ')}${value.length > 6 ? ', …' : ''}]`;
  if (typeof value === 'object' && value !== null && 'rows' in value && 'cols' in value) {
    const m = value as { rows: number; cols: number; dtype?: string };
    return `${m.rows}x${m.cols}${m.dtype ? ' ' + m.dtype : ''} matrix`;
  }
  return Object.prototype.toString.call(value);
}

/** A value of the wrong kind (TypeError), naming function, argument and value. */
export function typeError(fn: string, arg: string, value: unknown, expected: string): TypeError {
  return new TypeError(`${fn}: argument ${arg} must be ${expected}; got ${show(value)}`);
}

/** A value of the right kind out of range or of the wrong shape (RangeError). */
export function rangeError(fn: string, arg: string, value: unknown, expected: string): RangeError {
  return new RangeError(`${fn}: argument ${arg} must be ${expected}; got ${show(value)}`);
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
