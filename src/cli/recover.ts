// `iobs recover`: sparse least squares from .npy files. Reads A (n x d) and y (n or n x 1),
// runs k-IHT, Top-k I-OBS or I-OBS in float64, writes x (d) atomically, optionally a per-iteration
// trace (CSV). Progress on stderr; with --json the last stdout line is a JSON summary. Flag and
// input errors exit 2 / 1 with the flag named, and write nothing.
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { backendFlag, choiceFlag, numberFlag, parseFlags, UsageError } from './args.js';
import { defaultRegistry, init } from '../init.js';
import { readNpyFile, writeNpyFile } from '../io/files.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { NpyArray } from '../io/npy.js';
import { leastSquares } from '../recovery/problem.js';
import { recover, type RecoverOptions, type RecoverResult, type RecoveryMethod } from '../recovery/recover.js';

/** The help text of `iobs recover`. */
export const RECOVER_USAGE = `usage: iobs recover --A A.npy --y y.npy --k K --method kiht|topk-iobs|iobs --out x.npy
                    [--steps N] [--eta E] [--damp D] [--tol T] [--selection greedy|oneshot]
                    [--gradient-scale exact|paper] [--trace trace.csv] [--json] [--backend NAME]

  minimises ½‖Aθ − y‖² over θ with at most K nonzeros, in float64
  --A A.npy            n x d measurement matrix (.npy float32/float64, C or Fortran order)
  --y y.npy            n measurements (shape n or n x 1)
  --k K                most nonzeros of the result, 1 ≤ K ≤ d
  --method M           kiht: θ ← T_k(θ − η∇f); topk-iobs: θ ← T_k(θ − ηH⁻¹∇f);
                       iobs: OBS support of θ − ηH⁻¹∇f, then the exact minimiser on it
  --out x.npy          the result (float64, shape d); never one of the inputs
  --steps N            most iterations (default 100)
  --eta E              step size (default: 1/λmax(AᵀA) for kiht, 1 for the I-OBS methods)
  --damp D             H = AᵀA + D·mean(diag AᵀA)·I (default: damped only when AᵀA is singular)
  --tol T              stop when ‖θ_{t+1} − θ_t‖ ≤ T·‖θ_t‖ (default 0: run every step)
  --selection S        iobs support choice: greedy (OBS with H⁻¹ downdates, default) or oneshot
  --gradient-scale G   exact (default) or paper: the authors' mean-MSE gradient, (2/n)·Aᵀ(Aθ − y)
  --trace trace.csv    per iteration: iteration,objective,step_size,support_changes
  --json               last stdout line: a JSON summary
  --backend NAME       ${defaultRegistry().names().join(', ')} (default: the best that starts)
`;

interface Options {
  A: string;
  y: string;
  out: string;
  trace?: string;
  json: boolean;
  backend?: string;
  k: number;
  method: RecoveryMethod;
  steps?: number;
  eta?: number;
  damp?: number;
  tol?: number;
  selection?: 'greedy' | 'oneshot';
  gradientScale?: 'exact' | 'paper';
}

/** Library argument names as the flags that set them, for error messages. */
const FLAG_OF: [RegExp, string][] = [
  [/argument options\.damp\b/g, 'flag --damp'], [/argument options\.eta\b/g, 'flag --eta'], [/argument options\.k\b/g, 'flag --k'],
  [/argument options\.tol\b/g, 'flag --tol'], [/argument options\.steps\b/g, 'flag --steps'],
  [/argument options\.selection\b/g, 'flag --selection'], [/argument options\.gradientScale\b/g, 'flag --gradient-scale'],
  [/argument A\b/g, 'flag --A'], [/argument y\b/g, 'flag --y'],
];

function flagged(message: string): string {
  return FLAG_OF.reduce((m, [re, flag]) => m.replace(re, flag), message);
}

function parse(args: string[]): Options | 'help' {
  const values = parseFlags(args, {
    A: { type: 'string' }, y: { type: 'string' }, k: { type: 'string' }, method: { type: 'string' },
    out: { type: 'string' }, steps: { type: 'string' }, eta: { type: 'string' }, damp: { type: 'string' },
    tol: { type: 'string' }, selection: { type: 'string' }, 'gradient-scale': { type: 'string' },
    trace: { type: 'string' }, json: { type: 'boolean', default: false }, backend: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  for (const flag of ['A', 'y', 'k', 'method', 'out'] as const) {
    if (values[flag] === undefined || values[flag] === '') throw new UsageError(`--${flag} is required`);
  }
  backendFlag(values.backend, defaultRegistry().names());
  if (values.trace === '') throw new UsageError('--trace "": expected a path');
  return {
    A: values.A!, y: values.y!, out: values.out!, trace: values.trace, json: values.json, backend: values.backend,
    k: numberFlag('--k', values.k, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1')!,
    method: choiceFlag('--method', values.method, ['kiht', 'topk-iobs', 'iobs'] as const)!,
    steps: numberFlag('--steps', values.steps, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0'),
    eta: numberFlag('--eta', values.eta, (v) => v > 0, 'a number > 0'),
    damp: numberFlag('--damp', values.damp, (v) => v >= 0, 'a number ≥ 0'),
    tol: numberFlag('--tol', values.tol, (v) => v >= 0, 'a number ≥ 0'),
    selection: choiceFlag('--selection', values.selection, ['greedy', 'oneshot'] as const),
    gradientScale: choiceFlag('--gradient-scale', values['gradient-scale'], ['exact', 'paper'] as const),
  };
}

/** Where a path leads (realpath, or the resolved path when it does not exist) and its inode. */
async function identity(path: string): Promise<{ where: string; inode?: string }> {
  let where = resolve(path);
  try {
    where = await realpath(path);
    const s = await stat(where);
    return { where, inode: `${s.dev}:${s.ino}` };
  } catch {
    return { where };
  }
}

/** Throws unless the outputs are distinct from each other and from every input. */
async function checkOutputs(o: Options): Promise<void> {
  const outs: [string, string][] = [['--out', o.out], ...(o.trace ? [['--trace', o.trace] as [string, string]] : [])];
  const others: [string, string][] = [['--A', o.A], ['--y', o.y], ...outs];
  for (const [flag, path] of outs) {
    const me = await identity(path);
    for (const [otherFlag, other] of others) {
      if (otherFlag === flag) continue;
      const it = await identity(other);
      if (it.where === me.where || (me.inode !== undefined && it.inode === me.inode)) {
        throw new UsageError(`${flag} ${JSON.stringify(path)} is the same file as ${otherFlag} ${JSON.stringify(other)}; refusing to overwrite it`);
      }
    }
  }
}

async function readInput(flag: string, path: string): Promise<NpyArray> {
  let a: NpyArray;
  try {
    a = await readNpyFile(path);
  } catch (err) {
    throw new UsageError(`${flag} ${JSON.stringify(path)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i])) throw new UsageError(`${flag} ${JSON.stringify(path)}: non-finite value ${a.data[i]} at flat index ${i}`);
  }
  return a;
}

async function readProblemFiles(o: Options): Promise<{ A: NpyArray; y: NpyArray; n: number; d: number }> {
  const A = await readInput('--A', o.A), y = await readInput('--y', o.y);
  if (A.shape.length !== 2 || A.shape[0] < 1 || A.shape[1] < 1) throw new UsageError(`--A ${JSON.stringify(o.A)}: expected a 2-D array n x d, got shape (${A.shape.join(', ')})`);
  const [n, d] = A.shape;
  const yOk = (y.shape.length === 1 && y.shape[0] === n) || (y.shape.length === 2 && y.shape[0] === n && y.shape[1] === 1);
  if (!yOk) throw new UsageError(`--y ${JSON.stringify(o.y)}: expected shape (${n},) or (${n}, 1) to match --A's ${n} rows, got (${y.shape.join(', ')})`);
  if (o.k > d) throw new UsageError(`--k ${o.k}: expected at most d = ${d} (the columns of --A)`);
  return { A, y, n, d };
}

function traceCsv(r: RecoverResult): string {
  const h = r.history;
  const lines = ['iteration,objective,step_size,support_changes'];
  for (let t = 0; t < r.iterations; t++) lines.push(`${t + 1},${h.objective[t]},${h.stepSize[t]},${h.supportChanges[t]}`);
  return lines.join('\n') + '\n';
}

/** Runs `iobs recover`; returns the exit code (2: bad flags or inputs, 1: the solve failed). */
export async function recoverCommand(args: string[]): Promise<number> {
  let o: Options | 'help';
  let files: Awaited<ReturnType<typeof readProblemFiles>>;
  try {
    o = parse(args);
    if (o === 'help') {
      process.stdout.write(RECOVER_USAGE);
      return 0;
    }
    await checkOutputs(o);
    files = await readProblemFiles(o);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`iobs recover: ${err.message}\n${RECOVER_USAGE}`);
    return 2;
  }
  const opts = o;
  const log = (line: string) => process.stderr.write(`iobs recover: ${line}\n`);
  const la = await init({ backend: opts.backend, warn: log });
  const { n, d } = files;
  let result: RecoverResult;
  try {
    const A = la.fromArray(files.A.data, n, d, 'float64'), y = la.fromArray(files.y.data, n, 1, 'float64');
    const problem = await leastSquares(la, A, y, opts.damp === undefined ? undefined : { damp: opts.damp });
    A.free();
    y.free();
    log(`${opts.method}, n = ${n}, d = ${d}, k = ${opts.k}, backend ${la.backendName}, damping ${problem.dampUsed ?? 'none'}`);
    let last = Date.now();
    const options: RecoverOptions = {
      k: opts.k, method: opts.method, steps: opts.steps, eta: opts.eta, tol: opts.tol,
      selection: opts.selection, gradientScale: opts.gradientScale,
      onIteration: (t) => {
        if (Date.now() - last >= 2000) {
          last = Date.now();
          log(`iteration ${t}${opts.steps === undefined ? '' : ` of ${opts.steps}`}`);
        }
      },
    };
    try {
      result = await recover(la, problem, options);
    } finally {
      problem.free();
    }
    await writeNpyFile(opts.out, result.x, [d], { protect: [opts.A, opts.y] });
    if (opts.trace) await writeFileAtomic(opts.trace, new TextEncoder().encode(traceCsv(result)));
  } catch (err) {
    process.stderr.write(`iobs recover: ${flagged(err instanceof Error ? err.message : String(err))}\n`);
    return 1;
  } finally {
    la.dispose();
  }
  const nonzeros = result.x.reduce((c, v) => c + (v !== 0 ? 1 : 0), 0);
  const objective = result.history.objective.at(-1) ?? null;
  const summary = {
    method: opts.method, n, d, k: opts.k, iterations: result.iterations, converged: result.converged,
    objective, nonzeros, eta: result.eta, dampUsed: result.dampUsed, seconds: result.seconds, backend: la.backendName,
    out: opts.out, trace: opts.trace ?? null,
  };
  if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    process.stdout.write(`${opts.out}: ${nonzeros} nonzeros of ${d}, ${result.iterations} iterations${result.converged ? ' (converged)' : ''}, ` +
      `objective ${objective === null ? '-' : objective.toPrecision(6)}, eta ${result.eta.toPrecision(4)}, ${result.seconds.toFixed(3)} s\n`);
  }
  return 0;
}
