// Scoring and passes without the whole model (the shipped demo Llama):
// - sourcePerplexity streams block by block and gives llamaPerplexity's result to the bit, in one
//   group of stories or one story per group, with stories cut to seqlen; its bad arguments;
// - the pass stores (memory and file): what goes in comes back, names and lengths checked, free
//   removes the file and refuses reads;
// - pruneLlama with a file pass store gives the memory store's result; only the kept pass's store
//   outlives the call, and none on error.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../../src/init.js';
import type { Linalg } from '../../../src/linalg/linalg.js';
import { openSafetensorsFile } from '../../../src/io/safetensors-node.js';
import { filePassStore, filePassStores } from '../../../src/io/pass-store-node.js';
import { calibrationWindows } from '../../../src/models/llama/calibration.js';
import { parseLlamaConfig, type LlamaConfig } from '../../../src/models/llama/config.js';
import { llamaPerplexity, sourcePerplexity, splitStories } from '../../../src/models/llama/perplexity.js';
import { pruneLlama, type LlamaPruneOptions } from '../../../src/models/llama/prune.js';
import { LlamaTokenizer } from '../../../src/models/llama/tokenizer.js';
import { loadLlama } from '../../../src/models/llama/weights.js';
import { memoryPassStore, storeSource, type PassStore } from '../../../src/models/pass-store.js';
import type { TensorSource } from '../../../src/models/tensor-source.js';
import { iobs } from '../../../src/pruning/iobs.js';

const demo = (p: string) => fileURLToPath(new URL(`../../../demo/${p}`, import.meta.url));
const dist = new URL('../../../dist/', import.meta.url);
const json = (p: string) => JSON.parse(readFileSync(demo(p), 'utf8'));

let la: Linalg;
let cfg: LlamaConfig;
let source: TensorSource;
let calib: number[][];
let stories: number[][];
let tmp: string;

beforeAll(async () => {
  la = await init({ backend: 'wasm-simd', wasmPaths: dist });
  cfg = parseLlamaConfig(json('models/tinystories-llama/config.json'));
  source = await openSafetensorsFile(demo('models/tinystories-llama/model.safetensors'));
  const tok = new LlamaTokenizer(json('models/tinystories-llama/tokenizer.json'), json('models/tinystories-llama/tokenizer_config.json'), { prepend: false });
  const enc = (file: string) => splitStories(readFileSync(demo(`data/${file}`), 'utf8')).map((s) => tok.encodeStory(s));
  calib = calibrationWindows(enc('tinystories-calib.txt'), 8, 64).windows;
  stories = enc('tinystories-eval.txt').slice(0, 12).map((s) => s.slice(0, 200));
  tmp = mkdtempSync(join(tmpdir(), 'iobs-streamed-'));
});
afterAll(async () => {
  await source?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function loaded(ws: readonly (readonly number[])[], seqlen?: number) {
  const model = await loadLlama(la, cfg, source);
  try {
    const per: number[] = [];
    const r = await llamaPerplexity(la, model, ws, { seqlen, onWindow: (_i, nll) => per.push(nll) });
    return { r, per };
  } finally {
    model.free();
  }
}

describe('sourcePerplexity: block by block, the loaded model’s result to the bit', () => {
  // A one-token story (scored as nothing) and one longer than seqlen among them.
  const cases = [
    ['one group', undefined, undefined],
    ['one story per group', 1, undefined],
    ['groups of about three stories, seqlen 96 (longer stories cut)', 3 * 150 * 128 * 4, 96],
  ] as const;
  for (const [what, bytes, seqlen] of cases) {
    it(what, async () => {
      const ws = [...stories.slice(0, 5), [1], ...stories.slice(5)];
      const want = await loaded(ws, seqlen);
      const per: number[] = [], lines: string[] = [];
      const before = la.liveBytes();
      const got = await sourcePerplexity(la, cfg, source, ws, { seqlen, maxActivationBytes: bytes, onWindow: (i, nll, count) => per.push(i, nll, count), onProgress: (m) => lines.push(m) });
      expect(la.liveBytes()).toBe(before);
      expect(got).toEqual(want.r);
      expect(per.filter((_, k) => k % 3 === 1)).toEqual(want.per);
      expect(per.filter((_, k) => k % 3 === 0)).toEqual(ws.map((_, i) => i));
      if (seqlen) expect(got.cut).toBeGreaterThan(0);
      const groups = bytes === undefined ? 1 : bytes === 1 ? ws.length : undefined;
      if (groups) expect(lines.length).toBe(groups * cfg.numLayers);
      else expect(lines.length).toBeGreaterThan(cfg.numLayers);
      expect(lines[0]).toMatch(/^stories 1–\d+ of 13: block 1\/2$/);
    });
  }

  it('bad arguments name themselves, before any work', async () => {
    const before = la.liveBytes();
    await expect(sourcePerplexity(la, cfg, source, stories, { maxActivationBytes: 0 })).rejects.toThrow(/sourcePerplexity: argument options\.maxActivationBytes must be a positive number of bytes/);
    await expect(sourcePerplexity(la, cfg, source, [[1, 2, cfg.vocabSize]])).rejects.toThrow(/argument stories\[0\]\[2\] must be a token id in \[0, 2048\)/);
    await expect(sourcePerplexity(la, cfg, source, [[1, 2.5]])).rejects.toThrow(/argument stories\[0\]\[1\]/);
    await expect(sourcePerplexity(la, cfg, source, [[1]])).rejects.toThrow(/argument stories must be at least one story of two or more tokens/);
    await expect(sourcePerplexity(la, cfg, source, stories, { seqlen: 1 })).rejects.toThrow(/argument options\.seqlen/);
    await expect(sourcePerplexity(la, cfg, source, stories, { onProgress: 3 as never })).rejects.toThrow(/argument options\.onProgress must be a function/);
    expect(la.liveBytes()).toBe(before);
  });
});

describe('pass stores', () => {
  const w = new Float32Array([1.5, -2, 0, 3e-8, 7]), m = new Uint8Array([1, 1, 0, 1, 1]);
  const stores: [string, () => Promise<PassStore>][] = [
    ['memory', async () => memoryPassStore()],
    ['file', () => filePassStore(join(tmp, `s-${Math.random().toString(36).slice(2)}.bin`))],
  ];
  for (const [kind, make] of stores) {
    it(`${kind}: weights and masks come back as put, in order; names and lengths are checked; free refuses later reads`, async () => {
      const s = await make();
      await s.put('b', w, m);
      await s.put('a', w.map((x) => -x), new Uint8Array(5).fill(1));
      expect(s.names()).toEqual(['b', 'a']);
      expect(s.has('a') && s.has('b') && !s.has('c')).toBe(true);
      expect(await s.weight('b')).toEqual(w);
      expect(await s.mask('b')).toEqual(m);
      expect(await s.weight('a')).toEqual(w.map((x) => -x));
      await expect(s.weight('c')).rejects.toThrow(/argument name must be a stored tensor; got "c"/);
      await expect(s.put('a', w, m)).rejects.toThrow(/put: argument name must be a tensor not stored yet; got "a"/);
      await expect(s.put('d', w, new Uint8Array(4))).rejects.toThrow(/argument mask must be a Uint8Array of 5 entries/);
      await expect(s.put('d', new Float64Array(5) as never, m)).rejects.toThrow(/argument weight must be a Float32Array/);
      await s.free();
      await s.free(); // idempotent
      await expect(s.weight('a')).rejects.toThrow(/must be a store not freed yet/);
    });
  }

  it('file: the file holds the bytes put, is removed by free, and an existing path is refused', async () => {
    const path = join(tmp, 'fixed.bin');
    const s = await filePassStore(path);
    await s.put('x', w, m);
    expect(readFileSync(path).length).toBe(5 * 4 + 5);
    await s.free();
    expect(existsSync(path)).toBe(false);
    writeFileSync(path, 'keep me');
    await expect(filePassStore(path)).rejects.toThrow(/EEXIST/);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });

  it('storeSource reads stored weights in place of the checkpoint’s, and refuses a wrong length', async () => {
    const name = 'model.layers.0.self_attn.q_proj.weight';
    const s = memoryPassStore();
    const q = new Float32Array(128 * 128).fill(0.5);
    await s.put(name, q, new Uint8Array(q.length).fill(1));
    const src = storeSource(source, s);
    expect(src.names).toBe(source.names);
    expect(await src.read(name)).toEqual(q);
    expect(await src.read('model.norm.weight')).toEqual(await source.read('model.norm.weight'));
    const bad = memoryPassStore();
    await bad.put(name, new Float32Array(3), new Uint8Array(3));
    await expect(storeSource(source, bad).read(name)).rejects.toThrow(/storeSource: argument store\["model\.layers\.0\.self_attn\.q_proj\.weight"\] must be 16384 values/);
    const unknown = memoryPassStore();
    await unknown.put('nope', new Float32Array(1), new Uint8Array(1));
    expect(() => storeSource(source, unknown)).toThrow(/nope/);
  });
});

describe('pruneLlama with a file pass store', () => {
  const options = (extra: Partial<LlamaPruneOptions> = {}): LlamaPruneOptions => ({ pruner: iobs({ iterations: 1, exchange: false }), pattern: '2:4', calibration: calib, passes: 3, validation: stories.slice(0, 6), ...extra });

  it('gives the memory store’s passes, losses and weights; only the kept pass’s file is left, and free removes it', async () => {
    const dir = mkdtempSync(join(tmp, 'passes-'));
    const freed: number[] = [];
    const made: number[] = [];
    const factory = filePassStores(join(dir, 'pass-'));
    const counting = async (pass: number): Promise<PassStore> => {
      made.push(pass);
      const s = await factory(pass);
      return { ...s, free: async () => { freed.push(pass); await s.free(); } };
    };
    const before = la.liveBytes();
    const inMemory = await pruneLlama(la, cfg, source, options());
    const onFile = await pruneLlama(la, cfg, source, options({ passStore: counting }));
    expect(la.liveBytes()).toBe(before);
    expect(made).toEqual([1, 2, 3]);
    expect(onFile.passes.map((p) => p.validationLoss)).toEqual(inMemory.passes.map((p) => p.validationLoss));
    expect(onFile.chosenPass).toBe(inMemory.chosenPass);
    expect(onFile.tensors.size).toBe(0);
    expect(inMemory.store).toBeNull();
    const kept = onFile.store!;
    expect([...freed].sort()).toEqual([1, 2, 3].filter((p) => p !== onFile.chosenPass));
    expect(readdirSync(dir)).toEqual([`pass-${onFile.chosenPass}.bin`]);
    expect(kept.names()).toEqual([...inMemory.tensors.keys()]);
    for (const [name, W] of inMemory.tensors) expect(await kept.weight(name), name).toEqual(W);
    await kept.free();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('on an error in a later pass every store is freed and no file is left', async () => {
    const dir = mkdtempSync(join(tmp, 'fail-'));
    let layers = 0;
    await expect(pruneLlama(la, cfg, source, options({
      passStore: filePassStores(join(dir, 'pass-')),
      onLayer: () => { if (++layers === 20) throw new Error('stop here'); },
    }))).rejects.toThrow('stop here');
    expect(readdirSync(dir)).toEqual([]);
  });
});
