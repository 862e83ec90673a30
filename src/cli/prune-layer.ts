// `iobs prune-layer`: prunes one linear layer from .npy files. W (outputs x inputs) and either its
// Hessian H = Σ XᵀX or the inputs X themselves (samples x inputs, read and accumulated a block of
// rows at a time; a pipe works too). The output is checked before any work and written as a
// transaction (src/io/outputs.ts): never over an input, over an existing file only with --force,
// nothing at all when the command fails. Progress on stderr; stdout holds the summary, with --json
// as its last line. Errors: one line naming the flag (src/cli/errors.ts), exit 2 for bad input, 1
// for a failed computation.
import { backendFlag, backendHelp, choiceFlag, flagValue, parseFlags, UsageError } from './args.js';
import { patternFromFlags, prunerFromFlags } from './pruning-flags.js';
import { type ArgFlags, InputError, readingInput, runCommand, typedFlags } from './errors.js';
import type { DType } from '../core/dtype.js';
import { defaultRegistry, init } from '../init.js';
import type { Linalg } from '../linalg/linalg.js';
import type { Matrix } from '../core/matrix.js';
import { formatNpy, type NpyHeader, npyHeaderBytes } from '../io/npy.js';
import { forEachNpyRows, readNpyMatrix } from '../io/npy-rows.js';
import { type InputSpec, OutputTransaction } from '../io/outputs.js';
import { HessianAccumulator } from '../pruning/accumulator.js';
import { formatPattern, type Pattern } from '../pruning/pattern.js';
import { pruneLayer } from '../pruning/prune-layer.js';
import { availableMethods, METHODS } from '../pruning/registry.js';
import type { PruneMethod, Pruner, PruneResult } from '../pruning/types.js';

export const PRUNE_LAYER_USAGE = `usage: iobs prune-layer --weight W.npy (--hessian H.npy | --inputs X.npy)
         --method ${METHODS.join('|')} (--sparsity S [--per-row] | --pattern N:M)
         [--blocksize B] [--damp D] [--iters N] [--eta E] [--start S] [--dtype float32|float64]
         --out W_pruned.npy [--force] [--json] [--verbose] [--backend NAME]

  --weight W.npy      the layer's weight, rows = outputs, columns = inputs (2-D float32/float64)
  --hessian H.npy     its Hessian H = Σ XᵀX over calibration inputs (inputs x inputs)
  --inputs X.npy      or the calibration inputs themselves (samples x inputs), accumulated in blocks of rows
                      (any of the three may be a pipe: a FIFO, /dev/stdin, <(...))
  --method NAME       ${METHODS.join(', ')} (available in this build: ${availableMethods().join(', ')})
  --sparsity S        prune this fraction in [0, 1): of the whole layer, or with --per-row of every row
                      (Wanda always compares within rows)
  --pattern N:M       keep N of every M consecutive inputs (2:4, 4:8); M must divide the inputs
  --blocksize B       SparseGPT's column block (default 128; a multiple of M for N:M)
  --damp D            relative damping λ in H + λ·mean(diag H)·I (default 0.01; ×10 while H fails to factor)
  --iters N           I-OBS iterations after the one-shot start (default 3; 1, with CG capped at
                      5 iterations per re-solve, on layers wide enough for CG re-solves)
  --eta E             I-OBS step in (0, 1] (default 0.5)
  --start S           I-OBS's one-shot start: sparsegpt (default), obc, wanda, magnitude
  --dtype T           float32 or float64 arithmetic (default: the dtype of W.npy); the output has this dtype
  --out PATH          where the pruned weight goes (.npy); checked before any work, written only when
                      the pruning succeeded, never over an input
  --force             replace --out if it exists (without it an existing --out is an error)
  --json              last stdout line: {"method","pattern","relError","sparsity","dampUsed","seconds"}
  --verbose           on an error, print the stack too
  --backend NAME      ${backendHelp(defaultRegistry().names())}

Numbers are plain decimal (1e-3 is fine for a real value; 0x10 is not). Exit status: 0 done, 2 bad
flags or input (the flag is named), 1 the pruning failed.
`;

interface Options {
  weight: string;
  hessian?: string;
  inputs?: string;
  method: PruneMethod;
  pattern: Pattern;
  dtype?: DType;
  out: string;
  force: boolean;
  json: boolean;
  backend?: string;
  pruner: Pruner;
  /** Every string flag as typed ('--damp' → '1e-3'), for error messages. */
  typed: Record<string, string>;
}

/** The summary printed as the last stdout line with --json. */
export interface PruneLayerSummary {
  method: PruneMethod;
  pattern: string;
  relError: number;
  sparsity: number;
  dampUsed: number | null;
  seconds: number;
}

function parse(args: string[]): Options | 'help' {
  const values = parseFlags(args, {
    weight: { type: 'string' },
    hessian: { type: 'string' },
    inputs: { type: 'string' },
    method: { type: 'string' },
    sparsity: { type: 'string' },
    'per-row': { type: 'boolean', default: false },
    pattern: { type: 'string' },
    blocksize: { type: 'string' },
    damp: { type: 'string' },
    iters: { type: 'string' },
    eta: { type: 'string' },
    start: { type: 'string' },
    dtype: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    backend: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  const need = (flag: string, v: string | undefined): string => {
    if (v === undefined || v === '') throw new UsageError(`--${flag} is required${v === '' ? ' (got an empty value)' : ''}`);
    return v;
  };
  const weight = need('weight', values.weight);
  if ((values.hessian === undefined) === (values.inputs === undefined)) {
    throw new UsageError(values.hessian === undefined ? 'one of --hessian H.npy or --inputs X.npy is required' : `give --hessian ${JSON.stringify(values.hessian)} or --inputs ${JSON.stringify(values.inputs)}, not both`);
  }
  if (values.hessian === '' || values.inputs === '') throw new UsageError(`--${values.hessian === '' ? 'hessian' : 'inputs'} "": expected a path`);
  const method = choiceFlag('--method', need('method', values.method), METHODS, 'method')!;
  if (!availableMethods().includes(method)) {
    throw new UsageError(`${flagValue('--method', method)}: not available in this build (available: ${availableMethods().join(', ')})`);
  }
  const pattern = patternFromFlags(values);
  const pruner = prunerFromFlags(method, values, pattern);
  const dtype = choiceFlag('--dtype', values.dtype, ['float32', 'float64'] as const);
  const out = need('out', values.out);
  const backend = backendFlag(values.backend, defaultRegistry().names());
  return {
    weight, hessian: values.hessian, inputs: values.inputs, method, pattern,
    dtype, out, force: values.force, json: values.json, backend, pruner, typed: typedFlags(values),
  };
}

/** The flag behind each argument of the library calls, for error messages. */
function argFlags(o: Options): ArgFlags {
  const stats = o.hessian !== undefined ? '--hessian' : '--inputs';
  return {
    W: '--weight', stats, H: stats, X: '--inputs',
    'options.method': '--method', 'options.pattern': o.pattern.kind === 'nm' ? '--pattern' : '--sparsity',
    'options.damp': '--damp', damp: '--damp', 'options.eta': '--eta', 'options.iterations': '--iters',
    'options.blockSize': '--blocksize', 'options.dtype': '--dtype', dtype: '--dtype',
    'options.pruner': '--method', 'options.start': o.typed['--start'] !== undefined ? '--start' : '--method',
  };
}

/** The inputs, which the output must never overwrite. */
function inputsOf(o: Options): InputSpec[] {
  return o.hessian !== undefined ? [{ name: '--weight', path: o.weight }, { name: '--hessian', path: o.hessian }] : [{ name: '--weight', path: o.weight }, { name: '--inputs', path: o.inputs! }];
}

/** The first non-finite value of a flat array as "name[i, j] = v", or null. */
function nonFinite(data: ArrayLike<number>, cols: number, name: string, rowBase = 0): string | null {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) return `${name}[${rowBase + Math.floor(i / cols)}, ${i % cols}] = ${data[i]}`;
  }
  return null;
}

/**
 * Reads a 2-D .npy into la as a dtype matrix, checking its shape (`want` rows/cols where given)
 * and finiteness. The data goes from the file straight into backend storage (readNpyMatrix), and
 * is checked there (one kernel pass; the first bad value is read back for the message).
 */
async function readMatrix<D extends DType>(la: Linalg, flag: string, path: string, dtype: D | undefined, name: string, want?: [number, number, string]): Promise<Matrix<D>> {
  const check = ({ shape }: NpyHeader) => {
    if (shape.length !== 2) throw new InputError(`${flagValue(flag, path)}: expected a 2-D array, got shape (${shape.join(', ')})`);
    const [rows, cols] = shape;
    if (rows < 1 || cols < 1) throw new InputError(`${flagValue(flag, path)}: expected a non-empty array, got shape (${rows}, ${cols})`);
    if (want && (rows !== want[0] || cols !== want[1])) throw new InputError(`${flagValue(flag, path)}: shape (${rows}, ${cols}) must be (${want[0]}, ${want[1]}) ${want[2]}`);
  };
  // The values arrive in the file's dtype; the matrix has the working dtype (converted on the backend).
  const M = await readingInput(flag, path, () => readNpyMatrix(la, path, { check }));
  try {
    const at = await la.firstNonFinite(M);
    if (at) {
      const [value] = await la.read(M.view(at[0], at[1], 1, 1));
      throw new InputError(`${flagValue(flag, path)}: ${name}[${at[0]}, ${at[1]}] = ${value}; expected finite values`);
    }
    if ((dtype ?? M.dtype) === M.dtype) return M as unknown as Matrix<D>;
    const C = await la.convert(M, dtype as D);
    M.free();
    return C;
  } catch (err) {
    M.free();
    throw err;
  }
}

/** Accumulates H from the inputs file a block of rows at a time, in one pass (the file may be a pipe). */
async function accumulate(la: Linalg, path: string, cols: number, dtype: DType, log: (s: string) => void): Promise<HessianAccumulator> {
  const acc = new HessianAccumulator(la, cols, { dtype });
  try {
    const blockRows = Math.max(1, Math.floor(4_194_304 / cols));
    let total = 0, next = 0;
    const onHeader = ({ shape }: { shape: number[] }) => {
      if (shape.length !== 2 || shape[1] !== cols || shape[0] < 1) {
        throw new InputError(`${flagValue('--inputs', path)}: shape (${shape.join(', ')}) must be (samples, ${cols}) with at least one sample (--weight has ${cols} inputs)`);
      }
      total = shape[0];
    };
    await readingInput('--inputs', path, () => forEachNpyRows(path, blockRows, async (block, rows, start) => {
      const bad = nonFinite(block, cols, 'X', start);
      if (bad) throw new InputError(`${flagValue('--inputs', path)}: ${bad}; expected finite values`);
      await acc.addBatch({ data: block, rows, cols });
      if ((start + rows) / total >= next) {
        log(`iobs prune-layer: inputs ${start + rows}/${total} rows`);
        next += 0.25;
      }
    }, { onHeader }));
    return acc;
  } catch (err) {
    acc.free();
    throw err;
  }
}

/** Progress lines on stderr: at most one per label and 10% step. */
function progressLogger(log: (s: string) => void): (fraction: number, label: string) => void {
  let lastLabel = '', lastStep = -1;
  return (fraction, label) => {
    const step = Math.floor(fraction * 10);
    if (label === lastLabel && step === lastStep) return;
    lastLabel = label;
    lastStep = step;
    log(`iobs prune-layer: ${label} ${(fraction * 100).toFixed(0)}%`);
  };
}

/** Runs `iobs prune-layer`; returns the exit code (2: bad flags or input, 1: the pruning failed). */
export async function pruneLayerCommand(args: string[]): Promise<number> {
  return runCommand('prune-layer', PRUNE_LAYER_USAGE, args, async (rest, ctx) => {
    const o = parse(rest);
    if (o === 'help') {
      process.stdout.write(PRUNE_LAYER_USAGE);
      return 0;
    }
    ctx.typed = o.typed;
    ctx.argFlags = argFlags(o);
    const log = (line: string) => process.stderr.write(line + '\n');
    // Every output path is checked, and its temporary file made, before any work.
    const outputs = await OutputTransaction.begin([{ name: '--out', path: o.out }], { force: o.force, inputs: inputsOf(o) });
    try {
      const result = await prune(o, outputs, log);
      await outputs.commit();
      log(`iobs prune-layer: wrote ${o.out}`);
      const summary: PruneLayerSummary = {
        method: result.method,
        pattern: formatPattern(result.pattern),
        relError: result.relError,
        sparsity: result.sparsity,
        dampUsed: result.dampUsed,
        seconds: result.seconds,
      };
      if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else {
        process.stdout.write(
          `${summary.method} ${summary.pattern}: relative error ${summary.relError.toPrecision(4)}, sparsity ${(summary.sparsity * 100).toFixed(2)}%, ` +
            `damp ${summary.dampUsed ?? 'n/a'}, ${summary.seconds.toPrecision(3)} s -> ${o.out}\n`,
        );
      }
      return 0;
    } finally {
      await outputs.abort();
    }
  });
}

/**
 * Every library call of the command: reads W and H (or X), prunes, and writes the pruned weight
 * into the output's temporary file (committed by the caller) straight from backend storage.
 */
async function prune(o: Options, outputs: OutputTransaction, log: (s: string) => void): Promise<Omit<PruneResult, 'weight' | 'mask'>> {
  const la = await init({ backend: o.backend, warn: log });
  try {
    const W = await readMatrix(la, '--weight', o.weight, o.dtype, 'W');
    const dtype = W.dtype;
    if (o.pattern.kind === 'nm' && W.cols % o.pattern.m !== 0) {
      throw new InputError(`--pattern ${formatPattern(o.pattern)}: M = ${o.pattern.m} must divide the ${W.cols} inputs of --weight ${JSON.stringify(o.weight)}`);
    }
    log(`iobs prune-layer: W ${W.rows}x${W.cols} ${dtype}, backend ${la.backendName}, ${o.method} ${formatPattern(o.pattern)}`);
    const stats = o.hessian !== undefined
      ? await readMatrix(la, '--hessian', o.hessian, dtype, 'H', [W.cols, W.cols, `(--weight has ${W.cols} inputs)`])
      : await accumulate(la, o.inputs!, W.cols, dtype, log);
    const result = await pruneLayer(la, W, stats, { pruner: o.pruner, pattern: o.pattern, onProgress: progressLogger(log) });
    for (const w of result.warnings) log(`iobs prune-layer: warning: ${w}`);
    const shape = [W.rows, W.cols];
    // The .npy is little-endian: storage's own bytes on such a host, a formatted copy elsewhere.
    if (NATIVE_LITTLE) await outputs.writePieces('--out', withHeader(npyHeaderBytes(dtype, shape), la.readBytes(result.weight)));
    else await outputs.write('--out', formatNpy(await la.read(result.weight), shape));
    const { weight: _w, mask: _m, ...rest } = result;
    return rest;
  } finally {
    la.dispose();
  }
}

const NATIVE_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `head`, then every piece of `body`. */
async function* withHeader(head: Uint8Array, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield head;
  yield* body;
}
