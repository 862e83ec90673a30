// `iobs prune MODEL` end to end through the built CLI on the shipped models: the CNN (.onnx) with
// SparseGPT at 2:4, its summary, its output read back by onnxruntime-node, --eval and --plot; the
// Llama folder with Wanda at 50%, its output read back by an independent reader (python3 and numpy,
// not this library) and by the library, and scored by `iobs eval` beside the dense model; I-OBS
// with --passes 2 and the pass it keeps. Inputs are checked byte for byte afterwards.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type * as OrtNode from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import * as lib from '../../dist/index.js';
import { parseIdx } from '../../src/io/idx.js';
import { openCheckpointFolder } from '../../src/io/safetensors-node.js';
import { mnistInputs, mnistLabels } from '../../src/models/mnist.js';
import { allElements, parseXml } from './helpers/xml.js';
import { CNN, LLAMA, MNIST, STORIES, commandLines, iobs, lastJson, numpyMissing, temps } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'iobs-cli-prune-'));
const at = (...names: string[]) => join(dir, ...names);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
/** Every file of a folder with its hash. */
const folderHashes = (d: string) => Object.fromEntries(readdirSync(d).sort().map((f) => [f, sha(join(d, f))]));
const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

const PROJECTIONS = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj'];

describe('iobs prune on the CNN (.onnx)', () => {
  it('sparsegpt 2:4 with --eval, --labels, --plot and --json: the summary, the output in onnxruntime-node, the figure; the input unchanged', async () => {
    const before = sha(CNN);
    const r = iobs(dir, ['prune', CNN, '--out', 'cnn24.onnx', '--method', 'sparsegpt', '--pattern', '2:4', '--calib', MNIST.calib, '--samples', '64',
      '--eval', MNIST.eval, '--labels', MNIST.evalLabels, '--plot', 'cnn24.svg', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(sha(CNN)).toBe(before);
    expect(temps(dir)).toEqual([]);
    const s = lastJson<lib.PruneOnnxResult & Record<string, any>>(r.stdout);
    expect(s).toMatchObject({ model: CNN, format: 'onnx', out: 'cnn24.onnx', method: 'sparsegpt', pattern: '2:4', passes: null, chosenPass: null, calibration: { samples: 64, seqlen: null }, target: null });
    expect(s.layers.map((l: any) => `${l.name} ${l.op} ${l.rows}x${l.cols}`)).toEqual(['/conv1/Conv Conv 32x9', '/conv2/Conv Conv 64x288', '/fc1/Gemm Gemm 128x3136', '/fc2/Gemm Gemm 10x128']);
    // conv1 has 9 inputs per output (1 channel x 3 x 3): no groups of 4, so it stays dense, and says why.
    const [conv1, ...pruned] = s.layers;
    expect(conv1).toMatchObject({ pattern: null, sparsity: 0, relError: 0 });
    expect(conv1.dense).toMatch(/9 inputs are not a multiple of 4/);
    for (const l of pruned) {
      expect(l.pattern, l.name).toBe('2:4');
      expect(l.sparsity, l.name).toBe(0.5);
      expect(finite(l.relError) && l.relError > 0 && l.relError < 0.05, `${l.name} relError ${l.relError}`).toBe(true);
      expect(finite(l.seconds) && l.seconds >= 0).toBe(true);
    }
    expect(finite(s.seconds) && s.seconds > 0).toBe(true);
    expect(Number.isSafeInteger(s.peakRssBytes) && s.peakRssBytes > 2 ** 20).toBe(true);
    expect(s.metric).toMatchObject({ kind: 'top1', count: 2000 });
    expect(s.metric.value).toBeGreaterThan(0.9);
    expect(s.metric.value).toBeLessThanOrEqual(1);
    expect(commandLines(r.stderr, 'prune').at(-1)).toBe('iobs prune: wrote cnn24.onnx and cnn24.svg');

    // The written model, read by this library: every pruned weight keeps at most 2 of every 4 inputs.
    const model = lib.decodeOnnxModel(readFileSync(at('cnn24.onnx')));
    const dense = lib.decodeOnnxModel(readFileSync(CNN));
    for (const layer of lib.onnxLayers(model)) {
      const w = { data: lib.layerWeight(model, layer) }, w0 = { data: lib.layerWeight(dense, layer) };
      const rows = layer.rows, cols = layer.cols;
      if (layer.node === '/conv1/Conv') {
        expect(Array.from(w.data)).toEqual(Array.from(w0.data));
        continue;
      }
      for (let i = 0; i < rows; i++) {
        for (let g = 0; g < cols; g += 4) {
          let zeros = 0;
          for (let j = g; j < g + 4; j++) zeros += w.data[i * cols + j] === 0 ? 1 : 0;
          // At least 2 (SparseGPT also zeroes the weights of inputs the calibration never excites).
          if (zeros < 2) throw new Error(`${layer.node} row ${i} group ${g}: ${zeros} zeros of 4`);
        }
      }
    }

    // The written model in onnxruntime-node (not the onnxruntime-web the CLI runs), on the same
    // 2000 digits: the top-1 the CLI reported, up to the odd near tie between two runtimes.
    const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof OrtNode;
    const idx = (p: string) => parseIdx(gunzipSync(readFileSync(p)), p);
    const x = mnistInputs(idx(MNIST.eval), 0, 2000), y = mnistLabels(idx(MNIST.evalLabels), 0, 2000);
    const sess = await ort.InferenceSession.create(at('cnn24.onnx'));
    let correct = 0;
    try {
      const out = await sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', x, [2000, 1, 28, 28]) });
      const logits = out[sess.outputNames[0]].data as Float32Array;
      expect(logits.length).toBe(20000);
      expect(logits.every(Number.isFinite)).toBe(true);
      for (let k = 0; k < 2000; k++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (logits[k * 10 + c] > logits[k * 10 + best]) best = c;
        if (best === y[k]) correct++;
      }
    } finally {
      await sess.release();
    }
    expect(Math.abs(correct - Math.round(s.metric.value * 2000)), `onnxruntime-node ${correct}/2000, the CLI ${s.metric.value}`).toBeLessThanOrEqual(2);

    // The figure: well-formed SVG, no NaN anywhere, one line per run, the layers named.
    const svg = readFileSync(at('cnn24.svg'), 'utf8');
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    const tree = parseXml(svg);
    expect(tree.name).toBe('svg');
    const text = allElements(tree).map((e) => e.text).join(' ');
    for (const name of ['/conv2/Conv', '/fc1/Gemm', 'sparsegpt']) expect(text).toContain(name);
    expect(allElements(tree).some((e) => e.name === 'polyline' || e.name === 'path')).toBe(true);
  });

  it('the table on stdout without --json; the output replaced only with --force', () => {
    const args = ['prune', CNN, '--out', 'mag.onnx', '--method', 'magnitude', '--sparsity', '0.5', '--calib', MNIST.calib, '--samples', '16'];
    const r = iobs(dir, args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\/fc1\/Gemm/);
    expect(r.stdout).not.toMatch(/NaN/);
    const first = sha(at('mag.onnx'));
    const again = iobs(dir, args);
    expect(again.code).toBe(2);
    expect(commandLines(again.stderr, 'prune')).toEqual(['iobs prune: --out "mag.onnx" exists; pass --force to replace it']);
    expect(sha(at('mag.onnx'))).toBe(first);
    const forced = iobs(dir, [...args.map((a) => (a === '0.5' ? '0.6' : a)), '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(sha(at('mag.onnx'))).not.toBe(first);
    const fc1 = lib.onnxLayers(lib.decodeOnnxModel(readFileSync(at('mag.onnx')))).find((l) => l.node === '/fc1/Gemm')!;
    const w = lib.layerWeight(lib.decodeOnnxModel(readFileSync(at('mag.onnx'))), fc1);
    expect(w.filter((v) => v === 0).length / w.length).toBeCloseTo(0.6, 4);
    expect(temps(dir)).toEqual([]);
  });
});

/**
 * An independent safetensors reader (python3, struct, json, numpy): for every tensor of `out`
 * against the same name in `input`, its dtype, shape, whether its bytes are identical, and its
 * count of zeros in both; and the two headers' metadata.
 */
const READER = String.raw`
import json, struct, sys
import numpy as np
DT = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "F64": np.float64, "I64": np.int64, "I32": np.int32}
def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None)
    base = 8 + n
    tensors = {}
    for name, t in header.items():
        a, b = t["data_offsets"]
        raw = blob[base + a:base + b]
        arr = np.frombuffer(raw, dtype=np.dtype(DT[t["dtype"]]).newbyteorder("<")).reshape(t["shape"])
        tensors[name] = (t["dtype"], list(t["shape"]), raw, arr)
    return list(header.keys()), tensors, meta, len(blob) == base + max([t["data_offsets"][1] for t in header.values()] + [0])
names_in, tin, meta_in, _ = read(sys.argv[1])
names_out, tout, meta_out, exact = read(sys.argv[2])
report = {"namesIn": names_in, "namesOut": names_out, "metaIn": meta_in, "metaOut": meta_out, "exactSize": exact, "tensors": {}}
for name in names_out:
    d, shape, raw, arr = tout[name]
    entry = {"dtype": d, "shape": shape, "size": int(arr.size), "zeros": int(np.count_nonzero(arr == 0)), "finite": bool(np.all(np.isfinite(arr)))}
    if name in tin:
        d0, shape0, raw0, arr0 = tin[name]
        entry.update({"dtypeIn": d0, "shapeIn": shape0, "identical": raw == raw0, "zerosIn": int(np.count_nonzero(arr0 == 0)),
                      "keptEqual": bool(np.all((arr == 0) | (arr == arr0)))})
    report["tensors"][name] = entry
print(json.dumps(report))
`;

const noNumpy = numpyMissing();
if (noNumpy && !process.env.CI) console.warn(`cli-prune.test.ts: skipping the numpy reader of the pruned Llama: ${noNumpy}`);

describe('iobs prune on the Llama folder', () => {
  const out = at('llama-wanda');
  const inputBefore = folderHashes(LLAMA);

  it('wanda 50%: exit 0, the summary, the folder with the side files copied byte for byte', () => {
    const r = iobs(dir, ['prune', LLAMA, '--out', 'llama-wanda', '--method', 'wanda', '--sparsity', '0.5', '--calib', STORIES.calib, '--samples', '8', '--seqlen', '64', '--no-prefix-space', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Record<string, any>>(r.stdout);
    expect(s).toMatchObject({ model: LLAMA, format: 'llama', out: 'llama-wanda', method: 'wanda', pattern: '50%', metric: null, passes: null, chosenPass: null, calibration: { samples: 8, seqlen: 64 }, target: null });
    expect(s.layers.map((l: any) => l.name)).toEqual([0, 1].flatMap((b) => PROJECTIONS.map((p) => `layers.${b}.${p}`)));
    for (const l of s.layers) {
      expect(l.sparsity, l.name).toBe(0.5);
      expect(finite(l.relError) && l.relError > 0 && l.relError < 1, `${l.name} ${l.relError}`).toBe(true);
    }
    expect(finite(s.seconds) && Number.isSafeInteger(s.peakRssBytes) && s.peakRssBytes > 0).toBe(true);
    expect(finite(s.peakBackendBytes) && s.peakBackendBytes > 0).toBe(true);
    expect(readdirSync(out).sort()).toEqual(readdirSync(LLAMA).sort());
    for (const f of readdirSync(LLAMA)) if (f !== 'model.safetensors') expect(sha(join(out, f)), f).toBe(inputBefore[f]);
    expect(sha(join(out, 'model.safetensors'))).not.toBe(inputBefore['model.safetensors']);
    expect(folderHashes(LLAMA)).toEqual(inputBefore);
    expect(temps(dir)).toEqual([]);
  });

  it.skipIf(noNumpy !== '' && !process.env.CI)('model.safetensors read by numpy: same names, dtypes and shapes; only the projections changed, each exactly half zeros', () => {
    const r = spawnSync('python3', ['-c', READER, join(LLAMA, 'model.safetensors'), join(out, 'model.safetensors')], { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as { namesIn: string[]; namesOut: string[]; metaIn: unknown; metaOut: unknown; exactSize: boolean; tensors: Record<string, any> };
    expect(rep.namesOut).toEqual(rep.namesIn);
    expect(rep.metaOut).toEqual(rep.metaIn);
    expect(rep.exactSize).toBe(true);
    const projections = new Set([0, 1].flatMap((b) => PROJECTIONS.map((p) => `model.layers.${b}.${p}.weight`)));
    for (const p of projections) expect(rep.namesOut, p).toContain(p);
    for (const [name, t] of Object.entries(rep.tensors)) {
      expect(t.dtype, name).toBe(t.dtypeIn);
      expect(t.shape, name).toEqual(t.shapeIn);
      expect(t.finite, name).toBe(true);
      if (projections.has(name)) {
        expect(t.zerosIn, `${name} has zeros before pruning`).toBe(0);
        expect(t.zeros, `${name}: zeros of ${t.size}`).toBe(t.size / 2);
        // Wanda only masks: every weight it keeps is the input's, bit for bit.
        expect(t.keptEqual, name).toBe(true);
        expect(t.identical, name).toBe(false);
      } else {
        expect(t.identical, `${name} changed`).toBe(true);
      }
    }
  });

  it('the library loads the folder; `iobs eval` scores it beside the dense model, the same perplexity as the library, and higher than the dense one', async () => {
    const la = await lib.init();
    const checkpoint = await openCheckpointFolder(out);
    let libraryPpl: number;
    try {
      const cfg = lib.parseLlamaConfig(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')));
      const tok = new lib.LlamaTokenizer(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')), { prepend: false });
      const stories = lib.splitStories(readFileSync(STORIES.eval, 'utf8')).slice(0, 20).map((s) => tok.encodeStory(s));
      const model = await lib.loadLlama(la, cfg, checkpoint);
      try {
        libraryPpl = (await lib.llamaPerplexity(la, model, stories)).perplexity;
      } finally {
        model.free();
      }
    } finally {
      await checkpoint.close();
      la.dispose();
    }
    expect(finite(libraryPpl)).toBe(true);
    const r = iobs(dir, ['eval', 'llama-wanda', '--data', STORIES.eval, '--samples', '20', '--no-prefix-space', '--baseline', LLAMA, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Record<string, any>>(r.stdout);
    expect(s).toMatchObject({ model: 'llama-wanda', data: STORIES.eval, metric: { kind: 'perplexity' }, baseline: { model: LLAMA, metric: { kind: 'perplexity' } } });
    expect(s.metric.count).toBe(s.baseline.metric.count);
    expect(s.metric.count).toBeGreaterThan(1000);
    expect(finite(s.metric.value) && finite(s.baseline.metric.value)).toBe(true);
    expect(s.baseline.metric.value).toBeGreaterThan(1);
    expect(s.metric.value).toBeGreaterThan(s.baseline.metric.value);
    expect(Math.abs(s.metric.value - libraryPpl) / libraryPpl).toBeLessThan(1e-9);
  });

  it('--target self reaches pruneLlama: SparseGPT\'s protocol, the same block-0 q/k/v as the default (dense), later layers not', () => {
    const args = (out: string, ...more: string[]) => ['prune', LLAMA, '--out', out, '--method', 'sparsegpt', '--sparsity', '0.5', '--calib', STORIES.calib, '--samples', '8', '--seqlen', '64', '--no-prefix-space', '--json', ...more];
    const d = iobs(dir, args('llama-target-dense')), t = iobs(dir, args('llama-target-self', '--target', 'self'));
    expect(d.code, d.stderr).toBe(0);
    expect(t.code, t.stderr).toBe(0);
    const sd = lastJson<Record<string, any>>(d.stdout), st = lastJson<Record<string, any>>(t.stdout);
    expect([sd.target, st.target]).toEqual(['dense', 'self']);
    expect(st.layers.slice(0, 3).map((l: any) => l.relError)).toEqual(sd.layers.slice(0, 3).map((l: any) => l.relError));
    for (let k = 3; k < 14; k++) expect(st.layers[k].relError, st.layers[k].name).not.toBe(sd.layers[k].relError);
  });

  it('iobs --passes 2: both passes with finite validation losses, the least kept; the held-apart stories longer than the context are cut; the passes’ store files are gone', async () => {
    const r = iobs(dir, ['prune', LLAMA, '--out', 'llama-passes', '--method', 'iobs', '--sparsity', '0.5', '--passes', '2', '--calib', STORIES.calib, '--samples', '8', '--seqlen', '64', '--no-prefix-space', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Record<string, any>>(r.stdout);
    expect(s.passes.map((p: any) => p.pass)).toEqual([1, 2]);
    expect(s.target).toBe('dense');
    for (const p of s.passes) expect(finite(p.validationLoss) && p.validationLoss > 0, JSON.stringify(p)).toBe(true);
    const best = s.passes.reduce((a: any, b: any) => (b.validationLoss < a.validationLoss ? b : a));
    expect(s.chosenPass).toBe(best.pass);
    expect(s.layers).toHaveLength(14);
    expect(s.layers.every((l: any) => l.pass === s.chosenPass && l.sparsity === 0.5)).toBe(true);
    expect(r.stderr).toMatch(/holding the last 20 of 200 --calib stories apart/);
    // The output holds what a one-pass output holds: the passes' store files were removed.
    expect(readdirSync(at('llama-passes')).sort()).toEqual([...readdirSync(LLAMA).filter((f) => !f.startsWith('.')), 'model.safetensors'].filter((f, i, a) => a.indexOf(f) === i).sort());
    expect(readdirSync(dir).filter((f) => f.includes('llama-passes'))).toEqual(['llama-passes']);
    // The kept pass came out of its store into the file: every projection is exactly half zeros.
    const ck = await openCheckpointFolder(at('llama-passes'));
    try {
      for (const name of ck.names.filter((n) => /_proj\.weight$/.test(n))) {
        const w = await ck.read(name);
        expect(w.filter((x) => x === 0).length, name).toBe(w.length / 2);
      }
    } finally {
      await ck.close();
    }
  });
});
