// What every iobs command shares when reading its flags: one error type for usage mistakes (the
// command prints it with its usage and exits 2) and readers that name the flag and the value.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line mistake; the message names the flag and the value as typed. */
export class UsageError extends Error {}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;
/** The values parseArgs returns for a strict, positional-free parse with these options. */
export type FlagValues<O extends FlagOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>>['values'];

/**
 * node:util parseArgs, strict and without positionals; its errors become UsageErrors that quote
 * the argument as typed (value included), e.g. `Unknown option '--foo' (argument: "--foo 3")`.
 */
export function parseFlags<O extends FlagOptions>(args: string[], options: O): FlagValues<O> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
    const typed = flag === undefined ? undefined : args.find((a) => a === flag || a.startsWith(flag + '='));
    const at = typed === undefined ? -1 : args.indexOf(typed);
    const shown = typed === undefined ? '' : typed.includes('=') || at + 1 >= args.length || args[at + 1].startsWith('-') ? typed : `${typed} ${args[at + 1]}`;
    throw new UsageError(shown ? `${message} (argument: ${JSON.stringify(shown)})` : message);
  }
}

/** `--flag "value"`, as error messages show a flag with its value. */
export function flagValue(flag: string, value: string): string {
  return `${flag} ${JSON.stringify(value)}`;
}

/** A finite number passing `test`, or undefined when the flag is absent. `flag` includes the dashes. */
export function numberFlag(flag: string, text: string | undefined, test: (x: number) => boolean, expected: string): number | undefined {
  if (text === undefined) return undefined;
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x) || !test(x)) throw new UsageError(`${flagValue(flag, text)}: expected ${expected}`);
  return x;
}

/** An integer in [min, max], or `fallback` when the flag is absent. */
export function integerFlag(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  return numberFlag(flag, text, (x) => Number.isInteger(x) && x >= min && x <= max, `an integer in ${min}..${max}`) ?? fallback;
}

/** One of `choices`, or undefined when the flag is absent. */
export function choiceFlag<C extends string>(flag: string, text: string | undefined, choices: readonly C[]): C | undefined {
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) throw new UsageError(`${flagValue(flag, text)}: expected ${choices.join(', ')}`);
  return text as C;
}

/** A registered backend name, or undefined when --backend is absent. */
export function backendFlag(text: string | undefined, known: readonly string[]): string | undefined {
  if (text !== undefined && !known.includes(text)) throw new UsageError(`${flagValue('--backend', text)}: unknown backend (known: ${known.join(', ')})`);
  return text;
}
