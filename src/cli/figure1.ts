// `iobs figure1`: reruns the paper's Figure 1 settings (src/experiments/figure1.ts) and writes
// one SVG with a panel per setting (two for MNIST: the first 20 iterations and all 1,000).
// Progress goes to stderr; with --json the last stdout line is the summary. The SVG is written
// atomically, and only after every run has finished, so an error leaves no output behind.
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { integerFlag, parseFlags, UsageError } from './args.js';
import { init } from '../init.js';
import { readIdxFile } from '../io/files.js';
import { writeFileAtomic } from '../io/atomic.js';
import { FIGURE1_QUICK_STEPS, FIGURE1_STEPS, figure1Figure, runFigure1, summarizeFigure1, type Setting } from '../experiments/figure1.js';
import { renderFigure } from '../figures/svg.js';

const SETTINGS: Setting['id'][] = ['gaussian', 'mnist', 'underdetermined'];
const IMAGES = 't10k-images-idx3-ubyte.gz';

export const FIGURE1_USAGE = `usage: iobs figure1 [--out fig1.svg] [--json] [--trials N] [--seed S] [--digits N]
                    [--mnist DIR] [--settings a,b] [--quick]

Reruns the paper's Figure 1: mean relative error ‖θ_t − θ*‖/‖θ*‖ per iteration of k-IHT,
Top-k I-OBS and I-OBS, and writes one SVG with a panel per setting (two for MNIST).

  --out PATH        the SVG (default figure1.svg), written atomically once every run is done
  --json            last stdout line: {"out", "backend", "seconds", "settings": [...]} with, per
                    curve, the first iteration at error ≤ 1e-6 and the final error of every trial
  --trials N        trials of the Gaussian settings (default 20)
  --seed S          seed of every random draw (default 1)
  --digits N        MNIST digits, one trial each: the first N test images (default 5)
  --mnist DIR       directory with ${IMAGES} (default ../shared/data/mnist)
  --settings a,b    any of ${SETTINGS.join(', ')} (default all)
  --quick           far fewer iterations (a smoke test; not the figure)

Iterations: gaussian ${FIGURE1_STEPS.gaussian}; MNIST k-IHT ${FIGURE1_STEPS.mnistKiht}, Top-k I-OBS ${FIGURE1_STEPS.mnistTopk}, I-OBS ${FIGURE1_STEPS.mnistIobs}; underdetermined ${FIGURE1_STEPS.underdetermined}.
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
}

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
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  if (values.out.trim() === '') throw new UsageError('--out "": expected a file path');
  let settings = SETTINGS;
  if (values.settings !== undefined) {
    const names = values.settings.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const bad = names.find((s) => !(SETTINGS as string[]).includes(s));
    if (names.length === 0 || bad !== undefined) {
      throw new UsageError(`--settings ${JSON.stringify(values.settings)}: expected a comma-separated list of ${SETTINGS.join(', ')}${bad ? ` (unknown ${JSON.stringify(bad)})` : ''}`);
    }
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
  };
}

/** The first `count` test digits, 784 pixels each. */
async function loadDigits(dir: string, count: number): Promise<Uint8Array[]> {
  const path = join(dir, IMAGES);
  try {
    await access(path);
  } catch {
    throw new UsageError(`--mnist ${JSON.stringify(dir)}: no ${IMAGES} there (give the MNIST directory, or --settings without mnist)`);
  }
  const { shape, data } = await readIdxFile(path);
  if (shape.length !== 3 || shape[1] * shape[2] !== 784) throw new UsageError(`--mnist ${JSON.stringify(dir)}: ${IMAGES} has shape [${shape.join(', ')}], expected [N, 28, 28]`);
  if (count > shape[0]) throw new UsageError(`--digits ${count}: ${IMAGES} holds only ${shape[0]} images`);
  return Array.from({ length: count }, (_, i) => data.subarray(i * 784, (i + 1) * 784));
}

/** Runs `iobs figure1` with these arguments; returns the exit code. */
export async function figure1(args: string[]): Promise<number> {
  let o: Options | 'help';
  let digits: Uint8Array[] | undefined;
  try {
    o = parse(args);
    if (o !== 'help' && o.settings.includes('mnist')) digits = await loadDigits(o.mnist, o.digits);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`iobs figure1: ${err.message}\n${FIGURE1_USAGE}`);
    return 2;
  }
  if (o === 'help') {
    process.stdout.write(FIGURE1_USAGE);
    return 0;
  }
  if (digits && resolve(o.out) === resolve(join(o.mnist, IMAGES))) {
    process.stderr.write(`iobs figure1: --out ${JSON.stringify(o.out)} is the MNIST input; refusing to overwrite an input\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(line + '\n');
  const start = performance.now();
  const la = await init({ warn: log });
  log(`iobs figure1: backend ${la.backendName}, settings ${o.settings.join(', ')}, trials ${o.trials}${digits ? `, ${digits.length} MNIST digits` : ''}, seed ${o.seed}${o.quick ? ', quick' : ''}`);
  const results = await runFigure1(la, {
    trials: o.trials,
    seed: o.seed,
    digits,
    settings: o.settings,
    ...(o.quick ? { steps: FIGURE1_QUICK_STEPS } : {}),
    progress: (line) => log(`  ${line}`),
  });
  const svg = renderFigure(figure1Figure(results));
  await writeFileAtomic(o.out, new TextEncoder().encode(svg));
  const seconds = (performance.now() - start) / 1000;
  log(`iobs figure1: wrote ${o.out} in ${seconds.toFixed(1)} s`);
  if (o.json) {
    process.stdout.write(JSON.stringify({ out: o.out, backend: la.backendName, seconds: Number(seconds.toPrecision(4)), settings: summarizeFigure1(results) }) + '\n');
  }
  return 0;
}
