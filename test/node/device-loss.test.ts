// A GPU device lost midway through a whole-model run, on the CPU: losingBackend wraps a Wasm
// backend and, once told to, fails every call as a lost device does, makes every matrix it made
// unreadable (a matrix of the lost backend used after the loss throws) and hands over another
// Wasm backend from lost(). What is checked, for pruneOnnx (the MNIST CNN) and pruneLlama (the demo checkpoint):
// - the run finishes on the host backend with one warning that says why and what is redone;
// - every layer is reported once, the layers finished before the loss exactly as a run without a
//   loss makes them (they are kept, not redone), the rest close to it;
// - the host backend is left holding nothing; an error that is not a loss is thrown as it was.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceLoss, KernelBackend } from '../../src/backends/types.js';
import type { Storage } from '../../src/core/matrix.js';
import { defaultRegistry } from '../../src/init.js';
import { openSafetensorsFile } from '../../src/io/safetensors-node.js';
import { readIdxFile } from '../../src/io/files.js';
import { Linalg } from '../../src/linalg/linalg.js';
import { runOrRecover } from '../../src/models/device-loss.js';
import { calibrationWindows } from '../../src/models/llama/calibration.js';
import { parseLlamaConfig } from '../../src/models/llama/config.js';
import { splitStories } from '../../src/models/llama/perplexity.js';
import { pruneLlama } from '../../src/models/llama/prune.js';
import { LlamaTokenizer } from '../../src/models/llama/tokenizer.js';
import { mnistInputs } from '../../src/models/mnist.js';
import { pruneOnnx } from '../../src/models/onnx/prune.js';
import { sparseGPT } from '../../src/pruning/sparsegpt.js';
import { NO_SHARED_DATA, SHARED_DATA, sharedData } from './shared-data.js';

const dist = new URL('../../dist/', import.meta.url);
const demo = (p: string) => fileURLToPath(new URL(`../../demo/${p}`, import.meta.url));

const KEEP_WORKING = new Set(['dispose', 'liveBytes', 'peakBytes', 'resetPeak', 'name']);

/**
 * A backend whose "device" is lost when lose() is called: every later call fails, every matrix it
 * made becomes unreadable (as the buffers of a lost GPU are gone), and lost() hands over `host`.
 */
function losingBackend(inner: KernelBackend, host: KernelBackend): { backend: KernelBackend; lose: () => void } {
  let gone = false;
  const made: Storage[] = [];
  const lost = async (): Promise<DeviceLoss | null> => (gone ? { reason: 'test: lost on purpose', host } : null);
  const backend = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'lost') return lost;
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || KEEP_WORKING.has(String(prop))) return v;
      return (...args: unknown[]) => {
        if (gone) throw new Error(`device lost: ${String(prop)} refused`);
        const out = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (prop === 'allocate') made.push(out as Storage);
        return out;
      };
    },
  });
  const lose = () => {
    gone = true;
    for (const s of made) (s as { released: boolean }).released = true; // view() now throws
  };
  return { backend, lose };
}

async function wasm(): Promise<KernelBackend> {
  return (await defaultRegistry({ wasmPaths: dist }).resolve(['wasm-simd'])).backend;
}

describe('runOrRecover', () => {
  it('runs on la while it works, and rethrows an error that is not a lost device', async () => {
    const la = new Linalg(await wasm());
    expect(await runOrRecover(la, () => {}, 'again', async (l) => l.backendName)).toBe('wasm-simd');
    await expect(runOrRecover(la, () => {}, 'again', async () => { throw new Error('not a loss'); })).rejects.toThrow('not a loss');
    const { backend, lose } = losingBackend(await wasm(), await wasm());
    const lossy = new Linalg(backend);
    const warnings: string[] = [];
    let calls = 0;
    const name = await runOrRecover(lossy, (m) => warnings.push(m), 'it is done again there', async (l) => {
      calls++;
      if (calls === 1) { lose(); l.matrix(2, 2); }
      return l.backendName;
    });
    expect([name, calls]).toEqual(['wasm-simd', 2]);
    expect(warnings).toEqual(['iobs: the GPU device was lost (test: lost on purpose); going on with wasm-simd: it is done again there']);
    // A loss already known: the work goes to the host at once.
    expect(await runOrRecover(lossy, () => {}, '', async (l) => l.backendName)).toBe('wasm-simd');
    expect(warnings.length).toBe(1);
  });
});

describe.skipIf(!SHARED_DATA)(`pruneOnnx with the device lost after the first layer${NO_SHARED_DATA}`, () => {
  it('redoes the layer in hand on the host backend and keeps the one before', async () => {
    const bytes = new Uint8Array(await readFile(sharedData('onnx/mnist-cnn.onnx')));
    const images = await readIdxFile(sharedData('mnist/t10k-images-idx3-ubyte.gz'));
    const samples = { input: 'input', data: mnistInputs(images, 0, 64), sampleShape: [1, 28, 28] };
    const plain = await pruneOnnx(new Linalg(await wasm()), bytes, samples, { pruner: sparseGPT(), pattern: '0.5' });
    const host = await wasm();
    const { backend, lose } = losingBackend(await wasm(), host);
    const warnings: string[] = [];
    const reported: string[] = [];
    const r = await pruneOnnx(new Linalg(backend), bytes, samples, {
      pruner: sparseGPT(), pattern: '0.5', warn: (m) => warnings.push(m),
      onLayer: (l) => { reported.push(l.node); if (reported.length === 1) lose(); },
    });
    expect(warnings).toEqual(['iobs: the GPU device was lost (test: lost on purpose); going on with wasm-simd: layer /conv2/Conv is redone there; the 1 layer before it is kept']);
    expect(r.backend).toBe('wasm-simd');
    expect(reported).toEqual(['/conv1/Conv', '/conv2/Conv', '/fc1/Gemm', '/fc2/Gemm']);
    expect(r.layers[0]).toEqual({ ...plain.layers[0], captureSeconds: r.layers[0].captureSeconds, pruneSeconds: r.layers[0].pruneSeconds, seconds: r.layers[0].seconds });
    for (const [i, l] of r.layers.entries()) {
      expect(l.sparsity).toBeCloseTo(plain.layers[i].sparsity, 3);
      expect(Math.abs(l.relError - plain.layers[i].relError) / plain.layers[i].relError, l.node).toBeLessThan(0.02);
    }
    expect(host.liveBytes()).toBe(0);
  }, 120_000);
});

describe('pruneLlama with the device lost in block 1', () => {
  let cfg: ReturnType<typeof parseLlamaConfig>;
  let calib: number[][];
  const json = (p: string) => JSON.parse(readFileSync(demo(p), 'utf8'));
  beforeAll(() => {
    cfg = parseLlamaConfig(json('models/tinystories-llama/config.json'));
    const tok = new LlamaTokenizer(json('models/tinystories-llama/tokenizer.json'), json('models/tinystories-llama/tokenizer_config.json'), { prepend: false });
    calib = calibrationWindows(splitStories(readFileSync(demo('data/tinystories-calib.txt'), 'utf8')).map((s) => tok.encodeStory(s)), 4, 64).windows;
  });
  const sources: { close(): Promise<void> }[] = [];
  afterAll(async () => { for (const s of sources) await s.close(); });

  it('runs the pass again on the host backend, reusing the layers already pruned, each tensor given out once', async () => {
    const source = await openSafetensorsFile(demo('models/tinystories-llama/model.safetensors'));
    sources.push(source);
    const plainTensors = new Map<string, Float32Array>();
    const plain = await pruneLlama(new Linalg(await wasm()), cfg, source, { pruner: sparseGPT(), pattern: '0.5', calibration: calib, onTensor: (n, v) => { plainTensors.set(n, v.slice()); } });
    const host = await wasm();
    const { backend, lose } = losingBackend(await wasm(), host);
    const warnings: string[] = [];
    const tensors = new Map<string, Float32Array>();
    const given: string[] = [];
    const layers: string[] = [];
    const r = await pruneLlama(new Linalg(backend), cfg, source, {
      pruner: sparseGPT(), pattern: '0.5', calibration: calib, warn: (m) => warnings.push(m),
      onTensor: (n, v) => { given.push(n); tensors.set(n, v.slice()); },
      onLayer: (l) => { layers.push(l.name); if (layers.length === 9) lose(); },
    });
    expect(warnings).toEqual(['iobs: the GPU device was lost (test: lost on purpose); going on with wasm-simd: pass 1 is run again there, reusing the 9 layers already pruned']);
    expect(r.backend).toBe('wasm-simd');
    expect(given).toEqual([...plainTensors.keys()]);
    expect(layers).toEqual(plain.layers.map((l) => l.name));
    expect(r.layers.map((l) => l.name)).toEqual(layers);
    expect(r.tensors.size).toBe(0); // onTensor took them; the host copies kept for the loss are gone
    for (const [i, name] of given.entries()) {
      const a = tensors.get(name)!, b = plainTensors.get(name)!;
      if (i < 9) {
        expect(a, name).toEqual(b); // kept from before the loss
        expect({ ...r.layers[i], seconds: 0 }).toEqual({ ...plain.layers[i], seconds: 0 });
      } else {
        let same = 0;
        for (let k = 0; k < a.length; k++) if ((a[k] === 0) === (b[k] === 0)) same++;
        expect(same / a.length, name).toBeGreaterThan(0.99);
        expect(Math.abs(r.layers[i].relError - plain.layers[i].relError) / plain.layers[i].relError, name).toBeLessThan(0.02);
      }
    }
    expect(host.liveBytes()).toBe(0);
  }, 300_000);

  it('throws an error that is not a lost device as it was', async () => {
    const source = await openSafetensorsFile(demo('models/tinystories-llama/model.safetensors'));
    sources.push(source);
    const { backend } = losingBackend(await wasm(), await wasm());
    const warnings: string[] = [];
    await expect(pruneLlama(new Linalg(backend), cfg, source, {
      pruner: sparseGPT(), pattern: '0.5', calibration: calib, warn: (m) => warnings.push(m),
      onLayer: () => { throw new Error('a bad callback'); },
    })).rejects.toThrow('a bad callback');
    expect(warnings).toEqual([]);
  });
});
