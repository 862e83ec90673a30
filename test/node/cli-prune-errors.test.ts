// `iobs prune MODEL` on bad input, through the built CLI: every case exits 2 with one error line
// that names the flag or argument and its value, writes nothing (no output, no temporary file or
// folder; the directory's listing is unchanged), and leaves its inputs as they were. Then the
// output rules: an existing output is replaced only with --force, never when it is the input.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import * as lib from '../../dist/index.js';
import { CNN, LLAMA, MNIST, STORIES, commandLines, iobs } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'iobs-cli-prune-errors-'));
const at = (...names: string[]) => join(dir, ...names);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Fixtures: a graph with nothing to prune (x → Relu → y), random bytes named .onnx, inputs of the
// wrong shape for the CNN, copies of the Llama folder broken one way each, a short text.
const tensorType = (dims: (number | string)[]) => ({ tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } });
writeFileSync(at('relu.onnx'), onnx.ModelProto.encode(onnx.ModelProto.create({
  irVersion: 7, opsetImport: [{ domain: '', version: 13 }],
  graph: { name: 'relu', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [{ name: 'x', type: tensorType(['N', 4]) }], output: [{ name: 'y', type: tensorType(['N', 4]) }] },
})).finish());
writeFileSync(at('x4.npy'), lib.formatNpy(Float32Array.from({ length: 32 * 4 }, (_, i) => (i % 5) - 2), [32, 4]));
writeFileSync(at('random.onnx'), Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + 13) % 256));
writeFileSync(at('n10.npy'), lib.formatNpy(new Float32Array(64 * 10).fill(0.5), [64, 10]));
writeFileSync(at('notmodel.txt'), 'not a model\n');
mkdirSync(at('empty'));
const config = JSON.parse(readFileSync(join(LLAMA, 'config.json'), 'utf8'));
function llamaCopy(name: string, change?: (folder: string) => void): string {
  cpSync(LLAMA, at(name), { recursive: true });
  change?.(at(name));
  return name;
}
const size = readFileSync(join(LLAMA, 'model.safetensors')).length;
llamaCopy('cut', (f) => truncateSync(join(f, 'model.safetensors'), size - 1000));
llamaCopy('gelu', (f) => writeFileSync(join(f, 'config.json'), JSON.stringify({ ...config, hidden_act: 'gelu' })));
llamaCopy('rope', (f) => writeFileSync(join(f, 'config.json'), JSON.stringify({ ...config, rope_scaling: { type: 'linear', factor: 2 } })));
llamaCopy('llama');
cpSync(CNN, at('cnn.onnx'));
cpSync(MNIST.calib, at('mnist-calib-images-idx3-ubyte.gz'));
writeFileSync(at('short.txt'), 'Once upon a time.');

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
/** Every file under the test directory with its hash (folders walked): what "nothing written" compares. */
function snapshot(d = dir, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const rel = prefix + e.name;
    if (e.isDirectory()) Object.assign(out, snapshot(join(d, e.name), rel + '/'), { [rel + '/']: 'dir' });
    else out[rel] = sha(join(d, e.name));
  }
  return out;
}

const cnnArgs = (...more: string[]) => ['prune', 'cnn.onnx', '--out', 'out.onnx', '--method', 'wanda', '--sparsity', '0.5', '--calib', MNIST.calib, '--samples', '16', ...more];
const llamaArgs = (model: string, ...more: string[]) => ['prune', model, '--out', 'out-llama', '--method', 'wanda', '--sparsity', '0.5', '--calib', STORIES.calib, '--samples', '4', '--seqlen', '32', '--no-prefix-space', ...more];

/** [what, arguments, the one error line] */
const CASES: [string, string[], RegExp][] = [
  ['MODEL missing', ['prune', 'missing.onnx', ...cnnArgs().slice(2)], /^iobs prune: MODEL "missing\.onnx": no such file or folder$/],
  ['MODEL neither .onnx nor a folder', ['prune', 'notmodel.txt', ...cnnArgs().slice(2)], /^iobs prune: MODEL "notmodel\.txt": expected an \.onnx file or a Hugging Face Llama folder$/],
  ['MODEL a folder without config.json', llamaArgs('empty'), /^iobs prune: MODEL "empty": a folder without config\.json/],
  ['an .onnx of random bytes', ['prune', 'random.onnx', ...cnnArgs().slice(2)], /^iobs prune: MODEL "random\.onnx": .*(ONNX model|protobuf)/],
  ['a truncated model.safetensors', llamaArgs('cut'), /^iobs prune: MODEL "cut": model\.safetensors: .*truncated \(1000 bytes missing\)/],
  ['config.json with hidden_act gelu', llamaArgs('gelu'), /^iobs prune: MODEL "gelu": config\.json: .*hidden_act.*"gelu"$/],
  ['config.json with rope_scaling', llamaArgs('rope'), /^iobs prune: MODEL "rope": config\.json: .*rope_scaling.*\{"type":"linear","factor":2\}$/],
  ['an ONNX model with nothing to prune', ['prune', 'relu.onnx', '--out', 'out.onnx', '--method', 'wanda', '--sparsity', '0.5', '--calib', 'x4.npy'], /^iobs prune: MODEL "relu\.onnx": nothing to prune: a graph of 1 node \(Relu\)/],
  ['calibration inputs of the wrong shape', cnnArgs().map((a) => (a === MNIST.calib ? 'n10.npy' : a)), /^iobs prune: --calib "n10\.npy": samples of shape \[10\]; the model's input input takes \[1, 28, 28\]$/],
  ['--labels without --eval', cnnArgs('--labels', MNIST.evalLabels), /^iobs prune: --labels ".*mnist-eval-labels-idx1-ubyte\.gz" goes with --eval DATA$/],
  ['--eval on ONNX without --labels', cnnArgs('--eval', MNIST.eval), /^iobs prune: --eval ".*" on an ONNX model needs --labels/],
  ['--labels on a Llama', llamaArgs('llama', '--eval', STORIES.eval, '--labels', MNIST.evalLabels), /^iobs prune: --labels ".*" applies to ONNX models/],
  ['--seqlen on an ONNX model', cnnArgs('--seqlen', '64'), /^iobs prune: --seqlen "64" applies to Llama models, not to the ONNX file "cnn\.onnx"$/],
  ['--no-prefix-space on an ONNX model', cnnArgs('--no-prefix-space'), /^iobs prune: --no-prefix-space applies to Llama models/],
  ['--target on an ONNX model', cnnArgs('--target', 'self').map((a) => (a === 'wanda' ? 'sparsegpt' : a)), /^iobs prune: --target "self" applies to Llama models, not to the ONNX file "cnn\.onnx"$/],
  ['--target of an unknown kind', llamaArgs('llama', '--target', 'outputs').map((a) => (a === 'wanda' ? 'sparsegpt' : a)), /^iobs prune: --target "outputs": unknown target \(known: dense, self\)$/],
  ['--target with --method wanda', llamaArgs('llama', '--target', 'self'), /^iobs prune: --target "self" does not apply to --method wanda \(it applies to sparsegpt, obc, iobs; magnitude and wanda prune W itself\)$/],
  ['--iters with --method sparsegpt', cnnArgs('--iters', '3').map((a) => (a === 'wanda' ? 'sparsegpt' : a)), /^iobs prune: --iters "3" does not apply to --method sparsegpt \(it applies to iobs\)$/],
  ['--damp with --method wanda', cnnArgs('--damp', '0.1'), /^iobs prune: --damp "0\.1" does not apply to --method wanda/],
  ['--passes 2 with --method sparsegpt', llamaArgs('llama', '--passes', '2').map((a) => (a === 'wanda' ? 'sparsegpt' : a)), /^iobs prune: --passes "2" applies to --method iobs .*not to sparsegpt$/],
  ['--validation without --passes', llamaArgs('llama', '--validation', STORIES.eval).map((a) => (a === 'wanda' ? 'iobs' : a)), /^iobs prune: --validation ".*tinystories-eval\.txt" chooses among passes; give it with --passes P > 1$/],
  ['--passes on an ONNX model with a method other than I-OBS', cnnArgs('--passes', '2'), /^iobs prune: --passes "2" applies to --method iobs \(passes repeat I-OBS from the previous pass\), not to wanda$/],
  ['--out into a missing directory (ONNX)', cnnArgs().map((a) => (a === 'out.onnx' ? 'nodir/out.onnx' : a)), /^iobs prune: --out "nodir\/out\.onnx": directory "nodir" does not exist$/],
  ['--out into a missing directory (Llama)', llamaArgs('llama').map((a) => (a === 'out-llama' ? 'nodir/out-llama' : a)), /^iobs prune: --out "nodir\/out-llama": directory "nodir" does not exist$/],
  ['--out equal to MODEL (ONNX), even with --force', cnnArgs('--force').map((a) => (a === 'out.onnx' ? 'cnn.onnx' : a)), /^iobs prune: --out "cnn\.onnx" is the input MODEL "cnn\.onnx"; refusing to overwrite an input$/],
  ['--out equal to MODEL (Llama), even with --force', llamaArgs('llama', '--force').map((a) => (a === 'out-llama' ? 'llama' : a)), /^iobs prune: --out "llama" holds the input MODEL "llama"; refusing to replace an input$/],
  ['--out inside MODEL (Llama)', llamaArgs('llama').map((a) => (a === 'out-llama' ? 'llama/pruned' : a)), /^iobs prune: --out "llama\/pruned" is inside the input MODEL "llama"/],
  ['--out equal to --calib, even with --force', cnnArgs('--force').map((a) => (a === 'out.onnx' || a === MNIST.calib ? 'mnist-calib-images-idx3-ubyte.gz' : a)), /^iobs prune: --out "mnist-calib-images-idx3-ubyte\.gz" is the input --calib "mnist-calib-images-idx3-ubyte\.gz"; refusing to overwrite an input$/],
  ['--samples 100000 on the Llama text', llamaArgs('llama').map((a) => (a === '4' ? '100000' : a)), /^iobs prune: --samples "100000": more windows than --calib ".*tinystories-calib\.txt" holds; expected at most \d+: the text holds \d+ tokens, \d+ windows of 32$/],
  ['--samples 100000 on the MNIST digits', cnnArgs().map((a) => (a === '16' ? '100000' : a)), /^iobs prune: --samples "100000": --calib ".*" holds 1000 samples$/],
  ['a --calib text shorter than one window', llamaArgs('llama').map((a) => (a === STORIES.calib ? 'short.txt' : a)), /^iobs prune: --calib "short\.txt": expected at least one window of seqlen = 32 tokens; got "\d+ tokens"$/],
  ['--seqlen past max_position_embeddings', llamaArgs('llama').map((a) => (a === '32' ? '513' : a)), /^iobs prune: --seqlen "513": at most max_position_embeddings = 512/],
  ['--sparsity 1', cnnArgs().map((a) => (a === '0.5' ? '1' : a)), /^iobs prune: --sparsity "1": expected a fraction in \[0, 1\)$/],
];

describe('iobs prune: bad input exits 2, names the flag and the value, and writes nothing', () => {
  for (const [what, args, line] of CASES) {
    it(what, () => {
      const before = snapshot();
      const r = iobs(dir, args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const lines = commandLines(r.stderr, 'prune');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(line);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(snapshot()).toEqual(before);
    });
  }
});

describe('iobs prune: an existing --out folder', () => {
  it('is refused without --force and left as it was; replaced whole with --force', () => {
    mkdirSync(at('taken'));
    writeFileSync(at('taken', 'keep.txt'), 'mine');
    const args = llamaArgs('llama').map((a) => (a === 'out-llama' ? 'taken' : a));
    const before = snapshot();
    const r = iobs(dir, args);
    expect(r.code).toBe(2);
    expect(commandLines(r.stderr, 'prune')).toEqual(['iobs prune: --out "taken" exists; pass --force to replace it']);
    expect(snapshot()).toEqual(before);
    const forced = iobs(dir, [...args, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(at('taken')).sort()).toEqual(readdirSync(LLAMA).sort());
    expect(sha(at('taken', 'tokenizer.json'))).toBe(sha(join(LLAMA, 'tokenizer.json')));
    // Nothing beside it: no temporary folder, no folder moved aside.
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    // The input copy is as it was.
    for (const f of readdirSync(LLAMA)) expect(sha(at('llama', f)), f).toBe(sha(join(LLAMA, f)));
  });
});
