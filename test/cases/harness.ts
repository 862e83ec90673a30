// A portable test harness: kernel cases are plain async functions that throw on failure, so the
// same cases run under vitest in Node, under Deno, and in a Chromium page. Each runner imports
// the built library (dist/index.js) and hands it to the cases.
//
// The library is async: every kernel resolves (validation errors are rejections), results come
// to the host through `await la.read(M)`, values go in through `la.write(M, values)`. Cases that
// touch matrices only that way are device-neutral (Case.deviceNeutral) and also run on the strict
// backend (strict-backend.ts), which throws on any other host access and counts every read.
import type * as Lib from '../../src/index.js';
import type { StrictBackend } from './strict-backend.js';

export type Library = typeof Lib;
export type Linalg = Lib.Linalg;
export type Matrix = Lib.Matrix;
/** A keep-mask (uint8), counts (int32) or any other storage dtype. */
export type AnyMatrix = Lib.Matrix<any>;
export type MaskRule = Lib.MaskRule;

/** What one case receives: the library, a Linalg on the backend under test, and the float64 oracle. */
export interface CaseContext {
  lib: Library;
  la: Linalg;
  ref: Linalg;
  /** The strict backend behind `la` on the strict run (its read counters), null on every other run. */
  strict: StrictBackend | null;
}

export interface Case {
  name: string;
  /**
   * True when the case reaches matrix values only through la.read / la.write (no Matrix.data,
   * get, set, assign, toArray, no matrices of another backend): it then also runs on the strict
   * backend.
   */
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

/**
 * On the strict run, checks that no read since `ctx.strict.resetReads()` returned more than
 * `limit` elements (e.g. rows + cols while an algorithm ran); on every other run it does nothing.
 * @example
 * ctx.strict?.resetReads();
 * const out = await lib.iobs(la, W, H, pattern);
 * checkReads(ctx, W.rows + W.cols, 'iobs');
 */
export function checkReads(ctx: CaseContext, limit: number, what: string): void {
  if (ctx.strict === null) return;
  const r = ctx.strict.reads();
  check(r.largest <= limit, () => `${what}: a read of ${r.largest} elements > ${limit} (reads: ${r.sizes.slice(0, 20).join(', ')}${r.sizes.length > 20 ? ', …' : ''})`);
}

// ---- expected errors ----------------------------------------------------------------------------

/** An expectation that must be awaited; runCase fails a case that left one un-awaited. */
interface Expectation extends PromiseLike<void> {
  awaited: boolean;
  /** Where it was made (a stack line), for the report. */
  where: string;
}

/** Expectations made by the case now running. */
const made: Expectation[] = [];

function caller(): string {
  const lines = (new Error().stack ?? '').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('at '));
  return lines.find((l) => !/harness\.[tj]s/.test(l)) ?? lines[0] ?? '(unknown place)';
}

/** Wraps an async check so that awaiting it is recorded (an un-awaited check can never fail). */
function expectation(body: () => Promise<void>): PromiseLike<void> {
  const settled = body();
  settled.catch(() => {}); // reported through runCase when nobody awaits it
  const e: Expectation = {
    awaited: false,
    where: caller(),
    then(onFulfilled, onRejected) {
      e.awaited = true;
      return settled.then(onFulfilled, onRejected);
    },
  };
  made.push(e);
  return e;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function checkMessage(pattern: RegExp, msg: string | null): void {
  check(msg !== null && pattern.test(msg), () => msg === null ? `expected an error matching ${pattern}; nothing was thrown` : `expected an error matching ${pattern}, got ${JSON.stringify(msg)}`);
}

/**
 * Runs f and checks it fails with an error whose message matches `pattern`, by throwing or by
 * returning a promise that rejects. Must be awaited: `await expectThrow(() => la.matrix(-1, 2), /rows/)`.
 */
export function expectThrow(f: () => unknown, pattern: RegExp): PromiseLike<void> {
  return expectation(async () => {
    let msg: string | null = null;
    try {
      await f();
    } catch (e) {
      msg = messageOf(e);
    }
    checkMessage(pattern, msg);
  });
}

/**
 * Runs f and checks it returns a promise that rejects with an error matching `pattern` (an async
 * kernel refuses its arguments by rejecting, never by throwing at the call). Must be awaited:
 * `await expectReject(() => la.sgemm(A, B, C), /sgemm: argument B/)`.
 */
export function expectReject(f: () => PromiseLike<unknown>, pattern: RegExp): PromiseLike<void> {
  return expectation(async () => {
    let result: PromiseLike<unknown>;
    try {
      result = f();
    } catch (e) {
      throw new CheckError(`expected a rejected promise matching ${pattern}; the call threw at once: ${JSON.stringify(messageOf(e))}`);
    }
    check(result !== null && typeof result === 'object' && typeof result.then === 'function', () => `expected a promise matching ${pattern}; got ${String(result)}`);
    let msg: string | null = null;
    try {
      await result;
    } catch (e) {
      msg = messageOf(e);
    }
    checkMessage(pattern, msg);
  });
}

// ---- running --------------------------------------------------------------------------------

/** Runs one case; also fails it when it made an expectThrow / expectReject it did not await. */
export async function runCase(c: Case, ctx: CaseContext): Promise<void> {
  made.length = 0;
  await c.run(ctx);
  const lost = made.filter((e) => !e.awaited);
  made.length = 0;
  check(lost.length === 0, () => `${lost.length} expectThrow/expectReject not awaited (they cannot fail): ${lost.map((e) => e.where).join('; ')}`);
}

/** The cases a run on `backend` takes: all of them, or on the strict backend the device-neutral ones. */
export function casesFor(cases: readonly Case[], backend: string): Case[] {
  return backend === 'strict' ? cases.filter((c) => c.deviceNeutral === true) : [...cases];
}

/** Runs cases with a runner-neutral reporter; returns counts and failures. */
export async function runCases(cases: Case[], ctx: CaseContext, log: (line: string) => void): Promise<{ passed: number; failed: number }> {
  let passed = 0, failed = 0;
  for (const c of cases) {
    try {
      await runCase(c, ctx);
      passed++;
    } catch (err) {
      failed++;
      log(`FAIL ${ctx.la.backendName} ${c.name}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  }
  return { passed, failed };
}
