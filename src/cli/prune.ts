// `iobs prune`: prunes a whole model — an .onnx file (every Conv, Gemm and MatMul with a weight
// initializer) or a Hugging Face Llama folder (the q, k, v, o, gate, up and down projections) —
// layer by layer, each calibrated on the model with the layers before it already pruned. The
// output (an .onnx file, or a folder in the checkpoint's layout) and the --plot figure are checked
// before any work and written only when everything succeeded. Progress per layer on stderr; the
// per-layer table on stdout, or with --json a summary as the last stdout line.
import { backendFlag, backendHelp, flagValue, intFlag, parseFlags, UsageError, choiceFlag } from './args.js';
import { isIobsError, show } from '../core/errors.js';
import { type ArgFlags, InputError, runCommand, typedFlags } from './errors.js';
import { openModel, readOnnxSamples, readLabels, readStories, sampleFilePaths, type ModelInput } from './model-io.js';
import { patternFromFlags, prunerFromFlags } from './pruning-flags.js';
import { defaultRegistry, init } from '../init.js';
import { OutputFolder } from '../io/output-folder.js';
import { type InputSpec, OutputTransaction } from '../io/outputs.js';
import type { Linalg } from '../linalg/linalg.js';
import { calibrationWindows } from '../models/llama/calibration.js';
import { LlamaWeightsWriter } from '../models/llama/checkpoint.js';
import { openSafetensorsFile } from '../io/safetensors-node.js';
import { filePassStores } from '../io/pass-store-node.js';
import { sourcePerplexity } from '../models/llama/perplexity.js';
import { pruneLlama } from '../models/llama/prune.js';
import { onnxSampleCount, onnxTop1, sliceOnnxSamples } from '../models/onnx/capture.js';
import { layerReport, pruneOnnx } from '../models/onnx/prune.js';
import { onnxLayers, onnxSkippedLayers } from '../models/onnx/reader.js';
import { formatLayerTable, formatRunTable, layerErrorFigure, type LayerReport, type ModelMetric, type ModelRun } from '../models/report.js';
import { formatPattern, type Pattern } from '../pruning/pattern.js';
import { availableMethods, METHODS } from '../pruning/registry.js';
import type { PruneMethod, Pruner } from '../pruning/types.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOrRecover } from '../models/device-loss.js';

export const PRUNE_USAGE = `usage: iobs prune MODEL --out OUT --method ${METHODS.join('|')}
         (--sparsity S [--per-row] | --pattern N:M) --calib DATA [--samples N]
         [--seqlen L] [--passes P] [--validation DATA] [--no-prefix-space] [--prune-head] [--target T]
         [--damp D] [--blocksize B] [--iters N] [--eta E] [--start S]
         [--eval DATA [--labels LABELS]] [--plot FILE.svg] [--json] [--force] [--verbose] [--backend NAME]

  MODEL            an .onnx file (float32 initializers) or a Hugging Face Llama folder
                   (config.json, model.safetensors or a sharded index, tokenizer.json)
  --out OUT        the pruned model: an .onnx file, or a folder in the checkpoint's layout
  --method NAME    ${METHODS.join(', ')} (available in this build: ${availableMethods().join(', ')})
  --sparsity S     prune this fraction of every layer, in [0, 1) (--per-row: of every row)
  --pattern N:M    keep N of every M consecutive inputs; layers whose inputs are not a multiple
                   of M stay dense (the table says which)
  --calib DATA     calibration data: for ONNX a .npy of float32 inputs [N, ...] or MNIST IDX
                   images (…-idx3-ubyte[.gz], normalised as (x/255 − 0.1307)/0.3081); for a
                   Llama a text file (stories separated by <|endoftext|>, or plain text); an
                   ONNX model with several inputs takes one .npy per input: NAME=FILE,NAME2=FILE2
  --samples N      ONNX: the first N samples (default all); Llama: windows (default 128, or
                   every full window the text holds when fewer)
  --seqlen L       Llama: tokens per calibration window (default max_position_embeddings)
  --passes P       I-OBS passes over the whole model (default 1; --method iobs); the pass with the
                   least loss on --validation is kept (Llama: perplexity; ONNX: output error
                   against the dense model)
  --validation V   data held apart from calibration for choosing the pass (default: the last
                   tenth of --calib's stories or samples, then not used for calibration)
  --no-prefix-space  Llama: encode text without the "▁" the tokenizer's normaliser puts first
                   (the shipped tinystories-llama was trained so)
  --prune-head     Llama: prune the output head too, last (tied embeddings: the embedding matrix);
                   without it embeddings and head stay dense
  --target T       Llama: what each layer is pruned to reproduce: dense (default; the dense
                   model's outputs, so each layer also corrects the pruned layers before it) or
                   self (its own dense weight on the pruned inputs, SparseGPT's protocol); dense
                   applies to sparsegpt, obc and iobs
  --damp D         relative damping (sparsegpt, obc, iobs; default 0.01)
  --blocksize B    SparseGPT's column block (sparsegpt, iobs; default 128)
  --iters N        I-OBS iterations per layer (default 3; 1 where CG re-solves)    --eta E  I-OBS step (default 0.5)
  --start S        I-OBS's one-shot start per layer: sparsegpt (default), obc, wanda, magnitude
  --eval DATA      also score the pruned model: perplexity of a text (Llama) or top-1 accuracy
                   of inputs with --labels (ONNX: .npy or MNIST IDX files)
  --plot FILE.svg  every layer's relative error as an SVG line chart
  --json           last stdout line: a JSON summary (layers, metric, time, peak memory)
  --force          replace --out and --plot if they exist
  --backend NAME   ${backendHelp(defaultRegistry().names())}

Outputs are checked before any work and written only when the whole run succeeded. Exit status:
0 done, 2 bad flags or input (the flag is named), 1 a failed computation.
`;

interface Options {
  model: string;
  out: string;
  method: PruneMethod;
  pattern: Pattern;
  pruner: Pruner;
  calib: string;
  samples?: number;
  seqlen?: number;
  passes: number;
  validation?: string;
  prefixSpace: boolean;
  head: boolean;
  target?: 'dense' | 'self';
  eval?: string;
  labels?: string;
  plot?: string;
  json: boolean;
  force: boolean;
  backend?: string;
  typed: Record<string, string>;
}

/** The --json summary of iobs prune. */
export interface PruneSummary {
  model: string;
  format: 'onnx' | 'llama';
  out: string;
  method: PruneMethod;
  pattern: string;
  layers: LayerReport[];
  metric: ModelMetric | null;
  passes: { pass: number; validationLoss: number }[] | null;
  chosenPass: number | null;
  calibration: { samples: number; seqlen: number | null };
  /** What each Llama layer was pruned to reproduce (--target; null for ONNX and for magnitude and Wanda, which prune W itself). */
  target: 'dense' | 'self' | null;
  seconds: number;
  /** Largest resident set of the process (bytes), and most bytes the pruning backend held at once. */
  peakRssBytes: number;
  peakBackendBytes: number | null;
}

function parse(args: string[]): Options | 'help' {
  const [first, ...rest] = args;
  if (first === '--help' || first === '-h') return 'help';
  if (first === undefined || first.startsWith('-')) throw new UsageError('MODEL is required first: iobs prune MODEL --out OUT ...');
  const values = parseFlags(rest, {
    out: { type: 'string' }, method: { type: 'string' }, sparsity: { type: 'string' }, 'per-row': { type: 'boolean', default: false },
    pattern: { type: 'string' }, calib: { type: 'string' }, samples: { type: 'string' }, seqlen: { type: 'string' },
    passes: { type: 'string' }, validation: { type: 'string' }, 'no-prefix-space': { type: 'boolean', default: false }, 'prune-head': { type: 'boolean', default: false },
    target: { type: 'string' }, damp: { type: 'string' }, blocksize: { type: 'string' }, iters: { type: 'string' }, eta: { type: 'string' }, start: { type: 'string' },
    eval: { type: 'string' }, labels: { type: 'string' }, plot: { type: 'string' },
    json: { type: 'boolean', default: false }, force: { type: 'boolean', default: false }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  const need = (flag: string, v: string | undefined): string => {
    if (v === undefined || v === '') throw new UsageError(`--${flag} is required${v === '' ? ' (got an empty value)' : ''}`);
    return v;
  };
  const out = need('out', values.out);
  const method = choiceFlag('--method', need('method', values.method), METHODS, 'method')!;
  if (!availableMethods().includes(method)) throw new UsageError(`${flagValue('--method', method)}: not available in this build (available: ${availableMethods().join(', ')})`);
  const pattern = patternFromFlags(values);
  const pruner = prunerFromFlags(method, values, pattern);
  const calib = need('calib', values.calib);
  const samples = intFlag('--samples', values.samples, (x) => x >= 1, 'a positive integer');
  const seqlen = intFlag('--seqlen', values.seqlen, (x) => x >= 2, 'an integer >= 2');
  const passes = intFlag('--passes', values.passes, (x) => x >= 1 && x <= 100, 'an integer in 1..100') ?? 1;
  if (passes > 1 && method !== 'iobs') throw new UsageError(`${flagValue('--passes', values.passes!)} applies to --method iobs (passes repeat I-OBS from the previous pass), not to ${method}`);
  if (values.validation !== undefined && passes === 1) throw new UsageError(`${flagValue('--validation', values.validation)} chooses among passes; give it with --passes P > 1`);
  if (values.labels !== undefined && values.eval === undefined) throw new UsageError(`${flagValue('--labels', values.labels)} goes with --eval DATA`);
  const target = choiceFlag('--target', values.target, ['dense', 'self'] as const, 'target');
  if (target !== undefined && !pruner.factorsHessian) throw new UsageError(`${flagValue('--target', target)} does not apply to --method ${method} (it applies to sparsegpt, obc, iobs; magnitude and wanda prune W itself)`);
  return {
    model: first, out, method, pattern, pruner, calib, samples, seqlen, passes, validation: values.validation,
    prefixSpace: !values['no-prefix-space'], head: values['prune-head'], target, eval: values.eval, labels: values.labels, plot: values.plot,
    json: values.json, force: values.force, backend: backendFlag(values.backend, defaultRegistry().names()), typed: typedFlags(values),
  };
}

/** Flags that only one kind of model reads: refused, naming the flag, for the other. */
function checkKindFlags(o: Options, m: ModelInput): void {
  const llamaOnly: [string, unknown][] = [['--seqlen', o.seqlen], ['--no-prefix-space', o.prefixSpace ? undefined : true], ['--prune-head', o.head ? true : undefined], ['--target', o.target]];
  if (m.kind === 'onnx') {
    for (const [flag, v] of llamaOnly) {
      if (v !== undefined) throw new UsageError(`${o.typed[flag] === undefined ? flag : flagValue(flag, o.typed[flag])} applies to Llama models, not to the ONNX file ${JSON.stringify(o.model)}`);
    }
    if (o.eval !== undefined && o.labels === undefined) throw new UsageError(`--eval ${JSON.stringify(o.eval)} on an ONNX model needs --labels LABELS (top-1 accuracy)`);
  } else if (o.labels !== undefined) {
    throw new UsageError(`${flagValue('--labels', o.labels)} applies to ONNX models (top-1 accuracy); a Llama is scored by perplexity of --eval's text`);
  }
}

/** The library arguments' flags, for error messages. */
const ARG_FLAGS: ArgFlags = {
  'options.pattern': '--pattern', 'options.damp': '--damp', 'options.eta': '--eta', 'options.iterations': '--iters',
  'options.blockSize': '--blocksize', 'options.pruner': '--method', 'options.start': '--start', 'options.passes': '--passes',
  'options.calibration': '--calib', 'options.validation': '--validation', samples: '--calib', 'samples.data': '--calib', 'samples.sampleShape': '--calib', model: 'MODEL',
};

/** The peak resident set of this process so far, in bytes. */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Runs `iobs prune`; returns the exit code. */
export async function pruneCommand(args: string[]): Promise<number> {
  return runCommand('prune', PRUNE_USAGE, args, async (rest, ctx) => {
    const o = parse(rest);
    if (o === 'help') {
      process.stdout.write(PRUNE_USAGE);
      return 0;
    }
    ctx.typed = o.typed;
    ctx.argFlags = ARG_FLAGS;
    const log = (line: string) => process.stderr.write(`iobs prune: ${line}\n`);
    const t0 = performance.now();
    const m = await openModel('MODEL', o.model, o.prefixSpace);
    try {
      checkKindFlags(o, m);
      if (m.kind === 'onnx') {
        // The model's own problems (nothing to prune, an unsupported weight type) are MODEL's.
        ctx.argFlags = { ...ARG_FLAGS, [o.model]: 'MODEL' };
        ctx.typed = { ...o.typed, MODEL: o.model };
        if (onnxLayers(m.model).length === 0) {
          const nodes = m.model.graph?.node ?? [];
          const skipped = onnxSkippedLayers(m.model);
          const why = skipped.length > 0 ? `; ${skipped.map((l) => `${l.node}: ${l.reason}`).join('; ')}` : '';
          throw new InputError(`${flagValue('MODEL', o.model)}: nothing to prune: a graph of ${nodes.length} node${nodes.length === 1 ? '' : 's'} (${[...new Set(nodes.map((n) => n.opType))].join(', ')})${why}; iobs prunes Conv, Gemm and MatMul nodes whose weight is a float initializer`);
        }
      }
      const inputs: InputSpec[] = [{ name: 'MODEL', path: o.model }, ...sampleFilePaths(o.calib).map((path) => ({ name: '--calib', path }))];
      for (const [name, value] of [['--validation', o.validation], ['--eval', o.eval], ['--labels', o.labels]] as const) if (value) for (const path of sampleFilePaths(value)) inputs.push({ name, path });
      // Every output is checked, and its temporary made, before any work.
      const files = await OutputTransaction.begin(
        [...(m.kind === 'onnx' ? [{ name: '--out', path: o.out }] : []), ...(o.plot ? [{ name: '--plot', path: o.plot }] : [])],
        { force: o.force, inputs },
      );
      let folder: OutputFolder | null = null;
      try {
        if (m.kind === 'llama') folder = await OutputFolder.begin({ name: '--out', path: o.out }, { force: o.force, inputs });
        const la = await init({ backend: o.backend, warn: log });
        try {
          const run = m.kind === 'onnx' ? await pruneOnnxModel(la, o, m, files, log) : await pruneLlamaModel(la, o, m, folder!, log);
          const seconds = (performance.now() - t0) / 1000;
          const summary: PruneSummary = { ...run, model: o.model, format: m.kind, out: o.out, method: o.method, pattern: formatPattern(o.pattern), seconds, peakRssBytes: peakRss() };
          const table: ModelRun = { method: o.method, pattern: summary.pattern, layers: run.layers, metric: run.metric ?? undefined, seconds, peakBytes: summary.peakRssBytes };
          if (o.plot) await files.write('--plot', new TextEncoder().encode(layerErrorFigure([table], { title: `${o.model}: ${o.method} ${summary.pattern}` })));
          await files.commit();
          await folder?.commit();
          log(`wrote ${o.out}${o.plot ? ` and ${o.plot}` : ''}`);
          if (o.json) process.stdout.write(JSON.stringify(summary) + '\n');
          else process.stdout.write(`${formatLayerTable([table])}\n\n${formatRunTable([table])}\n`);
          return 0;
        } finally {
          la.dispose();
        }
      } finally {
        await files.abort();
        await folder?.abort();
      }
    } finally {
      if (m.kind === 'llama') await m.checkpoint.close();
    }
  });
}

type RunParts = Pick<PruneSummary, 'layers' | 'metric' | 'passes' | 'chosenPass' | 'calibration' | 'peakBackendBytes' | 'target'>;

/** The layer line on stderr. */
function layerLine(i: number, n: number, l: LayerReport): string {
  const what = l.pattern === null ? `dense (${l.dense})` : `${l.pattern}: relative error ${l.relError.toPrecision(4)}, ${l.seconds.toFixed(2)} s`;
  return `layer ${i}/${n} ${l.name} ${l.op} ${l.rows}x${l.cols} ${what}`;
}

async function pruneOnnxModel(la: Linalg, o: Options, m: Extract<ModelInput, { kind: 'onnx' }>, files: OutputTransaction, log: (s: string) => void): Promise<RunParts> {
  let samples = await readOnnxSamples('--calib', o.calib, m, o.samples);
  let n = onnxSampleCount(samples);
  if (o.samples !== undefined && n < o.samples) throw new InputError(`${flagValue('--samples', String(o.samples))}: ${flagValue('--calib', o.calib)} holds ${n} samples`);
  let validation;
  if (o.passes > 1) {
    if (o.validation) validation = await readOnnxSamples('--validation', o.validation, m);
    else {
      if (n < 10) throw new InputError(`${flagValue('--calib', o.calib)}: ${n} samples; holding a tenth apart for --passes needs at least 10 (or give --validation)`);
      const cut = n - Math.max(1, Math.floor(n / 10));
      validation = sliceOnnxSamples(samples, cut, n);
      samples = sliceOnnxSamples(samples, 0, cut);
      log(`holding the last ${n - cut} of ${n} --calib samples apart to choose the pass`);
      n = cut;
    }
  }
  const evalData = o.eval ? await readOnnxSamples('--eval', o.eval, m) : null;
  const labels = evalData ? await readLabels('--labels', o.labels!, onnxSampleCount(evalData)) : null;
  log(`${o.model}: ${o.method} ${formatPattern(o.pattern)}, calibrating on ${n} samples, backend ${la.backendName}`);
  const layers: LayerReport[] = [];
  const total = onnxLayers(m.model).length;
  const r = await pruneOnnx(la, m.model, samples, {
    pruner: o.pruner, pattern: o.pattern, name: o.model, passes: o.passes, validation, warn: log,
    onLayer: (l) => {
      const report = layerReport(l);
      layers.push(report);
      log(layerLine(((layers.length - 1) % total) + 1, total, report));
    },
  });
  await files.write('--out', r.bytes);
  let metric: ModelMetric | null = null;
  if (evalData && labels) {
    const acc = await onnxTop1(r.bytes, evalData, labels);
    metric = { kind: 'top1', value: acc, count: labels.length };
    log(`top-1 accuracy of the pruned model on ${o.eval}: ${(acc * 100).toFixed(2)}% (${labels.length} samples)`);
  }
  if (o.passes > 1) for (const p of r.passes) log(`pass ${p.pass}: validation loss ${p.validationLoss.toExponential(4)} (output error against the dense model)${p.pass === r.chosenPass ? ', kept' : ''}`);
  return {
    layers: o.passes > 1 ? r.layers.map(layerReport) : layers,
    metric, passes: o.passes > 1 ? r.passes : null, chosenPass: o.passes > 1 ? r.chosenPass : null, calibration: { samples: n, seqlen: null }, peakBackendBytes: null, target: null,
  };
}

async function pruneLlamaModel(la: Linalg, o: Options, m: Extract<ModelInput, { kind: 'llama' }>, folder: OutputFolder, log: (s: string) => void): Promise<RunParts> {
  const cfg = m.config;
  const seqlen = o.seqlen ?? cfg.maxPositionEmbeddings;
  if (seqlen > cfg.maxPositionEmbeddings) throw new UsageError(`${flagValue('--seqlen', String(seqlen))}: at most max_position_embeddings = ${cfg.maxPositionEmbeddings} of ${o.model}`);
  let stories = await readStories('--calib', o.calib, m.tokenizer);
  let validation: number[][] | undefined;
  if (o.passes > 1) {
    if (o.validation) validation = await readStories('--validation', o.validation, m.tokenizer);
    else {
      if (stories.length < 10) throw new InputError(`${flagValue('--calib', o.calib)}: ${stories.length} stories; holding a tenth apart for --passes needs at least 10 (or give --validation)`);
      const cut = stories.length - Math.max(1, Math.floor(stories.length / 10));
      validation = stories.slice(cut);
      stories = stories.slice(0, cut);
      log(`holding the last ${validation.length} of ${cut + validation.length} --calib stories apart to choose the pass`);
    }
  }
  if (validation) {
    // Validation stories are scored as --eval's are, one window from BOS each, so a story longer
    // than the model's context is cut to it (pruneLlama refuses longer windows).
    const max = cfg.maxPositionEmbeddings;
    const cut = validation.filter((s) => s.length > max).length;
    if (cut > 0) {
      validation = validation.map((s) => (s.length > max ? s.slice(0, max) : s));
      log(`${cut} of ${validation.length} validation stories cut to max_position_embeddings = ${max} tokens`);
    }
  }
  const evalStories = o.eval ? await readStories('--eval', o.eval, m.tokenizer) : null;
  let windows: number[][];
  try {
    const w = calibrationWindows(stories, o.samples ?? 128, seqlen, o.samples !== undefined);
    windows = w.windows;
    if (windows.length < (o.samples ?? 128)) log(`the text holds ${w.tokens} tokens: ${w.available} windows of ${seqlen} (fewer than the default 128; give --samples to insist)`);
  } catch (e) {
    if (isIobsError(e) && e.arg === 'samples') {
      throw new InputError(`${flagValue('--samples', String(o.samples))}: more windows than ${flagValue('--calib', o.calib)} holds; expected ${e.reason}`, { cause: e });
    }
    throw new InputError(`${flagValue('--calib', o.calib)}: ${isIobsError(e) ? `expected ${e.reason}; got ${show(e.value)}` : (e as Error).message}`, { cause: e });
  }
  const total = cfg.numLayers * 7 + (o.head ? 1 : 0);
  log(`${o.model}: ${o.method} ${formatPattern(o.pattern)}, ${windows.length} windows of ${seqlen} tokens, ${o.passes} pass${o.passes > 1 ? 'es' : ''}, backend ${la.backendName}`);
  let count = 0;
  // One pass: every pruned tensor goes to its place in the output file as soon as it is ready, so
  // the pruned weights are never held together. Several: each pass's pruned weights and masks go
  // to a file of their own inside the output's temporary folder (removed once no pass needs it),
  // and the kept pass is copied into the output tensor by tensor at the end.
  const file = await folder.file('model.safetensors');
  const writer = await LlamaWeightsWriter.begin(file, m.checkpoint, m.checkpoint.metadata);
  const stream = o.passes === 1;
  const r = await pruneLlama(la, cfg, m.checkpoint, {
    pruner: o.pruner, pattern: o.pattern, calibration: windows, passes: o.passes, validation, head: o.head, target: o.target,
    onLayer: (l) => log(`${o.passes > 1 ? `pass ${l.pass} ` : ''}${layerLine((count++ % total) + 1, total, l)}`),
    onProgress: (line) => { if (/validation/.test(line)) log(line); },
    warn: log,
    onTensor: stream ? (name, values) => writer.put(name, values) : undefined,
    passStore: stream ? undefined : filePassStores(folder.pathOf('.pass-')),
  });
  if (r.store) {
    try {
      for (const name of r.store.names()) await writer.put(name, await r.store.weight(name));
    } finally {
      await r.store.free();
    }
  }
  await writer.finish();
  await file.close();
  // The side files as they are.
  for (const f of m.files) await folder.write(f, await readFile(join(o.model, f)));
  let metric: ModelMetric | null = null;
  if (evalStories) {
    // Scored from the file just written (in the output's temporary folder until the commit).
    const written = await openSafetensorsFile(folder.pathOf('model.safetensors'));
    try {
      const p = await runOrRecover(la, log, 'the perplexity is computed there', (l) => sourcePerplexity(l, cfg, written, evalStories));
      metric = { kind: 'perplexity', value: p.perplexity, count: p.count };
      log(`perplexity of the pruned model on ${o.eval}: ${p.perplexity.toFixed(3)} (${p.count} tokens in ${p.windows} stories, ${p.cut} cut to ${cfg.maxPositionEmbeddings})`);
    } finally {
      await written.close();
    }
  }
  return {
    layers: r.layers, metric, passes: o.passes > 1 ? r.passes.map((p) => ({ pass: p.pass, validationLoss: p.validationLoss })) : null,
    chosenPass: o.passes > 1 ? r.chosenPass : null, calibration: { samples: windows.length, seqlen }, peakBackendBytes: r.peakBackendBytes,
    target: o.pruner.factorsHessian ? o.target ?? 'dense' : null,
  };
}
