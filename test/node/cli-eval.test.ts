// `iobs eval MODEL` through the built CLI: the CNN's top-1 with --labels beside a --baseline (a
// model pruned here), checked against onnxruntime-node; the Llama's perplexity; and its bad input,
// each exit 2 with one line naming the flag and nothing written.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type * as OrtNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIdx } from '../../src/io/idx.js';
import { mnistInputs, mnistLabels } from '../../src/models/mnist.js';
import { CNN, LLAMA, MNIST, STORIES, commandLines, iobs, lastJson } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'iobs-cli-eval-'));
const at = (...names: string[]) => join(dir, ...names);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 500;
/** Correct answers of a model on the first N evaluation digits, by onnxruntime-node. */
async function correctByOrt(path: string): Promise<number> {
  const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof OrtNode;
  const idx = (p: string) => parseIdx(gunzipSync(readFileSync(p)), p);
  const x = mnistInputs(idx(MNIST.eval), 0, N), y = mnistLabels(idx(MNIST.evalLabels), 0, N);
  const sess = await ort.InferenceSession.create(path);
  try {
    const out = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', x, [N, 1, 28, 28]) });
    const logits = out[sess.outputNames[0]].data as Float32Array;
    let correct = 0;
    for (let k = 0; k < N; k++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits[k * 10 + c] > logits[k * 10 + best]) best = c;
      if (best === y[k]) correct++;
    }
    return correct;
  } finally {
    await sess.release();
  }
}

beforeAll(() => {
  const r = iobs(dir, ['prune', CNN, '--out', 'cnn70.onnx', '--method', 'magnitude', '--sparsity', '0.7', '--calib', MNIST.calib, '--samples', '16']);
  expect(r.code, r.stderr).toBe(0);
});

describe('iobs eval on the CNN', () => {
  it('--labels and --baseline: both top-1s on the same digits, as onnxruntime-node counts them', async () => {
    const r = iobs(dir, ['eval', 'cnn70.onnx', '--data', MNIST.eval, '--labels', MNIST.evalLabels, '--baseline', CNN, '--samples', String(N), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Record<string, any>>(r.stdout);
    expect(s).toMatchObject({ model: 'cnn70.onnx', data: MNIST.eval, metric: { kind: 'top1', count: N }, baseline: { model: CNN, metric: { kind: 'top1', count: N } } });
    const pruned = await correctByOrt(at('cnn70.onnx')), dense = await correctByOrt(CNN);
    expect(Math.abs(s.metric.value * N - pruned), `pruned: ${s.metric.value} against ${pruned}/${N}`).toBeLessThanOrEqual(1);
    expect(Math.abs(s.baseline.metric.value * N - dense), `dense: ${s.baseline.metric.value} against ${dense}/${N}`).toBeLessThanOrEqual(1);
    // Magnitude at 70% costs the CNN accuracy; the dense model is near 99%.
    expect(s.baseline.metric.value).toBeGreaterThan(0.95);
    expect(s.metric.value).toBeLessThan(s.baseline.metric.value);
  });

  it('without --json: a table of both models', () => {
    const r = iobs(dir, ['eval', 'cnn70.onnx', '--data', MNIST.eval, '--labels', MNIST.evalLabels, '--baseline', CNN, '--samples', '100']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^model\s+top-1\s+samples$/);
    expect(lines[1]).toMatch(/^cnn70\.onnx\s+\d+(\.\d+)?%\s+100$/);
    expect(lines[2]).toContain(CNN);
    expect(r.stdout).not.toMatch(/NaN/);
  });
});

describe('iobs eval on the Llama', () => {
  it('the perplexity of the first stories, finite and above 1; the same with --seqlen cutting them', () => {
    const r = iobs(dir, ['eval', LLAMA, '--data', STORIES.eval, '--samples', '5', '--no-prefix-space', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Record<string, any>>(r.stdout);
    expect(s.baseline).toBeNull();
    expect(s.metric.kind).toBe('perplexity');
    expect(Number.isFinite(s.metric.value) && s.metric.value > 1 && s.metric.value < 2048).toBe(true);
    const cut = lastJson<Record<string, any>>(iobs(dir, ['eval', LLAMA, '--data', STORIES.eval, '--samples', '5', '--seqlen', '16', '--no-prefix-space', '--json']).stdout);
    expect(cut.metric.count).toBe(5 * 15);
    expect(Number.isFinite(cut.metric.value)).toBe(true);
  });
});

describe('iobs eval: bad input exits 2, names the flag, writes nothing', () => {
  const onnx = (...more: string[]) => ['eval', CNN, '--data', MNIST.eval, ...more];
  const llama = (...more: string[]) => ['eval', LLAMA, '--data', STORIES.eval, '--no-prefix-space', ...more];
  const CASES: [string, string[], RegExp][] = [
    ['MODEL missing', ['eval', '--data', MNIST.eval], /^iobs eval: MODEL is required first/],
    ['--data missing', ['eval', CNN, '--labels', MNIST.evalLabels], /^iobs eval: --data DATA is required$/],
    ['--data a missing file', ['eval', CNN, '--data', 'none.npy', '--labels', MNIST.evalLabels], /^iobs eval: --data "none\.npy": no such file$/],
    ['an ONNX model without --labels', onnx(), /^iobs eval: --labels LABELS is required to score the ONNX model/],
    ['fewer labels than inputs', onnx('--labels', MNIST.calibLabels), /^iobs eval: --labels ".*mnist-calib-labels-idx1-ubyte\.gz": 1000 labels for 2000 samples$/],
    ['images as --labels', onnx('--labels', MNIST.calib), /^iobs eval: --labels ".*": an IDX file of shape \[1000, 28, 28\]; expected labels \[N\]$/],
    ['an ONNX MODEL and a Llama --baseline', onnx('--labels', MNIST.evalLabels, '--baseline', LLAMA), /^iobs eval: --baseline ".*tinystories-llama" is a Llama folder, MODEL an ONNX file; compare models of one kind$/],
    ['a Llama MODEL and an ONNX --baseline', llama('--baseline', CNN), /^iobs eval: --baseline ".*mnist-cnn\.onnx" is an ONNX file, MODEL a Llama folder/],
    ['--samples 0', onnx('--labels', MNIST.evalLabels, '--samples', '0'), /^iobs eval: --samples "0": expected a positive integer$/],
    ['--samples 1.5', llama('--samples', '1.5'), /^iobs eval: --samples "1\.5": expected a positive integer/],
    ['--labels on a Llama', llama('--labels', MNIST.evalLabels), /^iobs eval: --labels ".*" applies to ONNX models/],
    ['--seqlen on an ONNX model', onnx('--labels', MNIST.evalLabels, '--seqlen', '64'), /^iobs eval: --seqlen "64" applies to Llama models/],
    ['--no-prefix-space on an ONNX model', onnx('--labels', MNIST.evalLabels, '--no-prefix-space'), /^iobs eval: --no-prefix-space applies to Llama models/],
    ['--seqlen past max_position_embeddings', llama('--seqlen', '1000'), /^iobs eval: --seqlen "1000": at most max_position_embeddings = 512/],
  ];
  for (const [what, args, line] of CASES) {
    it(what, () => {
      const before = readdirSync(dir).sort();
      const r = iobs(dir, args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const lines = commandLines(r.stderr, 'eval');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(line);
      expect(readdirSync(dir).sort()).toEqual(before);
    });
  }
});
