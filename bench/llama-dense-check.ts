// The dense perplexity of the shipped tinystories-llama on the demo's evaluation stories (500–699
// of TinyStories-valid), computed by the library and by the independent float64 numpy forward in
// test/llama_numpy.py on the same token ids, for the README's cross-check.
//   node --no-liftoff --experimental-wasm-relaxed-simd scripts/run-ts.mjs bench/llama-dense-check.ts
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { init } from '../src/init.js';
import { openCheckpointFolder } from '../src/io/safetensors-node.js';
import { parseLlamaConfig } from '../src/models/llama/config.js';
import { llamaPerplexity, splitStories } from '../src/models/llama/perplexity.js';
import { LlamaTokenizer } from '../src/models/llama/tokenizer.js';
import { loadLlama } from '../src/models/llama/weights.js';

const dir = 'demo/models/tinystories-llama';
const json = (f: string) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const cfg = parseLlamaConfig(json('config.json'));
const tok = new LlamaTokenizer(json('tokenizer.json'), json('tokenizer_config.json'), { prepend: false });
const stories = splitStories(readFileSync('demo/data/tinystories-eval.txt', 'utf8')).map((s) => tok.encodeStory(s).slice(0, cfg.maxPositionEmbeddings));
const la = await init({ wasmPaths: pathToFileURL(resolve('dist')).href + '/' });
const model = await loadLlama(la, cfg, await openCheckpointFolder(dir));
const ours = await llamaPerplexity(la, model, stories);
const run = spawnSync('python3', ['test/llama_numpy.py', dir], { input: JSON.stringify({ windows: stories }), encoding: 'utf8', maxBuffer: 1 << 26 });
if (run.status !== 0) throw new Error(`numpy forward failed: ${run.stderr}`);
const np = JSON.parse(run.stdout) as { nll: number[]; count: number[] };
const nll = np.nll.reduce((a, b) => a + b, 0), count = np.count.reduce((a, b) => a + b, 0);
const theirs = Math.exp(nll / count);
console.log(`stories ${stories.length}, tokens predicted ${ours.count} (numpy ${count}), cut to ${cfg.maxPositionEmbeddings}: ${ours.cut}`);
console.log(`perplexity: iobs (${la.backendName}, float32) ${ours.perplexity.toFixed(4)}, numpy float64 ${theirs.toFixed(4)}, relative difference ${(Math.abs(ours.perplexity - theirs) / theirs).toExponential(2)}`);
