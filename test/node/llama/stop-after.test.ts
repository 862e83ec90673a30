// llamaBlock's stopAfter: the hook sees the projections up to the named one, in order, and the
// block stops there (what the whole-model pruner's calibration passes rely on).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { init } from '../../../src/init.js';
import { openSafetensorsFile } from '../../../src/io/safetensors-node.js';
import { parseLlamaConfig } from '../../../src/models/llama/config.js';
import { llamaBlock } from '../../../src/models/llama/forward.js';
import { freeLlamaBlock, LLAMA_PROJECTIONS, loadLlamaBlock, type LlamaProjection } from '../../../src/models/llama/weights.js';

const dir = new URL('../../../demo/models/tinystories-llama/', import.meta.url);

describe('llamaBlock stopAfter', () => {
  it('calls the hook for the projections up to stopAfter and no further, with the inputs a full run sees', async () => {
    const la = await init({ backend: 'reference' });
    const cfg = parseLlamaConfig(JSON.parse(readFileSync(new URL('config.json', dir), 'utf8')));
    const source = await openSafetensorsFile(new URL('model.safetensors', dir).pathname);
    const w = await loadLlamaBlock(la, cfg, source, 0);
    try {
      const values = Float32Array.from({ length: 7 * cfg.hiddenSize }, (_, i) => Math.sin(i * 0.37));
      const full: Partial<Record<LlamaProjection, number[]>> = {};
      const X = la.fromArray(values, 7, cfg.hiddenSize);
      await llamaBlock(la, cfg, w, X, { onLinearInput: async (p, M) => { full[p] = Array.from(await la.read(M)); } });
      X.free();
      for (const stop of LLAMA_PROJECTIONS) {
        const seen: LlamaProjection[] = [];
        const Y = la.fromArray(values, 7, cfg.hiddenSize);
        await llamaBlock(la, cfg, w, Y, {
          stopAfter: stop,
          onLinearInput: async (p, M) => {
            seen.push(p);
            expect(Array.from(await la.read(M))).toEqual(full[p]);
          },
        });
        Y.free();
        expect(seen).toEqual(LLAMA_PROJECTIONS.slice(0, LLAMA_PROJECTIONS.indexOf(stop) + 1));
      }
      const Z = la.fromArray(values, 7, cfg.hiddenSize);
      await expect(llamaBlock(la, cfg, w, Z, { stopAfter: 'qkv' as LlamaProjection })).rejects.toThrow(/options\.stopAfter/);
      Z.free();
    } finally {
      freeLlamaBlock(w);
      await source.close();
      la.dispose();
    }
  });
});
