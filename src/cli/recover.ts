// `iobs recover`: sparse least squares from .npy files. Reads A (n x d) and y (n or n x 1), either
// of which may be a pipe, runs k-IHT, Top-k I-OBS or I-OBS in float64, and writes x (d) and
// optionally a per-iteration trace (CSV). The outputs are checked before any work and written as
// one transaction (src/io/outputs.ts): both or neither, never over an input, over an existing file
// only with --force. Progress on stderr; with --json the last stdout line is a JSON summary. Errors:
// one line naming the flag (src/cli/errors.ts), exit 2 for bad input, 1 for a failed solve.
import { backendFlag, choiceFlag, flagValue, intFlag, numberFlag, parseFlags, UsageError } from './args.js';
import { type ArgFlags, InputError, readingInput, runCommand, typedFlags } from './errors.js';
import { defaultRegistry, init } from '../init.js';
import { readNpyFile } from '../io/files.js';
import { formatNpy, type NpyArray } from '../io/npy.js';
import { type OutputSpec, OutputTransaction } from '../io/outputs.js';
import { leastSquares } from '../recovery/problem.js';
import { recover, type RecoverOptions, type RecoverResult, type RecoveryMethod } from '../recovery/recover.js';

/** The help text of `iobs recover`. */
export const RECOVER_USAGE = `usage: iobs recover --A A.npy --y y.npy --k K --method kiht|topk-iobs|iobs --out x.npy
                    [--steps N] [--eta E] [--damp D] [--tol T] [--selection greedy|oneshot]
                    [--gradient-scale exact|paper] [--trace trace.csv] [--force] [--json]
                    [--backend NAME] [--verbose]

  minimises ½‖Aθ − y‖² over θ with at most K nonzeros, in float64
  --A A.npy            n x d measurement matrix (.npy float32/float64, C or Fortran order; may be a pipe)
  --y y.npy            n measurements (shape n or n x 1; may be a pipe)
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
  --force              replace --out and --trace if they exist (without it an existing one is an error)
  --json               last stdout line: a JSON summary
  --backend NAME       ${defaultRegistry().names().join(', ')} (default: the best that starts)
  --verbose            on an error, print the stack too

--out and --trace are checked before any work and written together only when the solve succeeded.
Numbers are plain decimal (1e-3 is fine for a real value; 0x10 is not). Exit status: 0 done, 2 bad
flags or input (the flag is named), 1 the solve failed.
`;

interface Options {
  A: string;
  y: string;
  out: string;
  trace?: string;
  force: boolean;
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
  /** Every string flag as typed ('--damp' → '1e-3'), for error messages. */
  typed: Record<string, string>;
}

/** The flag behind each argument of the library calls, for error messages. */
const ARG_FLAGS: ArgFlags = {
  A: '--A', y: '--y', problem: '--A',
  'options.k': '--k', 'options.method': '--method', 'options.damp': '--damp', 'options.eta': '--eta',
  'options.steps': '--steps', 'options.tol': '--tol', 'options.selection': '--selection',
  'options.gradientScale': '--gradient-scale', 'options.backend': '--backend', backend: '--backend',
};

function parse(args: string[]): Options | 'help' {
  const values = parseFlags(args, {
    A: { type: 'string' }, y: { type: 'string' }, k: { type: 'string' }, method: { type: 'string' },
    out: { type: 'string' }, steps: { type: 'string' }, eta: { type: 'string' }, damp: { type: 'string' },
    tol: { type: 'string' }, selection: { type: 'string' }, 'gradient-scale': { type: 'string' },
    trace: { type: 'string' }, force: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
    backend: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  for (const flag of ['A', 'y', 'k', 'method', 'out'] as const) {
    if (values[flag] === undefined || values[flag] === '') throw new UsageError(`--${flag} is required`);
  }
  backendFlag(values.backend, defaultRegistry().names());
  if (values.trace === '') throw new UsageError('--trace "": expected a path');
  return {
    A: values.A!, y: values.y!, out: values.out!, trace: values.trace, force: values.force, json: values.json, backend: values.backend,
    k: intFlag('--k', values.k, (v) => v >= 1, 'an integer ≥ 1')!,
    method: choiceFlag('--method', values.method, ['kiht', 'topk-iobs', 'iobs'] as const, 'method')!,
    steps: intFlag('--steps', values.steps, (v) => v >= 0, 'an integer ≥ 0'),
    eta: numberFlag('--eta', values.eta, (v) => v > 0, 'a number > 0'),
    damp: numberFlag('--damp', values.damp, (v) => v >= 0, 'a number ≥ 0'),
    tol: numberFlag('--tol', values.tol, (v) => v >= 0, 'a number ≥ 0'),
    selection: choiceFlag('--selection', values.selection, ['greedy', 'oneshot'] as const),
    gradientScale: choiceFlag('--gradient-scale', values['gradient-scale'], ['exact', 'paper'] as const),
    typed: typedFlags(values),
  };
}

async function readInput(flag: string, path: string): Promise<NpyArray> {
  const a = await readingInput(flag, path, () => readNpyFile(path));
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i])) throw new InputError(`${flagValue(flag, path)}: non-finite value ${a.data[i]} at flat index ${i}`);
  }
  return a;
}

async function readProblemFiles(o: Options): Promise<{ A: NpyArray; y: NpyArray; n: number; d: number }> {
  const A = await readInput('--A', o.A), y = await readInput('--y', o.y);
  if (A.shape.length !== 2 || A.shape[0] < 1 || A.shape[1] < 1) throw new InputError(`${flagValue('--A', o.A)}: expected a 2-D array n x d, got shape (${A.shape.join(', ')})`);
  const [n, d] = A.shape;
  const yOk = (y.shape.length === 1 && y.shape[0] === n) || (y.shape.length === 2 && y.shape[0] === n && y.shape[1] === 1);
  if (!yOk) throw new InputError(`${flagValue('--y', o.y)}: expected shape (${n},) or (${n}, 1) to match --A's ${n} rows, got (${y.shape.join(', ')})`);
  if (o.k > d) throw new InputError(`--k ${o.k}: expected at most d = ${d} (the columns of --A)`);
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
  return runCommand('recover', RECOVER_USAGE, args, async (rest, ctx) => {
    const o = parse(rest);
    if (o === 'help') {
      process.stdout.write(RECOVER_USAGE);
      return 0;
    }
    ctx.typed = o.typed;
    ctx.argFlags = ARG_FLAGS;
    const specs: OutputSpec[] = [{ name: '--out', path: o.out }, ...(o.trace === undefined ? [] : [{ name: '--trace', path: o.trace }])];
    // Every output path is checked, and its temporary file made, before any work.
    const outputs = await OutputTransaction.begin(specs, { force: o.force, inputs: [{ name: '--A', path: o.A }, { name: '--y', path: o.y }] });
    try {
      const files = await readProblemFiles(o);
      const log = (line: string) => process.stderr.write(`iobs recover: ${line}\n`);
      const { result, backend } = await solve(o, files, log);
      await outputs.write('--out', formatNpy(result.x, [files.d]));
      if (o.trace !== undefined) await outputs.write('--trace', new TextEncoder().encode(traceCsv(result)));
      await outputs.commit();
      const nonzeros = result.x.reduce((c, v) => c + (v !== 0 ? 1 : 0), 0);
      const objective = result.history.objective.at(-1) ?? null;
      const summary = {
        method: o.method, n: files.n, d: files.d, k: o.k, iterations: result.iterations, converged: result.converged, stopReason: result.stopReason,
        objective, nonzeros, eta: result.eta, dampUsed: result.dampUsed, seconds: result.seconds, backend,
        out: o.out, trace: o.trace ?? null,
      };
      if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else {
        process.stdout.write(`${o.out}: ${nonzeros} nonzeros of ${files.d}, ${result.iterations} iterations${result.converged ? ' (converged)' : ''}, ` +
          `objective ${objective === null ? '-' : objective.toPrecision(6)}, eta ${result.eta.toPrecision(4)}, ${result.seconds.toFixed(3)} s\n`);
      }
      return 0;
    } finally {
      await outputs.abort();
    }
  });
}

/** Every library call of the command: the backend, the problem, the solve. */
async function solve(o: Options, files: { A: NpyArray; y: NpyArray; n: number; d: number }, log: (s: string) => void): Promise<{ result: RecoverResult; backend: string }> {
  const la = await init({ backend: o.backend, warn: log });
  const { n, d } = files;
  try {
    const A = la.fromArray(files.A.data, n, d, 'float64'), y = la.fromArray(files.y.data, n, 1, 'float64');
    const problem = await (async () => {
      try {
        return await leastSquares(la, A, y, o.damp === undefined ? undefined : { damp: o.damp });
      } finally {
        A.free();
        y.free();
      }
    })();
    log(`${o.method}, n = ${n}, d = ${d}, k = ${o.k}, backend ${la.backendName}, damping ${problem.dampUsed ?? 'none'}`);
    for (const w of problem.warnings) log(`warning: ${w}`);
    let last = Date.now();
    const options: RecoverOptions = {
      k: o.k, method: o.method, steps: o.steps, eta: o.eta, tol: o.tol,
      selection: o.selection, gradientScale: o.gradientScale,
      onIteration: (t) => {
        if (Date.now() - last >= 2000) {
          last = Date.now();
          log(`iteration ${t}${o.steps === undefined ? '' : ` of ${o.steps}`}`);
        }
      },
    };
    try {
      return { result: await recover(la, problem, options), backend: la.backendName };
    } finally {
      problem.free();
    }
  } finally {
    la.dispose();
  }
}
