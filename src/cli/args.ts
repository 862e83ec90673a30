// What every iobs command shares when reading its flags: one error type for usage mistakes (the
// command prints it with its usage and exits 2) and readers that name the flag and the value as
// typed. Numbers are plain decimal; a misspelled flag or choice gets the closest known name.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../core/errors.js';

/** A command-line mistake; the message names the flag and the value as typed. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;
/** The values parseArgs returns for a strict, positional-free parse with these options. */
export type FlagValues<O extends FlagOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>>['values'];

/** `--flag "value"`, as error messages show a flag with its value. */
export function flagValue(flag: string, value: string): string {
  return `${flag} ${JSON.stringify(value)}`;
}

/** True for text that reads as a negative number (`-1`, `-0.5`, `-.5`, `-1e-3`): a value, not a flag. */
export function looksNegative(text: string): boolean {
  return text.length > 1 && text[0] === '-' && ((text[1] >= '0' && text[1] <= '9') || (text[1] === '.' && text.length > 2 && text[2] >= '0' && text[2] <= '9'));
}

type Token = NonNullable<ReturnType<typeof parseArgs<{ args: string[]; options: FlagOptions; strict: false; allowPositionals: true; tokens: true }>>['tokens']>[number];

/** The usage mistake in one token, or null: an unknown flag, a missing or unwanted value, a stray argument. */
function tokenProblem(t: Token, args: readonly string[], options: FlagOptions): string | null {
  if (t.kind === 'positional') return `unexpected argument ${JSON.stringify(t.value)} (every value goes after its flag, as in --flag VALUE)`;
  if (t.kind === 'option-terminator') return 'unexpected "--"';
  const known = Object.keys(options);
  const spec = options[t.name];
  const isShort = !t.rawName.startsWith('--');
  if (spec === undefined || (isShort && spec.short !== t.rawName.slice(1))) {
    const flags = known.map((k) => `--${k}`);
    // `-k` for `--k`: the long flag exists, only the dashes are wrong.
    const guess = isShort && spec !== undefined ? `; did you mean '--${t.name}'?` : didYouMean(t.rawName, flags);
    return `unknown flag ${JSON.stringify(isShort ? t.rawName : args[t.index])}${guess}`;
  }
  if (spec.type === 'boolean') return t.value === undefined ? null : `${t.rawName} takes no value (got ${JSON.stringify(t.value)})`;
  if (t.value === undefined) return `${t.rawName} needs a value`;
  if (!t.inlineValue && t.value.startsWith('-') && !looksNegative(t.value)) {
    return `${t.rawName} needs a value, got the flag ${JSON.stringify(t.value)} (for a value that starts with '-', write ${t.rawName}=VALUE)`;
  }
  return null;
}

/**
 * Reads flags with node:util parseArgs, allowing no positionals; every mistake is a UsageError
 * that quotes what was typed: an unknown flag (with the closest known one: `unknown flag
 * "--damb"; did you mean '--damp'?`), a flag without its value, a flag given twice. A value that
 * reads as a negative number is taken as the value (`--k -1` is k = "-1", for its reader to
 * judge); any other value that starts with '-' must be written `--flag=VALUE`.
 */
export function parseFlags<O extends FlagOptions>(args: string[], options: O): FlagValues<O> {
  const { values, tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const seen = new Map<string, string>();
  for (const t of tokens) {
    const problem = tokenProblem(t, args, options);
    if (problem !== null) throw new UsageError(problem);
    if (t.kind === 'option' && !options[t.name].multiple) {
      const shown = t.value === undefined ? t.rawName : flagValue(t.rawName, t.value);
      const before = seen.get(t.name);
      if (before !== undefined) throw new UsageError(`--${t.name} is given twice (${before}, then ${shown}); give it once`);
      seen.set(t.name, shown);
    }
  }
  return values as FlagValues<O>;
}

/** Plain decimal integer text: an optional sign and digits, nothing else (no spaces, 0x, exponent). */
export function isDecimalInteger(text: string): boolean {
  let i = text[0] === '-' || text[0] === '+' ? 1 : 0;
  if (i === text.length) return false;
  for (; i < text.length; i++) if (text[i] < '0' || text[i] > '9') return false;
  return true;
}

/** Plain decimal number text: an optional sign, digits with an optional fraction, an optional exponent (`1e-3`). */
export function isDecimalNumber(text: string): boolean {
  let i = text[0] === '-' || text[0] === '+' ? 1 : 0;
  let digits = 0;
  for (; i < text.length && text[i] >= '0' && text[i] <= '9'; i++) digits++;
  if (text[i] === '.') for (i++; i < text.length && text[i] >= '0' && text[i] <= '9'; i++) digits++;
  if (digits === 0) return false;
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '-' || text[i] === '+') i++;
    const start = i;
    for (; i < text.length && text[i] >= '0' && text[i] <= '9'; i++);
    if (i === start) return false;
  }
  return i === text.length;
}

/**
 * A real number passing `test`, or undefined when the flag is absent; the text must be plain
 * decimal (`0.01`, `1e-3`; not `0x10`, ` 3` or `Infinity`). `flag` includes the dashes.
 */
export function numberFlag(flag: string, text: string | undefined, test: (x: number) => boolean, expected: string): number | undefined {
  if (text === undefined) return undefined;
  const x = Number(text);
  if (!isDecimalNumber(text) || !Number.isFinite(x) || !test(x)) {
    const hint = !isDecimalNumber(text) && text.trim() !== '' && Number.isFinite(x) ? ', in plain decimal' : '';
    throw new UsageError(`${flagValue(flag, text)}: expected ${expected}${hint}`);
  }
  return x;
}

/**
 * An integer passing `test`, or undefined when the flag is absent; the text must be plain decimal
 * digits (`3`; not `0x3`, `1e1`, `3.0` or ` 3`).
 */
export function intFlag(flag: string, text: string | undefined, test: (x: number) => boolean, expected: string): number | undefined {
  if (text === undefined) return undefined;
  const x = Number(text);
  if (!isDecimalInteger(text) || !Number.isSafeInteger(x) || !test(x)) {
    const hint = !isDecimalInteger(text) && text.trim() !== '' && Number.isInteger(x) ? ', in plain decimal digits' : '';
    throw new UsageError(`${flagValue(flag, text)}: expected ${expected}${hint}`);
  }
  return x;
}

/** An integer in [min, max], or `fallback` when the flag is absent. */
export function integerFlag(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  return intFlag(flag, text, (x) => x >= min && x <= max, `an integer in ${min}..${max}`) ?? fallback;
}

/**
 * One of `choices`, or undefined when the flag is absent. The message lists the choices and
 * suggests the closest: `--method "sparsgpt": unknown method (known: ...); did you mean 'sparsegpt'?`
 * (with `noun`), else `--dtype "float16": expected float32 or float64`.
 */
export function choiceFlag<C extends string>(flag: string, text: string | undefined, choices: readonly C[], noun?: string): C | undefined {
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) {
    const what = noun === undefined ? `expected ${choiceList(choices)}` : `unknown ${noun} (known: ${choices.join(', ')})`;
    throw new UsageError(`${flagValue(flag, text)}: ${what}${didYouMean(text, choices)}`);
  }
  return text as C;
}

/** "a, b or c". */
function choiceList(choices: readonly string[]): string {
  return choices.length <= 1 ? choices.join('') : `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
}

/**
 * A comma-separated list of names from `known` (and `extra`), at least one; an unknown name is
 * an error naming the flag, the list as typed and the name, with the closest known name.
 */
export function listFlag(flag: string, text: string, known: readonly string[], noun = 'name', extra: readonly string[] = []): string[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new UsageError(`${flagValue(flag, text)}: expected a comma-separated list`);
  const all = [...known, ...extra];
  for (const name of names) {
    if (!all.includes(name)) {
      throw new UsageError(`${flagValue(flag, text)}: unknown ${noun} ${JSON.stringify(name)} (known: ${all.join(', ')})${didYouMean(name, all)}`);
    }
  }
  return names;
}

/** The usage text of --backend: the registered names and the default. */
export function backendHelp(known: readonly string[]): string {
  return `${known.join(', ')} (default: the best Wasm build; webgpu only when named)`;
}

/** A registered backend name, or undefined when --backend is absent. */
export function backendFlag(text: string | undefined, known: readonly string[]): string | undefined {
  return choiceFlag('--backend', text, known, 'backend');
}
