// How every iobs command reports an error: one line on stderr, `iobs <command>: <message>`; the
// usage text after it only for a usage mistake; the stack only with --verbose. Exit code 2 for bad
// input (a usage mistake, an ArgumentTypeError/ArgumentRangeError, an input file that cannot be
// read, an output path that cannot be used), 1 for a failed computation (a ComputationError, or
// anything unexpected). A library error names the argument at fault as a path ('options.damp',
// 'stats', 'W'); each command declares which flag sets which argument, and the message names the
// flag and the value as typed, with the library's reason. Nothing here reads an error's message.
import { ArgumentRangeError, ArgumentTypeError, ComputationError, type IobsError } from '../core/errors.js';
import { NpyFormatError } from '../io/npy.js';
import { OutputError, systemReason } from '../io/outputs.js';
import { flagValue, UsageError } from './args.js';

/** Bad input the CLI found itself (an input file that is unreadable or does not fit): exit 2, no usage text. */
export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** A command's table from a library argument path ('options.damp', 'stats') to the flag that sets it ('--damp'). */
export type ArgFlags = Readonly<Record<string, string>>;

/** What error reporting knows of the running command; the command fills in `argFlags` and `typed` once its flags are read. */
export interface CommandContext {
  /** 'prune-layer', 'recover', ...; '' at the top level. */
  readonly command: string;
  /** Printed after a usage mistake. */
  usage: string;
  argFlags: ArgFlags;
  /** The value of each flag as typed ('--damp' → '1e-3'); absent when the flag was not given. */
  typed: Readonly<Record<string, string | undefined>>;
}

/** A new context with empty tables. */
export function commandContext(command: string, usage: string): CommandContext {
  return { command, usage, argFlags: {}, typed: {} };
}

/** The flag values of a parse keyed by the flag as typed ('damp' → '--damp'), strings only. */
export function typedFlags(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(values)) if (typeof v === 'string') out[`--${name}`] = v;
  return out;
}

/** The exit code and the message of an error, and whether the usage text goes with it. */
export interface ErrorReport {
  readonly code: 1 | 2;
  readonly message: string;
  readonly usage: boolean;
}

/**
 * The flag for a library argument path: the table entry for `arg` itself, or else for the
 * longest path it extends ('W[1, 2]' and 'W.data' extend 'W'), with what is left of `arg`
 * ('[1, 2]', '.data'). Null when no entry fits.
 * @example
 * flagForArg('W[1, 2]', { W: '--weight' });   // { flag: '--weight', key: 'W', rest: '[1, 2]' }
 */
export function flagForArg(arg: string | null, table: ArgFlags): { flag: string; key: string; rest: string } | null {
  if (arg === null) return null;
  let best: string | null = null;
  for (const key of Object.keys(table)) {
    const fits = arg === key || (arg.startsWith(key) && (arg[key.length] === '.' || arg[key.length] === '['));
    if (fits && (best === null || key.length > best.length)) best = key;
  }
  return best === null ? null : { flag: table[best], key: best, rest: arg.slice(best.length) };
}

/** `--flag "value"` as typed, or `--flag (default)` when the flag was not given. */
function shownFlag(flag: string, typed: string | undefined): string {
  return typed === undefined ? `${flag} (default)` : flagValue(flag, typed);
}

/** The part of an argument below the flag's, as a name: 'W' + '[1, 2]' → 'W[1, 2]', 'options.pattern' + '.m' → 'm'. */
function subArgument(key: string, rest: string): string {
  if (rest.startsWith('.')) return rest.slice(1);
  const last = key.lastIndexOf('.');
  return `${key.slice(last + 1)}${rest}`;
}

/**
 * The one-line message for a library error, naming the flag behind its argument when the table
 * has it: `--damp "0": expected a positive number` (argument errors), `--hessian "H.npy": H is not
 * positive definite` (computation errors); the library's own message when no flag fits.
 */
export function libraryMessage(err: IobsError, ctx: Pick<CommandContext, 'argFlags' | 'typed'>): string {
  const found = flagForArg(err.arg, ctx.argFlags);
  if (found === null) return err.message;
  const head = shownFlag(found.flag, ctx.typed[found.flag]);
  const what = found.rest === '' ? '' : `${subArgument(found.key, found.rest)}: `;
  return err.kind === 'argument' ? `${head}: ${what}expected ${err.reason}` : `${head}: ${what}${err.reason}`;
}

/**
 * An input file's problem as an InputError naming the flag, the path and the cause
 * (`--hessian "d/": is a directory`, `--weight "w.npy": no such file`), or null when `err` is not
 * a problem of reading a file (an NpyFormatError, or a system error with a known code).
 */
export function inputFileError(flag: string, path: string, err: unknown): InputError | null {
  if (err instanceof NpyFormatError) return new InputError(`${flagValue(flag, path)}: ${err.reason}`, { cause: err });
  const reason = systemReason(err);
  return reason === null ? null : new InputError(`${flagValue(flag, path)}: ${reason}`, { cause: err });
}

/**
 * Runs `read` (a reader of the file given as `flag`); a failure to read the file becomes an
 * InputError naming the flag and the path (see inputFileError); other errors pass unchanged.
 */
export async function readingInput<T>(flag: string, path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw inputFileError(flag, path, err) ?? err;
  }
}

/**
 * Sorts an error into its exit code and one-line message. Usage mistakes (UsageError) come with
 * the usage text; every other error without.
 */
export function errorReport(err: unknown, ctx: Pick<CommandContext, 'argFlags' | 'typed'>): ErrorReport {
  if (err instanceof UsageError) return { code: 2, message: err.message, usage: true };
  if (err instanceof InputError) return { code: 2, message: err.message, usage: false };
  if (err instanceof OutputError) return { code: err.kind === 'argument' ? 2 : 1, message: err.message, usage: false };
  if (err instanceof ArgumentTypeError || err instanceof ArgumentRangeError) return { code: 2, message: libraryMessage(err, ctx), usage: false };
  if (err instanceof ComputationError) return { code: 1, message: libraryMessage(err, ctx), usage: false };
  // A file problem no command wrapped with its flag still exits 2, naming the file.
  if (err instanceof NpyFormatError) return { code: 2, message: `${JSON.stringify(err.source)}: ${err.reason}`, usage: false };
  return { code: 1, message: err instanceof Error ? err.message : String(err), usage: false };
}

/** The stack of an error and of its causes, for --verbose. */
export function stackOf(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 8; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e));
    e = e instanceof Error ? e.cause : undefined;
    if (e !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}

/**
 * What goes to stderr for an error: `iobs <command>: <message>` on one line (`iobs: ...` at the
 * top level; a message's own line breaks become spaces), then the usage text for a usage mistake,
 * then with `verbose` the stack.
 */
export function errorText(command: string, err: unknown, report: ErrorReport, usage: string, verbose: boolean): string {
  const prefix = command === '' ? 'iobs' : `iobs ${command}`;
  let text = `${prefix}: ${report.message.split('\n').join(' ')}\n`;
  if (report.usage) text += usage;
  if (verbose) text += stackOf(err) + '\n';
  return text;
}

/** Flags every command takes, wherever they appear: `--verbose` (stacks on errors). */
export interface GlobalFlags {
  verbose: boolean;
}

/** Takes the global flags out of `args`: `--verbose` anywhere. */
export function takeGlobalFlags(args: readonly string[]): { global: GlobalFlags; rest: string[] } {
  const rest = args.filter((a) => a !== '--verbose');
  return { global: { verbose: rest.length !== args.length }, rest };
}

/**
 * Runs one command: `body` gets the arguments without the global flags and the context to fill in;
 * whatever it throws is reported (errorReport, errorText) and becomes the exit code.
 * @example
 * return runCommand('recover', RECOVER_USAGE, args, async (rest, ctx) => { ... return 0; });
 */
export async function runCommand(
  command: string, usage: string, args: readonly string[], body: (args: string[], ctx: CommandContext, global: GlobalFlags) => Promise<number>,
): Promise<number> {
  const { global, rest } = takeGlobalFlags(args);
  const ctx = commandContext(command, usage);
  try {
    return await body(rest, ctx, global);
  } catch (err) {
    const report = errorReport(err, ctx);
    process.stderr.write(errorText(command, err, report, ctx.usage, global.verbose));
    return report.code;
  }
}
