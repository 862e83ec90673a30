// I-OBS passes over an ONNX model: each pass recalibrates on the model so far and starts every
// layer from the previous pass; the pass returned has the least validation loss.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/init.js';
import { parseIdx } from '../../src/io/idx.js';
import { mnistInputs } from '../../src/models/mnist.js';
import { pruneOnnx } from '../../src/models/onnx/prune.js';
import { iobs } from '../../src/pruning/iobs.js';
import { sparseGPT } from '../../src/pruning/sparsegpt.js';
import { gunzipSync } from 'node:zlib';

const demo = new URL('../../demo/', import.meta.url);
const bytes = new Uint8Array(readFileSync(new URL('models/mnist-cnn.onnx', demo)));
const images = parseIdx(new Uint8Array(gunzipSync(readFileSync(new URL('data/mnist-calib-images-idx3-ubyte.gz', demo)))));
const samples = (start: number, count: number) => ({ input: 'input', data: mnistInputs(images, start, count), sampleShape: [1, 28, 28] });

describe('pruneOnnx passes', () => {
  it('reports every pass, returns the one with the least validation loss, and refuses passes without I-OBS or validation', async () => {
    const la = await init();
    try {
      const start = la.liveBytes();
      const layers = ['/conv2/Conv', '/fc2/Gemm'];
      const r = await pruneOnnx(la, bytes, samples(0, 64), { pruner: iobs({ iterations: 1 }), pattern: '2:4', layers, passes: 2, validation: samples(500, 64) });
      expect(r.passes.map((p) => p.pass)).toEqual([1, 2]);
      for (const p of r.passes) expect(Number.isFinite(p.validationLoss) && p.validationLoss > 0).toBe(true);
      const least = r.passes.reduce((a, b) => (b.validationLoss < a.validationLoss ? b : a));
      expect(r.chosenPass).toBe(least.pass);
      expect(r.layers.filter((l) => l.pattern === '2:4').map((l) => l.node)).toEqual(layers);
      // Pass 2 starts from pass 1, so it is no worse on the layers calibrated on the same inputs:
      // conv2 is the first pruned layer, and conv1 (before it) is dense in both passes.
      const one = await pruneOnnx(la, bytes, samples(0, 64), { pruner: iobs({ iterations: 1 }), pattern: '2:4', layers, validation: samples(500, 64) });
      expect(one.passes).toHaveLength(1);
      expect(one.passes[0].validationLoss).toBeCloseTo(r.passes[0].validationLoss, 10);
      const conv2 = (x: typeof r) => x.layers.find((l) => l.node === '/conv2/Conv')!.relError;
      expect(conv2(r)).toBeLessThanOrEqual(conv2(one) * (1 + 1e-6));
      await expect(pruneOnnx(la, bytes, samples(0, 8), { pruner: sparseGPT(), pattern: '2:4', passes: 2, validation: samples(500, 8) })).rejects.toThrow(/options\.passes/);
      await expect(pruneOnnx(la, bytes, samples(0, 8), { pruner: iobs(), pattern: '2:4', passes: 2 })).rejects.toThrow(/options\.validation/);
      expect(la.liveBytes()).toBe(start);
    } finally {
      la.dispose();
    }
  }, 120_000);
});
