// Checks of the library's structured errors: a call that must fail (by throwing or by rejecting)
// and the fields its error carries (class, fn, arg, value), for the pruning cases.
import { check, CheckError, type CaseContext } from './harness.js';

type Lib = CaseContext['lib'];

/** What a refusal must be: its class, function, argument (exact or a pattern) and message. */
export interface Refusal {
  type?: 'ArgumentTypeError' | 'ArgumentRangeError' | 'ComputationError';
  fn?: string;
  arg?: string | RegExp | null;
  message?: RegExp;
}

/**
 * Runs f, which must fail by throwing or by returning a promise that rejects, with an iobs error
 * matching `want`; resolves to the error. `what` names the call in failure messages.
 * @example
 * await refusal(lib, 'eta 2', () => lib.iobs({ eta: 2 }), { type: 'ArgumentRangeError', fn: 'iobs', arg: 'options.eta' });
 */
export async function refusal(lib: Lib, what: string, f: () => unknown, want: Refusal): Promise<Error> {
  let error: unknown = null, resolved = false;
  try {
    await f();
    resolved = true;
  } catch (e) {
    error = e;
  }
  if (resolved) throw new CheckError(`${what}: expected an error, the call succeeded`);
  check(lib.isIobsError(error), () => `${what}: expected an iobs error, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  const e = error as InstanceType<Lib['ArgumentRangeError']> | InstanceType<Lib['ComputationError']>;
  if (want.type) check(e.name === want.type && e instanceof lib[want.type], () => `${what}: ${e.name} (${e.message}), want ${want.type}`);
  if (want.fn !== undefined) check(e.fn === want.fn, () => `${what}: fn ${JSON.stringify(e.fn)}, want ${JSON.stringify(want.fn)} (${e.message})`);
  if (want.arg !== undefined) {
    const ok = want.arg instanceof RegExp ? typeof e.arg === 'string' && want.arg.test(e.arg) : e.arg === want.arg;
    check(ok, () => `${what}: arg ${JSON.stringify(e.arg)}, want ${String(want.arg)} (${e.message})`);
  }
  if (want.message) check(want.message.test(e.message), () => `${what}: message ${JSON.stringify(e.message)} does not match ${want.message}`);
  return e;
}
