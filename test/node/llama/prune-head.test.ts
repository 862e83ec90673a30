// pruneLlama's head option: the output head (here the tied embedding, stored as lm_head.weight) is
// pruned last, on the final norm of the pruned model, and only when asked.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { init } from '../../../src/init.js';
import { openSafetensorsFile } from '../../../src/io/safetensors-node.js';
import { calibrationWindows } from '../../../src/models/llama/calibration.js';
import { parseLlamaConfig } from '../../../src/models/llama/config.js';
import { splitStories } from '../../../src/models/llama/perplexity.js';
import { pruneLlama } from '../../../src/models/llama/prune.js';
import { LlamaTokenizer } from '../../../src/models/llama/tokenizer.js';
import { sparseGPT } from '../../../src/pruning/sparsegpt.js';

const dir = new URL('../../../demo/', import.meta.url);
const json = (f: string) => JSON.parse(readFileSync(new URL(`models/tinystories-llama/${f}`, dir), 'utf8'));

describe('pruneLlama head', () => {
  it('prunes the head only when asked, to the pattern, after every projection', async () => {
    const la = await init();
    const cfg = parseLlamaConfig(json('config.json'));
    const tok = new LlamaTokenizer(json('tokenizer.json'), json('tokenizer_config.json'), { prepend: false });
    const stories = splitStories(readFileSync(new URL('data/tinystories-calib.txt', dir), 'utf8')).slice(0, 40).map((s) => tok.encodeStory(s));
    const { windows } = calibrationWindows(stories, 8, 128);
    const source = await openSafetensorsFile(new URL('models/tinystories-llama/model.safetensors', dir).pathname);
    try {
      const start = la.liveBytes();
      const without = await pruneLlama(la, cfg, source, { pruner: sparseGPT(), pattern: '0.5', calibration: windows });
      expect(without.tensors.has('lm_head.weight')).toBe(false);
      const withHead = await pruneLlama(la, cfg, source, { pruner: sparseGPT(), pattern: '0.5', calibration: windows, head: true });
      const last = withHead.layers[withHead.layers.length - 1];
      expect(last).toMatchObject({ name: 'lm_head', rows: cfg.vocabSize, cols: cfg.hiddenSize, pattern: '50%' });
      expect(last.relError).toBeGreaterThan(0);
      expect(last.relError).toBeLessThan(1);
      const head = withHead.tensors.get('lm_head.weight')!;
      expect(head.filter((v) => v === 0).length).toBe(Math.floor(head.length / 2));
      // The projections are the same as without the head: it is pruned after them.
      for (const [name, w] of without.tensors) expect(withHead.tensors.get(name)).toEqual(w);
      await expect(pruneLlama(la, cfg, source, { pruner: sparseGPT(), pattern: '0.5', calibration: windows, head: 'yes' as unknown as boolean })).rejects.toThrow(/options\.head/);
      expect(la.liveBytes()).toBe(start);
    } finally {
      await source.close();
      la.dispose();
    }
  }, 120_000);
});
