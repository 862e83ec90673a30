// Perplexity of tinystories-llama pruned by given methods at given patterns, by the demo's
// protocol (128 windows of 256 tokens from calibration stories 0–199; perplexity on stories
// 500–699, each story one window from BOS cut at 512), for the README's 70% figures:
//   node --no-liftoff --experimental-wasm-relaxed-simd scripts/run-ts.mjs bench/llama-perplexity.ts 0.7 sparsegpt,obc,iobs,iobs-obc
// Methods: sparsegpt, obc, iobs, iobs-obc (I-OBS started from OBC), iobs-noex (exchange off), and
// iobs{JSON} for I-OBS with those options (methods separated by ';' when one holds a comma).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { init } from '../src/init.js';
import { openCheckpointFolder } from '../src/io/safetensors-node.js';
import { parseLlamaConfig } from '../src/models/llama/config.js';
import { sourcePerplexity, splitStories } from '../src/models/llama/perplexity.js';
import { calibrationWindows } from '../src/models/llama/calibration.js';
import { LlamaTokenizer } from '../src/models/llama/tokenizer.js';
import { pruneLlama } from '../src/models/llama/prune.js';
import { overlaySource } from '../src/models/overlay.js';
import { iobs } from '../src/pruning/iobs.js';
import { obc } from '../src/pruning/obc.js';
import { sparseGPT } from '../src/pruning/sparsegpt.js';
import type { Pruner } from '../src/pruning/types.js';
const dir = 'demo/models/tinystories-llama';
const json = (f: string) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const cfg = parseLlamaConfig(json('config.json'));
const tok = new LlamaTokenizer(json('tokenizer.json'), json('tokenizer_config.json'), { prepend: false });
const read = (f: string) => splitStories(readFileSync(f, 'utf8')).map((s) => tok.encodeStory(s).slice(0, cfg.maxPositionEmbeddings));
const calib = read('demo/data/tinystories-calib.txt'), evals = read('demo/data/tinystories-eval.txt');
const { windows } = calibrationWindows(calib, 128, 256, false);
const la = await init({ wasmPaths: pathToFileURL(resolve('dist')).href + '/' });
const ck = await openCheckpointFolder(dir);
const [patterns = '0.5,0.7', methods = 'sparsegpt,obc,iobs'] = process.argv.slice(2);
const configs: Record<string, () => Pruner> = {
  sparsegpt: () => sparseGPT(), obc: () => obc(), iobs: () => iobs(), 'iobs-obc': () => iobs({ start: 'obc' }),
  'iobs-noex': () => iobs({ exchange: false }),
};
for (const pattern of patterns.split(',')) for (const name of methods.split(methods.includes(';') ? ';' : ',')) {
  const pruner = name.startsWith('iobs{') ? iobs(JSON.parse(name.slice(4))) : configs[name]?.();
  if (!pruner) throw new Error(`unknown method ${name} (known: ${Object.keys(configs).join(', ')}, iobs{JSON})`);
  const r = await pruneLlama(la, cfg, ck, { pruner, pattern, calibration: windows });
  const p = await sourcePerplexity(la, cfg, overlaySource(ck, r.tensors), evals);
  console.log(pattern, name, p.perplexity.toFixed(3), 'mean layer err', (r.layers.reduce((a, l) => a + l.relError, 0) / r.layers.length).toFixed(5));
}
await ck.close();
