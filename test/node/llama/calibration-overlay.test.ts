// The pieces pruneLlama is made of, on their own: calibrationWindows (consecutive windows of the
// stories laid end to end, strict and non-strict counts, errors), overlaySource (replaced tensors
// read from memory as a fresh copy each time, the rest from the base), modelPattern/layerPattern,
// and givenStart (an I-OBS start from known weights and mask).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../../src/init.js';
import type { Linalg } from '../../../src/linalg/linalg.js';
import { openSafetensorsFile } from '../../../src/io/safetensors-node.js';
import { calibrationWindows } from '../../../src/models/llama/calibration.js';
import { splitStories } from '../../../src/models/llama/perplexity.js';
import { LlamaTokenizer } from '../../../src/models/llama/tokenizer.js';
import { layerPattern, modelPattern } from '../../../src/models/layer-pattern.js';
import { overlaySource } from '../../../src/models/overlay.js';
import type { TensorSource } from '../../../src/models/tensor-source.js';
import { givenStart } from '../../../src/pruning/given.js';
import { iobs } from '../../../src/pruning/iobs.js';
import { pruneLayer } from '../../../src/pruning/prune-layer.js';

const demo = (p: string) => fileURLToPath(new URL(`../../../demo/${p}`, import.meta.url));

describe('calibrationWindows', () => {
  const stories = [[1, 10, 11], [1, 20], [1, 30, 31, 32], [1, 40, 41]];

  it('cuts the stories laid end to end into consecutive windows, across story boundaries', () => {
    expect(calibrationWindows(stories, 3, 4)).toEqual({ windows: [[1, 10, 11, 1], [20, 1, 30, 31], [32, 1, 40, 41]], available: 3, tokens: 12 });
    expect(calibrationWindows(stories, 2, 4).windows).toEqual([[1, 10, 11, 1], [20, 1, 30, 31]]);
    // A partial last window is dropped.
    expect(calibrationWindows(stories, 2, 5)).toEqual({ windows: [[1, 10, 11, 1, 20], [1, 30, 31, 32, 1]], available: 2, tokens: 12 });
    expect(calibrationWindows(stories, 1, 12).windows).toEqual([stories.flat()]);
  });

  it('strict (the default): more samples than full windows is an error naming samples; non-strict takes them all', () => {
    expect(() => calibrationWindows(stories, 4, 4)).toThrow(/calibrationWindows: argument samples must be at most 3: the text holds 12 tokens, 3 windows of 4; got 4/);
    expect(() => calibrationWindows(stories, 4, 4, true)).toThrow(/argument samples/);
    expect(calibrationWindows(stories, 4, 4, false)).toEqual({ windows: [[1, 10, 11, 1], [20, 1, 30, 31], [32, 1, 40, 41]], available: 3, tokens: 12 });
    expect(calibrationWindows(stories, 1000, 5, false).windows.length).toBe(2);
    // Not even one window is an error either way, naming the stories.
    expect(() => calibrationWindows(stories, 1, 13, false)).toThrow(/argument stories must be at least one window of seqlen = 13 tokens; got "12 tokens"/);
  });

  it('returns new arrays: changing a window changes neither the stories nor a later call', () => {
    const a = calibrationWindows(stories, 3, 4);
    a.windows[0][1] = 99;
    expect(stories[0]).toEqual([1, 10, 11]);
    expect(calibrationWindows(stories, 3, 4).windows[0]).toEqual([1, 10, 11, 1]);
  });

  const bad: [string, () => unknown, RegExp][] = [
    ['stories', () => calibrationWindows('text' as never, 1, 4), /argument stories must be an array of token id arrays/],
    ['stories[2]', () => calibrationWindows([[1, 2], [3], 'four' as never], 1, 2), /argument stories\[2\] must be an array of token ids/],
    ['samples', () => calibrationWindows(stories, 0, 4), /argument samples must be an integer in \[1, /],
    ['samples (not an integer)', () => calibrationWindows(stories, 1.5, 4), /argument samples must be an integer/],
    ['seqlen', () => calibrationWindows(stories, 1, 1), /argument seqlen must be an integer in \[2, /],
    ['strict', () => calibrationWindows(stories, 1, 4, 'no' as never), /argument strict must be a boolean/],
  ];
  for (const [what, f, message] of bad) {
    it(`refuses a bad ${what}, naming it`, () => {
      expect(f).toThrow(message);
    });
  }

  it('on the shipped calibration stories: 16 windows of 128 ids, the first 2048 ids of the stories from BOS', () => {
    const json = (p: string) => JSON.parse(readFileSync(demo(p), 'utf8'));
    const tok = new LlamaTokenizer(json('models/tinystories-llama/tokenizer.json'), json('models/tinystories-llama/tokenizer_config.json'), { prepend: false });
    const ids = splitStories(readFileSync(demo('data/tinystories-calib.txt'), 'utf8')).map((s) => tok.encodeStory(s));
    expect(ids.length).toBe(200);
    const r = calibrationWindows(ids, 16, 128);
    expect(r.windows.length).toBe(16);
    expect(r.windows.every((w) => w.length === 128)).toBe(true);
    expect(r.windows.flat()).toEqual(ids.flat().slice(0, 16 * 128));
    expect(r.tokens).toBe(ids.flat().length);
    expect(r.available).toBe(Math.floor(r.tokens / 128));
    expect(r.windows[0][0]).toBe(tok.bosId);
  });
});

describe('overlaySource', () => {
  let base: TensorSource;
  beforeAll(async () => {
    base = await openSafetensorsFile(demo('models/tinystories-llama/model.safetensors'));
  });
  afterAll(async () => {
    await base?.close();
  });
  const name = 'model.layers.0.self_attn.q_proj.weight';

  it('reads replaced tensors from memory, a new copy each time; the others from the base; names and info are the base’s', async () => {
    const W = new Float32Array(128 * 128).map((_, i) => i);
    const o = overlaySource(base, new Map([[name, W]]));
    expect(o.names).toEqual(base.names);
    expect(o.info(name)).toEqual(base.info(name));
    const a = await o.read(name), b = await o.read(name);
    expect(a).toEqual(W);
    expect(a).not.toBe(W);
    expect(a).not.toBe(b);
    a[0] = 42;
    expect((await o.read(name))[0]).toBe(0);
    expect(W[0]).toBe(0);
    for (const other of ['model.norm.weight', 'model.layers.0.self_attn.k_proj.weight', 'lm_head.weight']) expect(await o.read(other)).toEqual(await base.read(other));
    // Closing the overlay leaves the base open.
    await o.close();
    expect((await base.read('model.norm.weight')).length).toBe(128);
  });

  it('a replacement of the wrong element count, or of a tensor the base lacks, is refused naming it', () => {
    expect(() => overlaySource(base, new Map([[name, new Float32Array(128 * 127)]]))).toThrow(
      /overlaySource: argument replaced\["model\.layers\.0\.self_attn\.q_proj\.weight"\] must be 16384 values \(shape \[128, 128\]\); got "16256 values"/,
    );
    expect(() => overlaySource(base, new Map([['model.layers.9.mlp.up_proj.weight', new Float32Array(1)]]))).toThrow(/model\.layers\.9\.mlp\.up_proj\.weight/);
  });
});

describe('modelPattern and layerPattern', () => {
  it('checks a whole-model pattern without a layer; N:M applies only where the inputs are a multiple of M', () => {
    expect(modelPattern('f', 'options.pattern', '2:4')).toEqual({ kind: 'nm', n: 2, m: 4 });
    expect(modelPattern('f', 'options.pattern', { kind: 'nm', n: 1, m: 3 })).toEqual({ kind: 'nm', n: 1, m: 3 });
    expect(modelPattern('f', 'options.pattern', '0.5')).toEqual({ kind: 'unstructured', sparsity: 0.5 });
    expect(modelPattern('f', 'options.pattern', '0.7/row')).toEqual({ kind: 'per-row', sparsity: 0.7 });
    expect(() => modelPattern('f', 'options.pattern', '1.5')).toThrow(/f: argument options\.pattern\.sparsity must be a number in \[0, 1\)/);
    expect(() => modelPattern('f', 'options.pattern', { kind: 'nm', n: 2, m: 0 })).toThrow(/options\.pattern\.m/);
    expect(layerPattern({ kind: 'nm', n: 2, m: 4 }, 384)).toEqual({ pattern: { kind: 'nm', n: 2, m: 4 } });
    expect(layerPattern({ kind: 'nm', n: 2, m: 4 }, 9)).toEqual({ pattern: null, dense: '9 inputs, not a multiple of M = 4 (2:4)' });
    expect(layerPattern({ kind: 'unstructured', sparsity: 0.5 }, 9)).toEqual({ pattern: { kind: 'unstructured', sparsity: 0.5 } });
  });
});

describe('givenStart', () => {
  let la: Linalg;
  beforeAll(async () => {
    la = await init({ backend: 'wasm-simd', wasmPaths: new URL('../../../dist/', import.meta.url) });
  });

  it('as an I-OBS start returns its weights and mask (iterations 0, no re-solve), copies the caller keeps', async () => {
    const W = la.fromArray([4, -1, 0.5, 3, 2, 0.1, -5, 1], 2, 4);
    const H = la.fromArray([4, 1, 0, 0, 1, 3, 0.5, 0, 0, 0.5, 2, 0, 0, 0, 0, 1], 4, 4);
    const W0 = la.fromArray([4, 0, 0, 3, 0, 0.3, -5, 0], 2, 4), M0 = la.fromArray([1, 0, 0, 1, 0, 1, 1, 0], 2, 4, 'uint8');
    const before = la.liveBytes();
    const r = await pruneLayer(la, W, H, { pruner: iobs({ iterations: 0, resolveStart: false, exchange: false, start: givenStart(W0, M0) }), pattern: '2:4' });
    expect(Array.from(await la.read(r.weight))).toEqual(Array.from(await la.read(W0)));
    expect(Array.from(await la.read(r.mask))).toEqual([1, 0, 0, 1, 0, 1, 1, 0]);
    expect(r.weight).not.toBe(W0);
    r.weight.free();
    r.mask.free();
    expect(la.liveBytes()).toBe(before);
    // Re-solved on its mask it can only get better.
    const s = await pruneLayer(la, W, H, { pruner: iobs({ iterations: 0, exchange: false, start: givenStart(W0, M0) }), pattern: '2:4' });
    expect(Array.from(await la.read(s.mask))).toEqual([1, 0, 0, 1, 0, 1, 1, 0]);
    expect(s.relError).toBeLessThan(r.relError);
    s.weight.free();
    s.mask.free();
    // A start of another shape than the layer is refused.
    const small = la.fromArray([1, 0], 1, 2), smallMask = la.fromArray([1, 0], 1, 2, 'uint8');
    await expect(pruneLayer(la, W, H, { pruner: iobs({ iterations: 0, start: givenStart(small, smallMask) }), pattern: '1:2' })).rejects.toThrow(/givenStart: argument W must be the given start's shape 1x2; got "2x4"/);
    expect(() => givenStart(W0, W0 as never)).toThrow(/givenStart: argument mask must be a uint8 mask matrix/);
    expect(() => givenStart(W0, smallMask)).toThrow(/givenStart: argument mask must be the weight's shape 2x4; got "1x2"/);
    expect(() => givenStart(null as never, M0)).toThrow(/givenStart: argument weight must be a matrix/);
    for (const M of [W, H, W0, M0, small, smallMask]) M.free();
    expect(la.liveBytes()).toBe(0);
  });
});
