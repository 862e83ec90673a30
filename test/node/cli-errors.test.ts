// The CLI's handling of bad input, through the built CLI (dist/cli.js) and, where a case cannot be
// made from outside (a directory root may not write to, a rename failing midway, a ComputationError
// no input provokes yet), through the functions behind it: outputs checked before any work and
// written all or nothing (src/io/outputs.ts), inputs from pipes and file errors naming the flag
// (src/io/files.ts, src/io/npy-rows.ts), flag parsing (src/cli/args.ts), and one-line reports with
// the right exit code (src/cli/errors.ts).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as lib from '../../dist/index.js';
import { ArgumentRangeError, ArgumentTypeError, ComputationError } from '../../src/core/errors.js';
import { isDecimalInteger, isDecimalNumber, looksNegative, parseFlags, UsageError } from '../../src/cli/args.js';
import { errorReport, errorText, flagForArg, InputError, libraryMessage, takeGlobalFlags } from '../../src/cli/errors.js';
import { checkOutputs, OutputError, OutputTransaction, outputProblem, pathFacts } from '../../src/io/outputs.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'iobs-cli-errors-'));
const at = (...names: string[]) => join(dir, ...names);

/** Runs the CLI in `dir`; `input` feeds its stdin. */
function iobs(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, cwd: dir, input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Temporary files (`.name.pid.random.tmp`) left in a directory. */
const temps = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

// A 6 x 8 layer with 40 samples of its inputs; H = XᵀX; a recovery problem 20 x 6.
const R = 6, C = 8, N = 40;
const rand = rng(7);
const W = Float32Array.from({ length: R * C }, rand);
const X = Float32Array.from({ length: N * C }, () => rand() + 0.2);
const H = new Float64Array(C * C);
for (let p = 0; p < N; p++) for (let i = 0; i < C; i++) for (let j = 0; j < C; j++) H[i * C + j] += X[p * C + i] * X[p * C + j];
const wBytes = lib.formatNpy(W, [R, C]), xBytes = lib.formatNpy(X, [N, C]);
writeFileSync(at('W.npy'), wBytes);
writeFileSync(at('X.npy'), xBytes);
writeFileSync(at('H.npy'), lib.formatNpy(H, [C, C]));
// W cut in the middle of its data: a 128-byte header and 100 of its 192 bytes of data.
writeFileSync(at('Wcut.npy'), wBytes.subarray(0, 228));
// A symmetric H with a unit diagonal and huge off-diagonal entries: valid input, but the pruning
// cannot give a finite relative error (the failure comes after the output was prepared).
const Hbad = new Float32Array(C * C).map((_, i) => (Math.floor(i / C) === i % C ? 1 : 1e6));
writeFileSync(at('Hbad.npy'), lib.formatNpy(Hbad, [C, C]));
const n = 20, d = 6;
const A = Float64Array.from({ length: n * d }, rand);
const y = Float64Array.from({ length: n }, rand);
writeFileSync(at('A.npy'), lib.formatNpy(A, [n, d]));
writeFileSync(at('y.npy'), lib.formatNpy(y, [n]));
mkdirSync(at('sub'));

const prune = ['prune-layer', '--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '0.5'];
const solve = ['recover', '--A', 'A.npy', '--y', 'y.npy', '--k', '3', '--method', 'kiht', '--steps', '5'];

/** The last line of stderr, which is the error line. */
const lastLine = (s: string) => s.trimEnd().split('\n').at(-1) ?? '';

/** The exit code the CLI owes a library failure: 2 for an argument error, 1 for anything else. */
async function codeFor(run: () => unknown): Promise<number> {
  try {
    await run();
  } catch (e) {
    return lib.isIobsError(e) && e.kind === 'argument' ? 2 : 1;
  }
  throw new Error('expected the library call to fail');
}

const children: ChildProcess[] = [];
/** A FIFO at `path` that a child process fills with `bytes` once a reader opens it. */
function fifo(path: string, bytes: Uint8Array): ChildProcess {
  execFileSync('mkfifo', [path]);
  const source = path + '.src';
  writeFileSync(source, bytes);
  const child = spawn(process.execPath, ['-e', `require('fs').writeFileSync(${JSON.stringify(path)}, require('fs').readFileSync(${JSON.stringify(source)}))`], { stdio: 'ignore' });
  children.push(child);
  return child;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('outputs are checked before any work', () => {
  it('--out into a missing directory: exit 2, naming --out and the directory; nothing written', () => {
    const r = iobs([...prune, '--out', 'nowhere/W2.npy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('iobs prune-layer: --out "nowhere/W2.npy": directory "nowhere" does not exist\n');
    expect(existsSync(at('nowhere'))).toBe(false);
  });

  it('--out onto a directory: exit 2, "is a directory"; the directory untouched', () => {
    const r = iobs([...prune, '--out', 'sub']);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toBe('iobs prune-layer: --out "sub": is a directory');
    expect(statSync(at('sub')).isDirectory()).toBe(true);
    expect(readdirSync(at('sub'))).toEqual([]);
  });

  it('--out onto an input by path, through a symlink and as a hard link: exit 2, even with --force; the input unchanged', () => {
    symlinkSync(at('W.npy'), at('W-link.npy'));
    linkSync(at('H.npy'), at('H-hard.npy'));
    const hBefore = readFileSync(at('H.npy'));
    for (const [out, input] of [['W.npy', '--weight "W.npy"'], ['W-link.npy', '--weight "W.npy"'], ['H-hard.npy', '--hessian "H.npy"']]) {
      for (const force of [[], ['--force']]) {
        const r = iobs([...prune, '--out', out, ...force]);
        expect(r.code, `${out} ${force}`).toBe(2);
        expect(lastLine(r.stderr)).toBe(`iobs prune-layer: --out "${out}" is the input ${input}; refusing to overwrite an input`);
      }
    }
    expect(readFileSync(at('W.npy')).equals(Buffer.from(wBytes))).toBe(true);
    expect(readFileSync(at('H.npy')).equals(hBefore)).toBe(true);
    expect(temps(dir)).toEqual([]);
  });

  it('an existing --out without --force: exit 2, the file unchanged; with --force: replaced', () => {
    writeFileSync(at('old.npy'), 'old contents');
    const r = iobs([...prune, '--out', 'old.npy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('iobs prune-layer: --out "old.npy" exists; pass --force to replace it\n');
    expect(readFileSync(at('old.npy'), 'utf8')).toBe('old contents');
    const f = iobs([...prune, '--out', 'old.npy', '--force']);
    expect(f.code, f.stderr).toBe(0);
    expect(lib.parseNpy(new Uint8Array(readFileSync(at('old.npy')))).shape).toEqual([R, C]);
    expect(temps(dir)).toEqual([]);
  });

  it('recover --trace into a missing directory: exit 2, naming --trace; neither --out nor --trace written', () => {
    const r = iobs([...solve, '--out', 'x-never.npy', '--trace', 'missing/trace.csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('iobs recover: --trace "missing/trace.csv": directory "missing" does not exist\n');
    expect(existsSync(at('x-never.npy'))).toBe(false);
    expect(temps(dir)).toEqual([]);
  });

  it('an existing --trace without --force: exit 2 before the solve, and --out is not written either', () => {
    writeFileSync(at('t-old.csv'), 'old');
    const r = iobs([...solve, '--out', 'x-none.npy', '--trace', 't-old.csv']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('iobs recover: --trace "t-old.csv" exists; pass --force to replace it\n');
    expect(existsSync(at('x-none.npy'))).toBe(false);
    expect(readFileSync(at('t-old.csv'), 'utf8')).toBe('old');
  });

  // Root passes every permission check, so a read-only directory proves nothing as root; the
  // check itself is tested below with an injected access function.
  it.skipIf(process.getuid?.() === 0)('--out into a read-only directory: exit 2, "not writable" (not as root)', () => {
    mkdirSync(at('ro'));
    chmodSync(at('ro'), 0o555);
    try {
      const r = iobs([...prune, '--out', 'ro/W2.npy']);
      expect(r.code).toBe(2);
      expect(lastLine(r.stderr)).toBe('iobs prune-layer: --out "ro/W2.npy": directory "ro" is not writable');
    } finally {
      chmodSync(at('ro'), 0o755);
    }
  });

  it('an unwritable directory is refused before any work (checkOutputs with an injected access function)', async () => {
    const denied = async (d: string) => {
      if (d === at('sub')) throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    const outs = [{ name: '--out', path: at('sub', 'W2.npy') }];
    await expect(checkOutputs(outs, { access: denied })).rejects.toThrow(`--out ${JSON.stringify(at('sub', 'W2.npy'))}: directory ${JSON.stringify(at('sub'))} is not writable`);
    await expect(checkOutputs(outs, { access: denied })).rejects.toBeInstanceOf(OutputError);
    await expect(checkOutputs([{ name: '--out', path: at('W2.npy') }], { access: denied })).resolves.toHaveLength(1);
    // The pure check on the facts, and that the facts see what the access function says.
    const facts = await pathFacts(at('sub', 'W2.npy'), denied);
    expect(facts.dirWritable).toBe(false);
    expect(outputProblem(facts, true)?.reason).toMatch(/is not writable/);
    expect(outputProblem({ ...facts, dirWritable: true }, true)).toBeNull();
  });

  it('a pruning that fails after the output was prepared leaves neither the output nor a temporary file', () => {
    const la = lib.init();
    return la.then(async (la) => {
      const Wm = la.fromArray(W, R, C, 'float32'), Hm = la.fromArray(Hbad, C, C, 'float32');
      const want = await codeFor(() => lib.pruneLayer(la, Wm, Hm, { pruner: lib.magnitude(), pattern: { kind: 'unstructured', sparsity: 0.5 } }));
      mkdirSync(at('fail'));
      const r = iobs(['prune-layer', '--weight', 'W.npy', '--hessian', 'Hbad.npy', '--method', 'magnitude', '--sparsity', '0.5', '--out', 'fail/W2.npy']);
      expect(r.code).toBe(want);
      expect(lastLine(r.stderr)).toMatch(/^iobs prune-layer: /);
      expect(readdirSync(at('fail'))).toEqual([]);
    });
  });

  it('an input stream that ends early fails after the output was prepared: exit 2, naming --inputs; nothing left', async () => {
    mkdirSync(at('cut'));
    const writer = fifo(at('cut-X.fifo'), xBytes.subarray(0, xBytes.length - 20));
    const r = iobs(['prune-layer', '--weight', 'W.npy', '--inputs', 'cut-X.fifo', '--method', 'wanda', '--sparsity', '0.5', '--out', 'cut/W2.npy']);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toBe(`iobs prune-layer: --inputs "cut-X.fifo": truncated: header says ${N}x${C} float32 (${N * C * 4} bytes of data), file has ${N * C * 4 - 20}`);
    expect(readdirSync(at('cut'))).toEqual([]);
    writer.kill();
  });

  it('a rename that fails midway undoes the outputs already renamed, restoring the file one replaced', async () => {
    const d = at('tx');
    mkdirSync(d);
    mkdirSync(join(d, 'b'));
    writeFileSync(join(d, 'a.txt'), 'old a');
    const tx = await OutputTransaction.begin([{ name: '--a', path: join(d, 'a.txt') }, { name: '--b', path: join(d, 'b', 'b.txt') }], { force: true });
    await tx.write('--a', new TextEncoder().encode('new a'));
    await tx.write('--b', new TextEncoder().encode('new b'));
    for (const t of temps(join(d, 'b'))) unlinkSync(join(d, 'b', t)); // the second rename now fails
    await expect(tx.commit()).rejects.toThrow(`--b ${JSON.stringify(join(d, 'b', 'b.txt'))}: cannot move the finished file into place: no such file`);
    await tx.abort();
    expect(readFileSync(join(d, 'a.txt'), 'utf8')).toBe('old a');
    expect(readdirSync(d).sort()).toEqual(['a.txt', 'b']);
    expect(readdirSync(join(d, 'b'))).toEqual([]);
  });
});

describe('inputs: pipes, and file errors that name the flag', () => {
  it('a directory as --hessian: exit 2, `--hessian "sub/": is a directory`', () => {
    const r = iobs(['prune-layer', '--weight', 'W.npy', '--hessian', 'sub/', '--method', 'wanda', '--sparsity', '0.5', '--out', 'never1.npy']);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toBe('iobs prune-layer: --hessian "sub/": is a directory');
    expect(existsSync(at('never1.npy'))).toBe(false);
  });

  it('a missing --weight: exit 2, `--weight "nope.npy": no such file`', () => {
    const r = iobs(['prune-layer', '--weight', 'nope.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '0.5', '--out', 'never2.npy']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('iobs prune-layer: --weight "nope.npy": no such file\n');
  });

  it('a truncated --weight: exit 2, naming the shape, the bytes the header promises and the bytes there are', () => {
    const r = iobs(['prune-layer', '--weight', 'Wcut.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '0.5', '--out', 'never3.npy']);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toBe(`iobs prune-layer: --weight "Wcut.npy": truncated: header says ${R}x${C} float32 (${R * C * 4} bytes of data), file has 100`);
    expect(existsSync(at('never3.npy'))).toBe(false);
  });

  it('--inputs and --weight from FIFOs written by another process give what the files give', () => {
    const ref = iobs(['prune-layer', '--weight', 'W.npy', '--inputs', 'X.npy', '--method', 'wanda', '--pattern', '2:4', '--out', 'ref.npy']);
    expect(ref.code, ref.stderr).toBe(0);
    fifo(at('X.fifo'), xBytes);
    fifo(at('W.fifo'), wBytes);
    const r = iobs(['prune-layer', '--weight', 'W.fifo', '--inputs', 'X.fifo', '--method', 'wanda', '--pattern', '2:4', '--out', 'fifo.npy']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/inputs 40\/40 rows/);
    expect(readFileSync(at('fifo.npy')).equals(readFileSync(at('ref.npy')))).toBe(true);
    expect(readFileSync(at('X.npy')).equals(Buffer.from(xBytes))).toBe(true);
  });

  it('--inputs, --weight and recover --A from /dev/stdin fed by the parent', () => {
    const ref = iobs(['prune-layer', '--weight', 'W.npy', '--inputs', 'X.npy', '--method', 'wanda', '--sparsity', '0.5', '--out', 'ref2.npy']);
    expect(ref.code, ref.stderr).toBe(0);
    const a = iobs(['prune-layer', '--weight', 'W.npy', '--inputs', '/dev/stdin', '--method', 'wanda', '--sparsity', '0.5', '--out', 'stdin-x.npy'], xBytes);
    expect(a.code, a.stderr).toBe(0);
    expect(readFileSync(at('stdin-x.npy')).equals(readFileSync(at('ref2.npy')))).toBe(true);
    const b = iobs(['prune-layer', '--weight', '/dev/stdin', '--inputs', 'X.npy', '--method', 'wanda', '--sparsity', '0.5', '--out', 'stdin-w.npy'], wBytes);
    expect(b.code, b.stderr).toBe(0);
    expect(readFileSync(at('stdin-w.npy')).equals(readFileSync(at('ref2.npy')))).toBe(true);
    const c = iobs(['recover', '--A', '/dev/stdin', '--y', 'y.npy', '--k', '3', '--method', 'kiht', '--steps', '5', '--out', 'stdin-A.npy'], lib.formatNpy(A, [n, d]));
    expect(c.code, c.stderr).toBe(0);
    expect(lib.parseNpy(new Uint8Array(readFileSync(at('stdin-A.npy')))).shape).toEqual([d]);
  });

  it('figure1 --mnist with images that are not gzip or not IDX: exit 2, naming --mnist; no --out', () => {
    mkdirSync(at('mnist'));
    const images = at('mnist', 't10k-images-idx3-ubyte.gz');
    writeFileSync(images, 'plain text');
    const a = iobs(['figure1', '--settings', 'mnist', '--mnist', 'mnist', '--out', 'never9.svg']);
    expect(a.code).toBe(2);
    expect(lastLine(a.stderr)).toBe('iobs figure1: --mnist "mnist": t10k-images-idx3-ubyte.gz is not valid gzip data');
    writeFileSync(images, execFileSync('gzip', ['-c'], { input: 'not idx' }));
    const b = iobs(['figure1', '--settings', 'mnist', '--mnist', 'mnist', '--out', 'never9.svg']);
    expect(b.code).toBe(2);
    expect(lastLine(b.stderr)).toBe('iobs figure1: --mnist "mnist": t10k-images-idx3-ubyte.gz: expected IDX data (magic 0x0000)');
    expect(existsSync(at('never9.svg'))).toBe(false);
    expect(temps(dir)).toEqual([]);
  });

  it('garbage on /dev/stdin as --inputs: exit 2, naming --inputs and the cause', () => {
    const r = iobs(['prune-layer', '--weight', 'W.npy', '--inputs', '/dev/stdin', '--method', 'wanda', '--sparsity', '0.5', '--out', 'never4.npy'], new TextEncoder().encode('not numpy at all'));
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/^iobs prune-layer: --inputs "\/dev\/stdin": not a \.npy file: bad magic/);
  });
});

describe('flags', () => {
  it('--k -1 is read as the value of --k: exit 2, naming the flag and the value', () => {
    const r = iobs(['recover', '--A', 'A.npy', '--y', 'y.npy', '--k', '-1', '--method', 'kiht', '--out', 'never5.npy']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('iobs recover: --k "-1": expected an integer ≥ 1');
  });

  it('numbers are plain decimal: --k 0x3, --k 1e1, --k " 3", --damp 0x10 are errors naming the flag; --damp 1e-3 is fine', () => {
    const cases: [string[], string][] = [
      [['--k', '0x3'], '--k "0x3": expected an integer ≥ 1, in plain decimal digits'],
      [['--k', '1e1'], '--k "1e1": expected an integer ≥ 1, in plain decimal digits'],
      [['--k', ' 3'], '--k " 3": expected an integer ≥ 1, in plain decimal digits'],
      [['--k', '3', '--damp', '0x10'], '--damp "0x10": expected a number ≥ 0, in plain decimal'],
      [['--k', '3', '--damp', 'Infinity'], '--damp "Infinity": expected a number ≥ 0'],
    ];
    for (const [flags, message] of cases) {
      const r = iobs(['recover', '--A', 'A.npy', '--y', 'y.npy', '--method', 'kiht', ...flags, '--out', 'never6.npy']);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(`iobs recover: ${message}`);
    }
    const ok = iobs(['recover', '--A', 'A.npy', '--y', 'y.npy', '--method', 'kiht', '--k', '3', '--steps', '3', '--damp', '1e-3', '--out', 'damp.npy', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(lastLine(ok.stdout)).dampUsed).toBe(0.001);
    expect(existsSync(at('never6.npy'))).toBe(false);
  });

  it('a misspelled --method, flag or command suggests the closest name', () => {
    const m = iobs(['prune-layer', '--weight', 'W.npy', '--hessian', 'H.npy', '--method', 'sparsgpt', '--sparsity', '0.5', '--out', 'never7.npy']);
    expect(m.code).toBe(2);
    expect(m.stderr.split('\n')[0]).toBe(`iobs prune-layer: --method "sparsgpt": unknown method (known: ${lib.METHODS.join(', ')}); did you mean 'sparsegpt'?`);
    const r = iobs(['recover', '--A', 'A.npy', '--y', 'y.npy', '--k', '3', '--method', 'topk-obs', '--out', 'never7.npy']);
    expect(r.stderr.split('\n')[0]).toBe('iobs recover: --method "topk-obs": unknown method (known: kiht, topk-iobs, iobs); did you mean \'topk-iobs\'?');
    const f = iobs([...prune, '--out', 'never7.npy', '--damb', '0.1']);
    expect(f.code).toBe(2);
    expect(f.stderr.split('\n')[0]).toBe('iobs prune-layer: unknown flag "--damb"; did you mean \'--damp\'?');
    const c = iobs(['prune-layr']);
    expect(c.code).toBe(2);
    expect(c.stderr.split('\n')[0]).toBe('iobs: unknown command "prune-layr"; did you mean \'prune-layer\'?');
    const s = iobs(['recover', '--A', 'A.npy', '--y', 'y.npy', '--k', '3', '--method', 'iobs', '--selection', 'greddy', '--out', 'never7.npy']);
    expect(s.stderr.split('\n')[0]).toBe('iobs recover: --selection "greddy": expected greedy or oneshot; did you mean \'greedy\'?');
    expect(existsSync(at('never7.npy'))).toBe(false);
  });

  it('parseFlags: values, negative numbers, missing values, repeats, strays', () => {
    const options = { k: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } as const;
    expect(parseFlags(['--k', '-1'], options)).toMatchObject({ k: '-1', json: false });
    expect(parseFlags(['--k', '-.5', '--json'], options)).toMatchObject({ k: '-.5', json: true });
    expect(parseFlags(['-h'], options)).toMatchObject({ help: true });
    const bad: [string[], string][] = [
      [['--k'], '--k needs a value'],
      [['--k', '--json'], `--k needs a value, got the flag "--json" (for a value that starts with '-', write --k=VALUE)`],
      [['--json=1'], '--json takes no value (got "1")'],
      [['--k', '1', '--k', '2'], '--k is given twice (--k "1", then --k "2"); give it once'],
      [['3'], 'unexpected argument "3" (every value goes after its flag, as in --flag VALUE)'],
      [['-k', '3'], `unknown flag "-k"; did you mean '--k'?`],
      [['--jsn'], `unknown flag "--jsn"; did you mean '--json'?`],
    ];
    for (const [args, message] of bad) {
      expect(() => parseFlags(args, options), args.join(' ')).toThrow(new UsageError(message));
    }
  });

  it('plain decimal numbers', () => {
    for (const t of ['0', '3', '-1', '+7', '007']) expect(isDecimalInteger(t), t).toBe(true);
    for (const t of ['', '-', ' 3', '3 ', '0x3', '1e1', '3.0', '1_000', '٣']) expect(isDecimalInteger(t), t).toBe(false);
    for (const t of ['0', '1e-3', '1E+3', '.5', '5.', '-0.25', '+2']) expect(isDecimalNumber(t), t).toBe(true);
    for (const t of ['', '.', 'e3', '1e', '0x10', 'Infinity', 'NaN', ' 1', '1 ', '0b1', '1e3.5']) expect(isDecimalNumber(t), t).toBe(false);
    for (const t of ['-1', '-0.5', '-.5']) expect(looksNegative(t), t).toBe(true);
    for (const t of ['-', '--k', '-k', '-.', '-e3']) expect(looksNegative(t), t).toBe(false);
  });
});

describe('error reports', () => {
  it('one line on stderr without a stack; with --verbose (anywhere, before the command too) the stack', () => {
    const plain = iobs([...prune, '--out', 'nope/W2.npy']);
    expect(plain.code).toBe(2);
    expect(plain.stderr.split('\n')).toEqual(['iobs prune-layer: --out "nope/W2.npy": directory "nope" does not exist', '']);
    for (const args of [[...prune, '--out', 'nope/W2.npy', '--verbose'], ['--verbose', ...prune, '--out', 'nope/W2.npy']]) {
      const v = iobs(args);
      expect(v.code).toBe(2);
      const lines = v.stderr.split('\n');
      expect(lines[0]).toBe('iobs prune-layer: --out "nope/W2.npy": directory "nope" does not exist');
      expect(lines[1]).toMatch(/^OutputError: /);
      expect(lines.some((l) => /^\s+at /.test(l))).toBe(true);
    }
  });

  it('the usage text only for usage errors', () => {
    const usage = iobs([...prune]); // no --out
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^iobs prune-layer: --out is required\nusage: iobs prune-layer /);
    const input = iobs(['prune-layer', '--weight', 'nope.npy', '--hessian', 'H.npy', '--method', 'wanda', '--sparsity', '0.5', '--out', 'never8.npy']);
    expect(input.code).toBe(2);
    expect(input.stderr).not.toMatch(/usage:/);
    const output = iobs([...prune, '--out', 'sub']);
    expect(output.stderr).not.toMatch(/usage:/);
    const top = iobs(['frobnicate']);
    expect(top.stderr).toMatch(/^iobs: unknown command "frobnicate"\nusage: iobs <command>/);
  });

  it('exit 1 for a ComputationError and anything unexpected, 2 for argument errors; the flag named through the table', () => {
    const ctx = { argFlags: { 'options.damp': '--damp', stats: '--hessian', W: '--weight' }, typed: { '--damp': '1e-3', '--hessian': 'H.npy', '--weight': 'W.npy' } };
    const computation = new ComputationError('pruneLayer', 'stats', 'an 8x8 matrix', 'H is not positive definite after every damping');
    expect(errorReport(computation, ctx)).toEqual({ code: 1, message: '--hessian "H.npy": H is not positive definite after every damping', usage: false });
    expect(errorReport(new ComputationError('recover', null, null, 'diverged'), ctx)).toEqual({ code: 1, message: 'recover: diverged', usage: false });
    expect(errorReport(new ArgumentRangeError('pruneLayer', 'options.damp', 0.001, 'a damping under which H factors'), ctx))
      .toEqual({ code: 2, message: '--damp "1e-3": expected a damping under which H factors', usage: false });
    expect(errorReport(new ArgumentTypeError('pruneLayer', 'W[1, 2]', NaN, 'a finite number'), ctx))
      .toEqual({ code: 2, message: '--weight "W.npy": W[1, 2]: expected a finite number', usage: false });
    // An argument without a flag in the table: the library's own message; a flag not typed: "(default)".
    expect(errorReport(new ArgumentRangeError('sgemm', 'C', 1, 'a matrix'), ctx).message).toBe('sgemm: argument C must be a matrix; got 1');
    expect(libraryMessage(new ArgumentRangeError('sparseGPT', 'options.damp', 0.01, 'a positive number'), { ...ctx, typed: {} })).toBe('--damp (default): expected a positive number');
    expect(errorReport(new Error('boom'), ctx)).toEqual({ code: 1, message: 'boom', usage: false });
    expect(errorReport(new RangeError('plain'), ctx).code).toBe(1);
    expect(errorReport(new UsageError('--k is required'), ctx)).toEqual({ code: 2, message: '--k is required', usage: true });
    expect(errorReport(new InputError('--A "A.npy": no such file'), ctx)).toEqual({ code: 2, message: '--A "A.npy": no such file', usage: false });
    expect(errorReport(new OutputError('--out', 'x', 'cannot write: no space left on device', 'computation'), ctx).code).toBe(1);
    // The text: one line, the usage only for usage mistakes, the stack only when verbose.
    expect(errorText('prune-layer', computation, errorReport(computation, ctx), 'USAGE\n', false)).toBe('iobs prune-layer: --hessian "H.npy": H is not positive definite after every damping\n');
    expect(errorText('', new UsageError('x'), errorReport(new UsageError('x'), ctx), 'USAGE\n', false)).toBe('iobs: x\nUSAGE\n');
    expect(errorText('recover', computation, errorReport(computation, ctx), 'USAGE\n', true)).toMatch(/^iobs recover: .*\nComputationError: .*\n\s+at /);
  });

  it('flagForArg: the entry for the argument or the longest one it extends', () => {
    const table = { W: '--weight', options: '--options', 'options.pattern': '--pattern' };
    expect(flagForArg('W', table)).toEqual({ flag: '--weight', key: 'W', rest: '' });
    expect(flagForArg('W[3, 4]', table)).toEqual({ flag: '--weight', key: 'W', rest: '[3, 4]' });
    expect(flagForArg('options.pattern.m', table)).toEqual({ flag: '--pattern', key: 'options.pattern', rest: '.m' });
    expect(flagForArg('Wx', table)).toBeNull();
    expect(flagForArg(null, table)).toBeNull();
    expect(takeGlobalFlags(['a', '--verbose', 'b'])).toEqual({ global: { verbose: true }, rest: ['a', 'b'] });
    expect(takeGlobalFlags(['a'])).toEqual({ global: { verbose: false }, rest: ['a'] });
  });
});
