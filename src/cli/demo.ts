// `iobs demo` (npm run demo): the main job on the shipped real models (demo/, see demo/README.md).
// tinystories-llama is pruned with magnitude, Wanda, SparseGPT, OBC and I-OBS at 50% and 2:4,
// calibrated on TinyStories validation stories 0–199 and scored by perplexity on stories 500–699;
// mnist-cnn.onnx is pruned with magnitude, Wanda, SparseGPT and I-OBS at 50%, 2:4 and 70%,
// calibrated on MNIST test digits 0–999 and scored by top-1 accuracy on digits 5000–6999. Prints
// progress on stderr and the comparison tables on stdout; --json puts every run on the last line,
// --out DIR writes the figures and that JSON there too. Writes nothing else.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { flagValue, parseFlags, UsageError } from './args.js';
import { runCommand } from './errors.js';
import { openModel, readLabels, readOnnxSamples, readStories, type ModelInput } from './model-io.js';
import { peakRss } from './prune.js';
import { init } from '../init.js';
import { OutputTransaction } from '../io/outputs.js';
import type { Linalg } from '../linalg/linalg.js';
import { calibrationWindows } from '../models/llama/calibration.js';
import { sourcePerplexity } from '../models/llama/perplexity.js';
import { pruneLlama } from '../models/llama/prune.js';
import { onnxSampleCount, onnxTop1 } from '../models/onnx/capture.js';
import { layerReport, pruneOnnx } from '../models/onnx/prune.js';
import { overlaySource } from '../models/overlay.js';
import { formatLayerTable, formatRunTable, layerErrorFigure, type ModelRun } from '../models/report.js';
import { makePruner } from '../pruning/registry.js';
import type { PruneMethod } from '../pruning/types.js';

export const DEMO_USAGE = `usage: iobs demo [--quick] [--only llama|cnn] [--out DIR] [--json] [--force]

  Prunes the two real models shipped with iobs (demo/README.md names their sources) with every
  method and prints the comparison:
    tinystories-llama (Hugging Face Llama, 656k parameters): magnitude, wanda, sparsegpt, obc, iobs
      at 50% and 2:4; calibration stories 0–199, perplexity on stories 500–699 of TinyStories-valid
    mnist-cnn.onnx (Conv, Conv, Gemm, Gemm): magnitude, wanda, sparsegpt, iobs at 50%, 2:4 and 70%;
      calibration digits 0–999, top-1 accuracy on digits 5000–6999 of the MNIST test set
  --quick      fewer calibration windows and digits, fewer scored stories (a check that it runs)
  --only M     only the Llama or only the CNN
  --out DIR    also write DIR/demo.json and the figures DIR/{llama,cnn}-{50,2of4,70}.svg (DIR must exist)
  --json       last stdout line: every run as JSON
  --force      replace files in --out that exist
`;

/** Where the shipped models and data are: demo/ beside dist/ (the package) or the repository root. */
export function demoFolder(): string {
  for (const rel of ['../demo/', '../../demo/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'models/mnist-cnn.onnx'))) return dir;
  }
  throw new Error('the demo models are missing: expected demo/models beside dist/ (the npm package ships them)');
}

interface Settings {
  llamaWindows: number;
  seqlen: number;
  evalStories: number | undefined;
  calibDigits: number;
  evalDigits: number | undefined;
}

const LLAMA_METHODS: PruneMethod[] = ['magnitude', 'wanda', 'sparsegpt', 'obc', 'iobs'];
const CNN_METHODS: PruneMethod[] = ['magnitude', 'wanda', 'sparsegpt', 'iobs'];

/**
 * I-OBS on the CNN re-solves with CG capped at 50 iterations per re-solve: fc1 (128 x 3136) takes
 * 14 s so (relative error 3.9e-7 at 2:4) against 68 s with the default 500 (2.7e-7), measured
 * 2026-12-01 on two cores; SparseGPT's error on fc1 at 2:4 is 1.0e-4. The demo states it.
 */
export const CNN_IOBS_OPTIONS = { solver: 'cg', maxSolverIterations: 50 } as const;

function cnnPruner(method: PruneMethod) {
  return method === 'iobs' ? makePruner('iobs', { ...CNN_IOBS_OPTIONS }) : makePruner(method);
}

/** Results of one model: the dense run and one run per method and pattern. */
interface ModelResults {
  model: string;
  dense: ModelRun;
  runs: ModelRun[];
}

async function demoLlama(la: Linalg, m: Extract<ModelInput, { kind: 'llama' }>, dir: string, s: Settings, log: (l: string) => void): Promise<ModelResults> {
  const calib = await readStories('--calib', join(dir, 'data/tinystories-calib.txt'), m.tokenizer);
  const evalStories = (await readStories('--eval', join(dir, 'data/tinystories-eval.txt'), m.tokenizer)).slice(0, s.evalStories);
  const { windows } = calibrationWindows(calib, s.llamaWindows, s.seqlen, false);
  const score = async (tensors: Map<string, Float32Array>) => {
    const p = await sourcePerplexity(la, m.config, overlaySource(m.checkpoint, tensors), evalStories);
    return { kind: 'perplexity' as const, value: p.perplexity, count: p.count };
  };
  let t = performance.now();
  const dense: ModelRun = { method: 'dense', pattern: 'dense', layers: [], metric: await score(new Map()), seconds: (performance.now() - t) / 1000 };
  log(`tinystories-llama dense: perplexity ${dense.metric!.value.toFixed(3)} on ${dense.metric!.count} tokens of ${evalStories.length} stories`);
  const runs: ModelRun[] = [];
  for (const pattern of ['0.5', '2:4']) {
    for (const method of LLAMA_METHODS) {
      t = performance.now();
      const r = await pruneLlama(la, m.config, m.checkpoint, { pruner: makePruner(method), pattern, calibration: windows });
      const metric = await score(r.tensors);
      const run: ModelRun = { method, pattern: pattern === '0.5' ? '50%' : pattern, layers: r.layers, metric, seconds: (performance.now() - t) / 1000, peakBytes: peakRss() };
      runs.push(run);
      log(`tinystories-llama ${method} ${run.pattern}: perplexity ${metric.value.toFixed(3)}, mean layer error ${(r.layers.reduce((a, l) => a + l.relError, 0) / r.layers.length).toFixed(4)}, ${run.seconds.toFixed(1)} s`);
    }
  }
  return { model: 'tinystories-llama', dense, runs };
}

async function demoCnn(la: Linalg, m: Extract<ModelInput, { kind: 'onnx' }>, dir: string, s: Settings, log: (l: string) => void): Promise<ModelResults> {
  const calib = await readOnnxSamples('--calib', join(dir, 'data/mnist-calib-images-idx3-ubyte.gz'), m, s.calibDigits);
  const evalData = await readOnnxSamples('--eval', join(dir, 'data/mnist-eval-images-idx3-ubyte.gz'), m, s.evalDigits);
  const n = onnxSampleCount(evalData);
  const labels = await readLabels('--labels', join(dir, 'data/mnist-eval-labels-idx1-ubyte.gz'), n);
  let t = performance.now();
  const dense: ModelRun = { method: 'dense', pattern: 'dense', layers: [], metric: { kind: 'top1', value: await onnxTop1(m.bytes, evalData, labels), count: n }, seconds: (performance.now() - t) / 1000 };
  log(`mnist-cnn dense: top-1 ${(dense.metric!.value * 100).toFixed(2)}% on ${n} digits`);
  const runs: ModelRun[] = [];
  for (const pattern of ['0.5', '2:4', '0.7']) {
    for (const method of CNN_METHODS) {
      t = performance.now();
      const r = await pruneOnnx(la, m.model, calib, { pruner: cnnPruner(method), pattern });
      const layers = r.layers.map(layerReport);
      const acc = await onnxTop1(r.bytes, evalData, labels);
      const run: ModelRun = { method: method === 'iobs' ? 'iobs (cg ≤ 50)' : method, pattern: pattern === '2:4' ? pattern : `${Number(pattern) * 100}%`, layers, metric: { kind: 'top1', value: acc, count: n }, seconds: (performance.now() - t) / 1000, peakBytes: peakRss() };
      runs.push(run);
      log(`mnist-cnn ${method} ${run.pattern}: top-1 ${(acc * 100).toFixed(2)}%, ${run.seconds.toFixed(1)} s`);
    }
  }
  return { model: 'mnist-cnn', dense, runs };
}

const slug = (pattern: string) => (pattern === '2:4' ? '2of4' : pattern.replace('%', ''));

/** Runs `iobs demo`; returns the exit code. */
export async function demoCommand(args: string[]): Promise<number> {
  return runCommand('demo', DEMO_USAGE, args, async (rest) => {
    const v = parseFlags(rest, {
      quick: { type: 'boolean', default: false }, only: { type: 'string' }, out: { type: 'string' },
      json: { type: 'boolean', default: false }, force: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    });
    if (v.help) {
      process.stdout.write(DEMO_USAGE);
      return 0;
    }
    if (v.only !== undefined && v.only !== 'llama' && v.only !== 'cnn') throw new UsageError(`${flagValue('--only', v.only)}: expected llama or cnn`);
    const log = (line: string) => process.stderr.write(`iobs demo: ${line}\n`);
    const t0 = performance.now();
    const s: Settings = v.quick
      ? { llamaWindows: 8, seqlen: 128, evalStories: 20, calibDigits: 128, evalDigits: 500 }
      : { llamaWindows: 128, seqlen: 256, evalStories: undefined, calibDigits: 1000, evalDigits: undefined };
    const dir = demoFolder();
    const wanted = v.only === undefined ? ['llama', 'cnn'] : [v.only];
    const figures = (name: string, patterns: string[]) => patterns.map((p) => ({ name: `--out ${name}-${slug(p)}.svg`, path: join(v.out!, `${name}-${slug(p)}.svg`) }));
    const outputs = v.out === undefined ? [] : [
      { name: '--out demo.json', path: join(v.out, 'demo.json') },
      ...(wanted.includes('llama') ? figures('llama', ['50%', '2:4']) : []),
      ...(wanted.includes('cnn') ? figures('cnn', ['50%', '2:4', '70%']) : []),
    ];
    const tx = await OutputTransaction.begin(outputs, { force: v.force });
    const la = await init({ warn: log });
    const opened: ModelInput[] = [];
    try {
      const results: ModelResults[] = [];
      if (wanted.includes('llama')) {
        const m = await openModel('demo', join(dir, 'models/tinystories-llama'), false);
        opened.push(m);
        if (m.kind === 'llama') results.push(await demoLlama(la, m, dir, s, log));
      }
      if (wanted.includes('cnn')) {
        const m = await openModel('demo', join(dir, 'models/mnist-cnn.onnx'));
        if (m.kind === 'onnx') results.push(await demoCnn(la, m, dir, s, log));
      }
      const seconds = (performance.now() - t0) / 1000;
      for (const r of results) {
        if (v.json) continue;
        process.stdout.write(`\n${r.model}\n${formatRunTable([r.dense, ...r.runs])}\n\n`);
        for (const pattern of [...new Set(r.runs.map((x) => x.pattern))]) process.stdout.write(`${formatLayerTable(r.runs.filter((x) => x.pattern === pattern))}\n\n`);
      }
      if (!v.json) process.stdout.write(`demo: ${seconds.toFixed(1)} s, peak memory ${(peakRss() / 2 ** 20).toFixed(0)} MiB (each table's "peak memory" is the process's largest resident set up to the end of that run; it only grows)\n`);
      const summary = { seconds, peakRssBytes: peakRss(), quick: v.quick, settings: s, models: results };
      if (v.out !== undefined) {
        await tx.write('--out demo.json', new TextEncoder().encode(JSON.stringify(summary, null, 2) + '\n'));
        for (const r of results) {
          const name = r.model === 'mnist-cnn' ? 'cnn' : 'llama';
          for (const pattern of [...new Set(r.runs.map((x) => x.pattern))]) {
            const svg = layerErrorFigure(r.runs.filter((x) => x.pattern === pattern), { title: `${r.model}, ${pattern}: relative error of every layer` });
            await tx.write(`--out ${name}-${slug(pattern)}.svg`, new TextEncoder().encode(svg));
          }
        }
        await tx.commit();
      }
      if (v.json) process.stdout.write(JSON.stringify(summary) + '\n');
      return 0;
    } finally {
      await tx.abort();
      for (const m of opened) if (m.kind === 'llama') await m.checkpoint.close();
      la.dispose();
    }
  });
}

