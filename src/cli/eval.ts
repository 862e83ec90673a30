// `iobs eval`: scores a model — the perplexity of a text for a Llama, the top-1 accuracy of
// labelled inputs for an ONNX classifier — optionally beside a baseline model on the same data.
// Text separated by <|endoftext|> is scored one story at a time from BOS, each story one window of
// at most --seqlen tokens (a longer story is cut, not wrapped); plain text is scored in consecutive
// windows of --seqlen tokens. Every predicted token is counted once.
import { readFile } from 'node:fs/promises';
import { backendFlag, backendHelp, flagValue, intFlag, parseFlags, UsageError } from './args.js';
import { InputError, readingInput, runCommand, typedFlags } from './errors.js';
import { openModel, readLabels, readOnnxSamples, type ModelInput } from './model-io.js';
import { defaultRegistry, init } from '../init.js';
import type { Linalg } from '../linalg/linalg.js';
import { sourcePerplexity, splitStories, STORY_SEPARATOR } from '../models/llama/perplexity.js';
import { onnxSampleCount, onnxTop1 } from '../models/onnx/capture.js';
import { alignTable, metricCell, type ModelMetric } from '../models/report.js';

export const EVAL_USAGE = `usage: iobs eval MODEL --data DATA [--labels LABELS] [--baseline MODEL] [--seqlen L]
         [--samples N] [--no-prefix-space] [--json] [--verbose] [--backend NAME]

  MODEL             an .onnx classifier or a Hugging Face Llama folder
  --data DATA       Llama: a text file (stories separated by <|endoftext|>, or plain text);
                    ONNX: a .npy of float32 inputs or MNIST IDX images; for a model with
                    several inputs one .npy per input, NAME=FILE,NAME2=FILE2
  --labels LABELS   ONNX: the class of each input (.npy of integers or MNIST IDX labels)
  --baseline MODEL  score this model too, on the same data, side by side
  --seqlen L        Llama: most tokens per window (default max_position_embeddings)
  --samples N       only the first N stories (Llama) or inputs (ONNX)
  --no-prefix-space Llama: encode without the "▁" the tokenizer's normaliser puts first
  --json            last stdout line: {"model", "metric", "baseline"}
  --backend NAME    ${backendHelp(defaultRegistry().names())}

Perplexity is exp(Σ −log p / tokens predicted), natural log. Exit status: 0 done, 2 bad flags or input.
`;

/** What eval prints with --json. */
export interface EvalSummary {
  model: string;
  metric: ModelMetric;
  baseline: { model: string; metric: ModelMetric } | null;
  data: string;
}

/** Windows of a Llama text: one per story when stories are separated, else consecutive windows of seqlen. */
export function textWindows(text: string, encodeStory: (s: string) => number[], seqlen: number, limit?: number): number[][] {
  if (text.includes(STORY_SEPARATOR)) {
    const stories = splitStories(text).slice(0, limit);
    return stories.map((s) => encodeStory(s));
  }
  const ids = encodeStory(text.trim());
  const out: number[][] = [];
  for (let i = 0; i + 1 < ids.length && (limit === undefined || out.length < limit); i += seqlen) out.push(ids.slice(i, i + seqlen));
  return out;
}

/** Scores one model on the data. */
export async function scoreModel(la: Linalg, m: ModelInput, data: string, labels: string | undefined, seqlen: number | undefined, limit: number | undefined, log: (s: string) => void): Promise<ModelMetric> {
  if (m.kind === 'onnx') {
    if (labels === undefined) throw new UsageError(`--labels LABELS is required to score the ONNX model ${JSON.stringify(m.path)} (top-1 accuracy)`);
    const samples = await readOnnxSamples('--data', data, m, limit);
    const n = onnxSampleCount(samples);
    const y = await readLabels('--labels', labels, n);
    const acc = await onnxTop1(m.bytes, samples, y);
    log(`${m.path}: top-1 ${(acc * 100).toFixed(2)}% on ${n} samples`);
    return { kind: 'top1', value: acc, count: n };
  }
  const cfg = m.config;
  const L = seqlen ?? cfg.maxPositionEmbeddings;
  if (L > cfg.maxPositionEmbeddings) throw new UsageError(`${flagValue('--seqlen', String(L))}: at most max_position_embeddings = ${cfg.maxPositionEmbeddings} of ${m.path}`);
  const text = await readingInput('--data', data, () => readFile(data, 'utf8'));
  const windows = textWindows(text, (s) => m.tokenizer.encodeStory(s), L, limit);
  if (windows.length === 0 || windows.every((w) => w.length < 2)) throw new InputError(`${flagValue('--data', data)}: no text to score (no window of two or more tokens)`);
  const p = await sourcePerplexity(la, cfg, m.checkpoint, windows, { seqlen: L, onProgress: (line) => log(`${m.path}: scoring ${line}`) });
  log(`${m.path}: perplexity ${p.perplexity.toFixed(3)} over ${p.count} predicted tokens in ${p.windows} windows (${p.cut} cut to ${L})`);
  return { kind: 'perplexity', value: p.perplexity, count: p.count };
}

/** Runs `iobs eval`; returns the exit code. */
export async function evalCommand(args: string[]): Promise<number> {
  return runCommand('eval', EVAL_USAGE, args, async (rest, ctx) => {
    const [first, ...flags] = rest;
    if (first === '--help' || first === '-h') {
      process.stdout.write(EVAL_USAGE);
      return 0;
    }
    if (first === undefined || first.startsWith('-')) throw new UsageError('MODEL is required first: iobs eval MODEL --data DATA ...');
    const v = parseFlags(flags, {
      data: { type: 'string' }, labels: { type: 'string' }, baseline: { type: 'string' }, seqlen: { type: 'string' }, samples: { type: 'string' },
      'no-prefix-space': { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    });
    if (v.help) {
      process.stdout.write(EVAL_USAGE);
      return 0;
    }
    ctx.typed = typedFlags(v);
    if (!v.data) throw new UsageError('--data DATA is required');
    const seqlen = intFlag('--seqlen', v.seqlen, (x) => x >= 2, 'an integer >= 2');
    const limit = intFlag('--samples', v.samples, (x) => x >= 1, 'a positive integer');
    const backend = backendFlag(v.backend, defaultRegistry().names());
    const log = (line: string) => process.stderr.write(`iobs eval: ${line}\n`);
    const models: ModelInput[] = [];
    try {
      models.push(await openModel('MODEL', first, !v['no-prefix-space']));
      if (v.baseline) models.push(await openModel('--baseline', v.baseline, !v['no-prefix-space']));
      if (models.length === 2 && models[0].kind !== models[1].kind) throw new InputError(`--baseline ${JSON.stringify(v.baseline)} is ${models[1].kind === 'onnx' ? 'an ONNX file' : 'a Llama folder'}, MODEL ${models[0].kind === 'onnx' ? 'an ONNX file' : 'a Llama folder'}; compare models of one kind`);
      if (models[0].kind === 'llama' && v.labels) throw new UsageError(`${flagValue('--labels', v.labels)} applies to ONNX models; a Llama is scored by perplexity`);
      if (models[0].kind === 'onnx' && seqlen !== undefined) throw new UsageError(`${flagValue('--seqlen', v.seqlen!)} applies to Llama models, not to the ONNX file ${JSON.stringify(first)}`);
      if (models[0].kind === 'onnx' && v['no-prefix-space']) throw new UsageError(`--no-prefix-space applies to Llama models, not to the ONNX file ${JSON.stringify(first)}`);
      const la = await init({ backend, warn: log });
      try {
        const metrics: ModelMetric[] = [];
        for (const m of models) metrics.push(await scoreModel(la, m, v.data, v.labels, seqlen, limit, log));
        const summary: EvalSummary = { model: first, metric: metrics[0], baseline: v.baseline ? { model: v.baseline, metric: metrics[1] } : null, data: v.data };
        if (v.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else {
          const name = metrics[0].kind === 'perplexity' ? 'perplexity' : 'top-1';
          const rows = [['model', name, metrics[0].kind === 'perplexity' ? 'tokens' : 'samples']];
          models.forEach((m, i) => rows.push([m.path, metricCell(metrics[i]), String(metrics[i].count)]));
          process.stdout.write(alignTable(rows) + '\n');
        }
        return 0;
      } finally {
        la.dispose();
      }
    } finally {
      for (const m of models) if (m.kind === 'llama') await m.checkpoint.close();
    }
  });
}
