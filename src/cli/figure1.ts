// `iobs figure1`: reruns the paper's Figure 1 settings (src/experiments/figure1.ts) and writes
// one SVG with a panel per setting (two for MNIST: the first 20 iterations and all 1,000).
// Progress goes to stderr; with --json the last stdout line is the summary. The output path is
// checked before any run (src/io/outputs.ts: an existing file is replaced only with --force) and
// the SVG is renamed into place only after every run has finished, so an error leaves no output.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { integerFlag, listFlag, parseFlags, UsageError } from './args.js';
import { InputError, readingInput, runCommand, typedFlags } from './errors.js';
import { init } from '../init.js';
import { readIdxFile } from '../io/files.js';
import type { IdxArray } from '../io/idx.js';
import { isIobsError } from '../core/errors.js';
import { OutputTransaction } from '../io/outputs.js';
import { FIGURE1_QUICK_STEPS, FIGURE1_STEPS, figure1Figure, runFigure1, summarizeFigure1, type Setting } from '../experiments/figure1.js';
import { renderFigure } from '../figures/svg.js';

const SETTINGS: Setting['id'][] = ['gaussian', 'mnist', 'underdetermined'];
const IMAGES = 't10k-images-idx3-ubyte.gz';

export const FIGURE1_USAGE = `usage: iobs figure1 [--out fig1.svg] [--json] [--trials N] [--seed S] [--digits N]
                    [--mnist DIR] [--settings a,b] [--quick] [--force] [--verbose]

Reruns the paper's Figure 1: mean relative error ‖θ_t − θ*‖/‖θ*‖ per iteration of k-IHT,
Top-k I-OBS and I-OBS, and writes one SVG with a panel per setting (two for MNIST).

  --out PATH        the SVG (default figure1.svg): checked before the runs, written once every run is done
  --force           replace --out if it exists (without it an existing --out is an error)
  --json            last stdout line: {"out", "backend", "seconds", "settings": [...]} with, per
                    curve, the first iteration at error ≤ 1e-6 and the final error of every trial
  --trials N        trials of the Gaussian settings (default 20)
  --seed S          seed of every random draw (default 1)
  --digits N        MNIST digits, one trial each: the first N test images (default 5)
  --mnist DIR       directory with ${IMAGES} (default ../shared/data/mnist)
  --settings a,b    any of ${SETTINGS.join(', ')} (default all)
  --quick           far fewer iterations (a smoke test; not the figure)
  --verbose         on an error, print the stack too

Iterations: gaussian ${FIGURE1_STEPS.gaussian}; MNIST k-IHT ${FIGURE1_STEPS.mnistKiht}, Top-k I-OBS ${FIGURE1_STEPS.mnistTopk}, I-OBS ${FIGURE1_STEPS.mnistIobs}; underdetermined ${FIGURE1_STEPS.underdetermined}.
Exit status: 0 done, 2 bad flags or input (the flag is named), 1 a run failed.
`;

interface Options {
  out: string;
  json: boolean;
  trials: number;
  seed: number;
  digits: number;
  mnist: string;
  settings: Setting['id'][];
  quick: boolean;
  force: boolean;
  typed: Record<string, string>;
}

/** The flag behind each argument of the library calls, for error messages. */
const ARG_FLAGS = {
  trials: '--trials', 'options.trials': '--trials', seed: '--seed', 'options.seed': '--seed',
  digits: '--digits', 'options.digits': '--digits', pixels: '--mnist', settings: '--settings', 'options.settings': '--settings',
};

function parse(args: string[]): Options | 'help' {
  const values = parseFlags(args, {
    out: { type: 'string', default: 'figure1.svg' },
    json: { type: 'boolean', default: false },
    trials: { type: 'string' },
    seed: { type: 'string' },
    digits: { type: 'string' },
    mnist: { type: 'string', default: join('..', 'shared', 'data', 'mnist') },
    settings: { type: 'string' },
    quick: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  if (values.out.trim() === '') throw new UsageError('--out "": expected a file path');
  let settings = SETTINGS;
  if (values.settings !== undefined) {
    const names = listFlag('--settings', values.settings, SETTINGS, 'setting');
    settings = SETTINGS.filter((s) => names.includes(s));
  }
  return {
    out: values.out,
    json: values.json,
    trials: integerFlag('--trials', values.trials, 20, 1, 10000),
    seed: integerFlag('--seed', values.seed, 1, 0, 2 ** 32 - 1),
    digits: integerFlag('--digits', values.digits, 5, 1, 10000),
    mnist: values.mnist,
    settings,
    quick: values.quick,
    force: values.force,
    typed: typedFlags(values),
  };
}

/**
 * The IDX images at `path`; a file that is not gzip or IDX data is bad input naming --mnist (a
 * file the system cannot read is left to readingInput).
 */
async function readImages(path: string, dir: string): Promise<IdxArray> {
  try {
    return await readIdxFile(path);
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
    if (code.startsWith('Z_')) throw new InputError(`--mnist ${JSON.stringify(dir)}: ${IMAGES} is not valid gzip data`, { cause: err });
    if (isIobsError(err) && err.kind === 'argument') throw new InputError(`--mnist ${JSON.stringify(dir)}: ${IMAGES}: expected ${err.reason}`, { cause: err });
    throw err;
  }
}

/** The first `count` test digits, 784 pixels each. */
async function loadDigits(dir: string, count: number): Promise<Uint8Array[]> {
  const path = join(dir, IMAGES);
  try {
    await access(path);
  } catch {
    throw new InputError(`--mnist ${JSON.stringify(dir)}: no ${IMAGES} there (give the MNIST directory, or --settings without mnist)`);
  }
  const { shape, data } = await readingInput('--mnist', path, () => readImages(path, dir));
  if (shape.length !== 3 || shape[1] * shape[2] !== 784) throw new InputError(`--mnist ${JSON.stringify(dir)}: ${IMAGES} has shape [${shape.join(', ')}], expected [N, 28, 28]`);
  if (count > shape[0]) throw new InputError(`--digits ${count}: ${IMAGES} holds only ${shape[0]} images`);
  return Array.from({ length: count }, (_, i) => data.subarray(i * 784, (i + 1) * 784));
}

/** Runs `iobs figure1` with these arguments; returns the exit code. */
export async function figure1(args: string[]): Promise<number> {
  return runCommand('figure1', FIGURE1_USAGE, args, async (rest, ctx) => {
    const o = parse(rest);
    if (o === 'help') {
      process.stdout.write(FIGURE1_USAGE);
      return 0;
    }
    ctx.typed = o.typed;
    ctx.argFlags = ARG_FLAGS;
    const usesMnist = o.settings.includes('mnist');
    const inputs = usesMnist ? [{ name: '--mnist', path: join(o.mnist, IMAGES) }] : [];
    // The output path is checked, and its temporary file made, before any run.
    const outputs = await OutputTransaction.begin([{ name: '--out', path: o.out }], { force: o.force, inputs });
    try {
      const digits = usesMnist ? await loadDigits(o.mnist, o.digits) : undefined;
      const log = (line: string) => process.stderr.write(line + '\n');
      const start = performance.now();
      const { svg, summary, backend } = await draw(o, digits, log);
      await outputs.write('--out', new TextEncoder().encode(svg));
      await outputs.commit();
      const seconds = (performance.now() - start) / 1000;
      log(`iobs figure1: wrote ${o.out} in ${seconds.toFixed(1)} s`);
      if (o.json) {
        process.stdout.write(JSON.stringify({ out: o.out, backend, seconds: Number(seconds.toPrecision(4)), settings: summary }) + '\n');
      }
      return 0;
    } finally {
      await outputs.abort();
    }
  });
}

/** Every library call of the command: the backend, the runs, the figure. */
async function draw(o: Options, digits: Uint8Array[] | undefined, log: (s: string) => void): Promise<{ svg: string; summary: ReturnType<typeof summarizeFigure1>; backend: string }> {
  const la = await init({ warn: log });
  try {
    log(`iobs figure1: backend ${la.backendName}, settings ${o.settings.join(', ')}, trials ${o.trials}${digits ? `, ${digits.length} MNIST digits` : ''}, seed ${o.seed}${o.quick ? ', quick' : ''}`);
    const results = await runFigure1(la, {
      trials: o.trials,
      seed: o.seed,
      digits,
      settings: o.settings,
      ...(o.quick ? { steps: FIGURE1_QUICK_STEPS } : {}),
      progress: (line) => log(`  ${line}`),
    });
    return { svg: renderFigure(figure1Figure(results)), summary: summarizeFigure1(results), backend: la.backendName };
  } finally {
    la.dispose();
  }
}
