// A portable test harness: kernel cases are plain functions that throw on failure, so the same
// cases run under vitest in Node, under Deno, and in a Chromium page. Each runner imports the
// built library (dist/index.js) and hands it to the cases.
import type * as Lib from '../../src/index.js';

export type Library = typeof Lib;
export type Linalg = Lib.Linalg;
export type Matrix = Lib.Matrix;

/** What one case receives: the library, a Linalg on the backend under test, and the float64 oracle. */
export interface CaseContext {
  lib: Library;
  la: Linalg;
  ref: Linalg;
}

export interface Case {
  name: string;
  /** True when the case reaches results only through `await la.read` (it passes on a backend without host access). */
  deviceNeutral?: boolean;
  run(ctx: CaseContext): void | Promise<void>;
}

/** Thrown by the checks; message says what differed. */
export class CheckError extends Error {}

export function check(ok: boolean, message: () => string): void {
  if (!ok) throw new CheckError(message());
}

/** Unit roundoff of a dtype. */
export function eps(dtype: 'float32' | 'float64'): number {
  return dtype === 'float32' ? 2 ** -24 : 2 ** -53;
}

/** Max |a_i - b_i| / scale over two arrays, with index of the worst; NaN anywhere fails. */
export function maxRelDiff(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number> | number): { err: number; at: number } {
  check(got.length === want.length, () => `length ${got.length} != ${want.length}`);
  let err = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i];
    const e = Math.abs(got[i] - want[i]) / (s > 0 ? s : 1);
    if (!(e <= err)) {
      err = Number.isNaN(e) ? Infinity : e;
      at = i;
    }
  }
  return { err, at };
}

/** Checks got ≈ want elementwise within tol·scale; reports the worst element. */
export function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, scale: ArrayLike<number> | number = 1): void {
  const { err, at } = maxRelDiff(got, want, scale);
  check(err <= tol, () => `${what}: error ${err.toExponential(3)} > ${tol.toExponential(3)} at ${at} (got ${got[at]}, want ${want[at]})`);
}

/** Runs f and checks it throws an error whose message matches `pattern`. */
export function expectThrow(f: () => void, pattern: RegExp): void {
  let msg = '';
  try {
    f();
  } catch (e) {
    msg = (e as Error).message;
  }
  check(pattern.test(msg), () => `expected an error matching ${pattern}, got ${JSON.stringify(msg)}`);
}

/** Runs cases with a runner-neutral reporter; returns counts and failures. */
export async function runCases(cases: Case[], ctx: CaseContext, log: (line: string) => void): Promise<{ passed: number; failed: number }> {
  let passed = 0, failed = 0;
  for (const c of cases) {
    try {
      await c.run(ctx);
      passed++;
    } catch (err) {
      failed++;
      log(`FAIL ${ctx.la.backendName} ${c.name}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  }
  return { passed, failed };
}
