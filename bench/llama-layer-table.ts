// The per-layer table of the tinystories layers (issue 11): the 14 linear layers of the shipped
// tinystories-llama (2 blocks x q, k, v, o, gate, up, down), each with the Hessian H = Σ XᵀX of the
// DENSE model's inputs to it on calibration stories 0–199 (demo/data/tinystories-calib.txt, each
// story one sequence from BOS, cut at max_position_embeddings), pruned by SparseGPT, OBC and I-OBS
// (each with its defaults) at 50%, 70% and 2:4. Writes docs/llama-layers.md: relative error
// ‖(W − Ŵ)X‖²/‖WX‖² per layer, I-OBS / SparseGPT and OBC / SparseGPT with their geometric means,
// and the pruning seconds; --layers-dir also writes each layer's W.npy / H.npy for `iobs prune-layer`.
//   node --no-liftoff --experimental-wasm-relaxed-simd scripts/run-ts.mjs bench/llama-layer-table.ts
//        [--out docs/llama-layers.md] [--layers-dir build/llama-layers] [--json]
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { init } from '../src/init.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { writeNpyFile } from '../src/io/files.js';
import { openCheckpointFolder } from '../src/io/safetensors-node.js';
import type { Matrix } from '../src/core/matrix.js';
import { parseLlamaConfig } from '../src/models/llama/config.js';
import { llamaBlock } from '../src/models/llama/forward.js';
import { splitStories } from '../src/models/llama/perplexity.js';
import { LlamaTokenizer } from '../src/models/llama/tokenizer.js';
import { LLAMA_PROJECTIONS, loadLlama, projectionShape, type LlamaProjection } from '../src/models/llama/weights.js';
import { HessianAccumulator } from '../src/pruning/accumulator.js';
import { iobs } from '../src/pruning/iobs.js';
import { obc } from '../src/pruning/obc.js';
import { pruneLayer } from '../src/pruning/prune-layer.js';
import { sparseGPT } from '../src/pruning/sparsegpt.js';
import type { Pruner } from '../src/pruning/types.js';

const COMMAND = 'node --no-liftoff --experimental-wasm-relaxed-simd scripts/run-ts.mjs bench/llama-layer-table.ts';
const PATTERNS = ['0.5', '0.7', '2:4'] as const;
const METHODS: [string, () => Pruner][] = [['sparsegpt', () => sparseGPT()], ['obc', () => obc()], ['iobs', () => iobs()]];

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/llama-layers.md' }, 'layers-dir': { type: 'string' }, json: { type: 'boolean', default: false } } });
const log = (m: string) => process.stderr.write(m + '\n');
const dir = 'demo/models/tinystories-llama';
const json = (f: string) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
const cfg = parseLlamaConfig(json('config.json'));
const tok = new LlamaTokenizer(json('tokenizer.json'), json('tokenizer_config.json'), { prepend: false });
const stories = splitStories(readFileSync('demo/data/tinystories-calib.txt', 'utf8')).map((s) => tok.encodeStory(s).slice(0, cfg.maxPositionEmbeddings));
const la = await init({ wasmPaths: pathToFileURL(resolve('dist')).href + '/' });
const checkpoint = await openCheckpointFolder(dir);
const model = await loadLlama(la, cfg, checkpoint);
await checkpoint.close();

// Hessians of the dense model's inputs, every projection of every block at once.
const accs = model.blocks.map(() => new Map<LlamaProjection, HessianAccumulator>());
for (const m of accs) for (const p of LLAMA_PROJECTIONS) m.set(p, new HessianAccumulator(la, projectionShape(cfg, p)[1]));
let tokens = 0;
for (const ids of stories) {
  const idm = la.fromArray(Int32Array.from(ids), ids.length, 1, 'int32');
  const X = await la.gather(model.embed, idm);
  idm.free();
  tokens += ids.length;
  for (let b = 0; b < model.blocks.length; b++) {
    await llamaBlock(la, cfg, model.blocks[b], X, { onLinearInput: async (p, input) => { await accs[b].get(p)!.addBatch(input); } });
  }
  X.free();
}
log(`calibration: ${stories.length} stories, ${tokens} tokens`);

interface Result { layer: string; rows: number; cols: number; pattern: string; method: string; relError: number; seconds: number }
const results: Result[] = [];
for (let b = 0; b < model.blocks.length; b++) {
  for (const p of LLAMA_PROJECTIONS) {
    const layer = `${b}.${p}`;
    const W: Matrix = model.blocks[b].proj[p];
    const H = await accs[b].get(p)!.hessian('float64');
    if (values['layers-dir']) {
      const folder = join(resolve(values['layers-dir']), layer);
      mkdirSync(folder, { recursive: true });
      await writeNpyFile(join(folder, 'W.npy'), await la.read(W), [W.rows, W.cols]);
      await writeNpyFile(join(folder, 'H.npy'), await la.read(H), [H.rows, H.cols]);
    }
    const H32 = await la.convert(H, 'float32');
    for (const pattern of PATTERNS) {
      for (const [method, make] of METHODS) {
        const r = await pruneLayer(la, W, H32, { pruner: make(), pattern });
        r.weight.free();
        r.mask.free();
        results.push({ layer, rows: W.rows, cols: W.cols, pattern, method, relError: r.relError, seconds: r.seconds });
      }
      const row = results.slice(-METHODS.length);
      log(`${layer} ${W.rows}x${W.cols} ${pattern}: ${row.map((x) => `${x.method} ${x.relError.toPrecision(4)} (${x.seconds.toFixed(2)} s)`).join(', ')}`);
    }
    H.free();
    H32.free();
  }
}
model.free();

const find = (layer: string, pattern: string, method: string) => results.find((r) => r.layer === layer && r.pattern === pattern && r.method === method)!;
const layers = [...new Set(results.map((r) => r.layer))];
const geo = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
const summary = PATTERNS.map((pattern) => {
  const ratio = (m: string) => layers.map((l) => find(l, pattern, m).relError / find(l, pattern, 'sparsegpt').relError);
  const io = ratio('iobs'), ob = ratio('obc');
  const seconds = (m: string) => layers.reduce((s, l) => s + find(l, pattern, m).seconds, 0);
  return {
    pattern, iobsGeo: geo(io), obcGeo: geo(ob), iobsRange: [Math.min(...io), Math.max(...io)], obcRange: [Math.min(...ob), Math.max(...ob)],
    iobsAtMostObc: layers.filter((l) => find(l, pattern, 'iobs').relError <= find(l, pattern, 'obc').relError).length,
    seconds: Object.fromEntries(METHODS.map(([m]) => [m, seconds(m)])),
  };
});

const f3 = (x: number) => x.toFixed(3);
const lines: string[] = [
  '# I-OBS, OBC and SparseGPT on the tinystories-llama layers',
  '',
  `Made by \`${COMMAND}\` (${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'unknown CPU'}, one thread, backend ${la.backendName}).`,
  '',
  `Every linear layer of \`demo/models/tinystories-llama\` (2 blocks x q, k, v, o, gate, up, down), with the Hessian of the dense model's inputs on calibration stories 0–199 (${stories.length} stories from BOS, ${tokens} tokens), pruned by each method with its defaults (damping 0.01; I-OBS from SparseGPT, 3 iterations at η = 0.5, then the exchange search). Relative layer error ‖(W − Ŵ)X‖²/‖WX‖² with the undamped H; seconds are each method's pruning alone.`,
  '',
  '| pattern | I-OBS / SparseGPT, geometric mean | range | OBC / SparseGPT, geometric mean | range | layers with I-OBS ≤ OBC | seconds, 14 layers: SparseGPT / OBC / I-OBS |',
  '|---|---|---|---|---|---|---|',
  ...summary.map((s) => `| ${s.pattern === '2:4' ? '2:4' : `${Number(s.pattern) * 100}%`} | ${f3(s.iobsGeo)} | ${f3(s.iobsRange[0])}–${f3(s.iobsRange[1])} | ${f3(s.obcGeo)} | ${f3(s.obcRange[0])}–${f3(s.obcRange[1])} | ${s.iobsAtMostObc} of ${layers.length} | ${s.seconds.sparsegpt.toFixed(2)} / ${s.seconds.obc.toFixed(2)} / ${s.seconds.iobs.toFixed(2)} |`),
  '',
  '## Per layer: relative error',
  '',
  '| layer | shape | pattern | SparseGPT | OBC | I-OBS | I-OBS / SparseGPT | OBC / SparseGPT |',
  '|---|---|---|---|---|---|---|---|',
];
for (const l of layers) {
  for (const pattern of PATTERNS) {
    const s = find(l, pattern, 'sparsegpt'), o = find(l, pattern, 'obc'), i = find(l, pattern, 'iobs');
    lines.push(`| ${l} | ${s.rows}x${s.cols} | ${pattern === '2:4' ? '2:4' : `${Number(pattern) * 100}%`} | ${s.relError.toExponential(4)} | ${o.relError.toExponential(4)} | ${i.relError.toExponential(4)} | ${f3(i.relError / s.relError)} | ${f3(o.relError / s.relError)} |`);
  }
}
lines.push('');
await writeFileAtomic(values.out!, new TextEncoder().encode(lines.join('\n')));
log(`wrote ${values.out}`);
if (values.json) console.log(JSON.stringify({ summary, results }));
