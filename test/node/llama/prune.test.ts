// pruneLlama on the TinyStories checkpoint shipped in demo/ (2 blocks, hidden 128, 14 projections),
// at small scale: 16 calibration windows of 128 tokens from the calibration stories, perplexity on
// 40 held-out stories cut to 256 tokens. What is checked:
// - the published algorithms' behaviour: per-layer error SparseGPT < magnitude on every layer, and
//   perplexity dense < I-OBS < SparseGPT < magnitude at 50% (and SparseGPT < magnitude at 2:4);
// - sequential semantics: every layer's reported error is reproduced with the H of the model as it
//   stood when that layer was pruned (earlier blocks and earlier groups pruned), and not with the
//   dense model's H;
// - the pattern of every pruned tensor, which tensors are replaced, the projections option;
// - I-OBS passes: reports, the choice by validation loss, pass 2 continuing from pass 1;
// - option errors naming the argument, with nothing allocated; runs that throw midway free all;
// - a host-free run on the strict backend.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { init } from '../../../src/init.js';
import { Linalg } from '../../../src/linalg/linalg.js';
import { ReferenceBackend } from '../../../src/backends/reference/backend.js';
import { openSafetensorsFile } from '../../../src/io/safetensors-node.js';
import { calibrationWindows } from '../../../src/models/llama/calibration.js';
import { parseLlamaConfig, type LlamaConfig } from '../../../src/models/llama/config.js';
import { llamaBlock, llamaEmbed } from '../../../src/models/llama/forward.js';
import { llamaPerplexity, splitStories } from '../../../src/models/llama/perplexity.js';
import { pruneLlama, type LlamaPruneOptions, type LlamaPruneResult } from '../../../src/models/llama/prune.js';
import { LlamaTokenizer } from '../../../src/models/llama/tokenizer.js';
import { LLAMA_PROJECTIONS, llamaTensorName, loadLlama, projectionShape, type LlamaProjection } from '../../../src/models/llama/weights.js';
import { overlaySource } from '../../../src/models/overlay.js';
import type { TensorSource } from '../../../src/models/tensor-source.js';
import { HessianAccumulator } from '../../../src/pruning/accumulator.js';
import { iobs } from '../../../src/pruning/iobs.js';
import { magnitude } from '../../../src/pruning/magnitude.js';
import { pruneLayer, relativeError } from '../../../src/pruning/prune-layer.js';
import { sparseGPT } from '../../../src/pruning/sparsegpt.js';
import { StrictBackend } from '../../cases/strict-backend.js';

const demo = (p: string) => fileURLToPath(new URL(`../../../demo/${p}`, import.meta.url));
const dist = new URL('../../../dist/', import.meta.url);
const json = (p: string) => JSON.parse(readFileSync(demo(p), 'utf8'));

const GROUPS: LlamaProjection[][] = [['q_proj', 'k_proj', 'v_proj'], ['o_proj'], ['gate_proj', 'up_proj'], ['down_proj']];
/** Every projection's tensor name in the order pruneLlama reports them. */
const names = (cfg: LlamaConfig) => Array.from({ length: cfg.numLayers }, (_, b) => LLAMA_PROJECTIONS.map((p) => llamaTensorName(b, p))).flat();

let la: Linalg;
let cfg: LlamaConfig;
let source: TensorSource;
let calib: number[][];
let evalStories: number[][];
let validation: number[][];

beforeAll(async () => {
  la = await init({ backend: 'wasm-simd', wasmPaths: dist });
  cfg = parseLlamaConfig(json('models/tinystories-llama/config.json'));
  source = await openSafetensorsFile(demo('models/tinystories-llama/model.safetensors'));
  const tok = new LlamaTokenizer(json('models/tinystories-llama/tokenizer.json'), json('models/tinystories-llama/tokenizer_config.json'), { prepend: false });
  const enc = (file: string) => splitStories(readFileSync(demo(`data/${file}`), 'utf8')).map((s) => tok.encodeStory(s));
  calib = calibrationWindows(enc('tinystories-calib.txt'), 16, 128).windows;
  const ev = enc('tinystories-eval.txt');
  evalStories = ev.slice(0, 40).map((s) => s.slice(0, 256));
  validation = ev.slice(100, 116).map((s) => s.slice(0, 256));
});
afterAll(async () => {
  await source?.close();
});

/** Runs (memoised by key: several tests look at the same run). */
const runs = new Map<string, Promise<LlamaPruneResult>>();
function run(key: string, options: () => Omit<LlamaPruneOptions, 'calibration'> & { calibration?: LlamaPruneOptions['calibration'] }): Promise<LlamaPruneResult> {
  if (!runs.has(key)) runs.set(key, pruneLlama(la, cfg, source, { calibration: calib, ...options() }));
  return runs.get(key)!;
}
const runs50 = {
  magnitude: () => run('magnitude 0.5', () => ({ pruner: magnitude(), pattern: '0.5' })),
  sparsegpt: () => run('sparsegpt 0.5', () => ({ pruner: sparseGPT(), pattern: '0.5' })),
  iobs: () => run('iobs 0.5', () => ({ pruner: iobs(), pattern: '0.5' })),
};
/** SparseGPT at 50% with target 'self' (SparseGPT's own protocol: each layer's dense weight on the pruned inputs). */
const selfRun = () => run('sparsegpt 0.5 self', () => ({ pruner: sparseGPT(), pattern: '0.5', target: 'self' }));
const runs24 = {
  magnitude: () => run('magnitude 2:4', () => ({ pruner: magnitude(), pattern: '2:4' })),
  sparsegpt: () => run('sparsegpt 2:4', () => ({ pruner: sparseGPT(), pattern: '2:4' })),
};

async function perplexity(src: TensorSource, stories = evalStories): Promise<number> {
  const model = await loadLlama(la, cfg, src);
  try {
    return (await llamaPerplexity(la, model, stories)).perplexity;
  } finally {
    model.free();
  }
}

describe('pruneLlama: the published algorithms at small scale', () => {
  it('per-layer relative error: SparseGPT below magnitude on all 14 layers, at 50% and at 2:4', async () => {
    for (const r of [runs50, runs24]) {
      const m = await r.magnitude(), s = await r.sparsegpt();
      expect(m.layers.map((l) => l.name)).toEqual(names(cfg).map((n) => n.replace(/^model\./, '').replace(/\.weight$/, '')));
      expect(s.layers.length).toBe(14);
      for (let i = 0; i < 14; i++) {
        expect(s.layers[i].relError, s.layers[i].name).toBeGreaterThan(0);
        expect(s.layers[i].relError, s.layers[i].name).toBeLessThan(m.layers[i].relError);
      }
    }
  });

  // Measured with target 'self' (the test runs the default, 'dense', where SparseGPT and I-OBS are
  // lower still; 16 x 128 calibration tokens, 40 stories): dense 27.92; 50%: magnitude 56.6, SparseGPT
  // 43.9, I-OBS 40.9; 2:4: magnitude 136.6, SparseGPT 69.3. Over other calibration and evaluation
  // stories (8–16 windows) the gaps stayed 7–10% (I-OBS vs SparseGPT) and 20%+ (SparseGPT vs
  // magnitude), so the test asks for 3% and 10%.
  it('perplexity on held-out stories: dense < I-OBS < SparseGPT < magnitude at 50%; SparseGPT < magnitude at 2:4', async () => {
    const dense = await perplexity(source);
    const p = async (r: Promise<LlamaPruneResult>) => perplexity(overlaySource(source, (await r).tensors));
    const mag = await p(runs50.magnitude()), sgpt = await p(runs50.sparsegpt()), io = await p(runs50.iobs());
    const mag24 = await p(runs24.magnitude()), sgpt24 = await p(runs24.sparsegpt());
    const seen = `dense ${dense}, 50%: magnitude ${mag}, SparseGPT ${sgpt}, I-OBS ${io}; 2:4: magnitude ${mag24}, SparseGPT ${sgpt24}`;
    expect(dense, seen).toBeGreaterThan(20);
    expect(dense, seen).toBeLessThan(35);
    expect(io, seen).toBeGreaterThan(dense);
    expect(io * 1.03, seen).toBeLessThan(sgpt);
    expect(sgpt * 1.1, seen).toBeLessThan(mag);
    expect(sgpt24 * 1.1, seen).toBeLessThan(mag24);
    expect(sgpt24, seen).toBeGreaterThan(sgpt);
  });
});

/**
 * Σ XᵀX of projection `p` of block `b` on the calibration windows, computed here from scratch on the
 * model given by `tensors` over the checkpoint (every block from embedding to b run with llamaBlock).
 */
async function hessianOn(tensors: Map<string, Float32Array>, b: number, p: LlamaProjection, windows = calib) {
  const model = await loadLlama(la, cfg, overlaySource(source, tensors));
  const acc = new HessianAccumulator(la, projectionShape(cfg, p)[1]);
  try {
    for (const w of windows) {
      const X = await llamaEmbed(la, model, w);
      try {
        for (let k = 0; k < b; k++) await llamaBlock(la, cfg, model.blocks[k], X);
        await llamaBlock(la, cfg, model.blocks[b], X, { onLinearInput: async (q, input) => { if (q === p) await acc.addBatch(input); } });
      } finally {
        X.free();
      }
    }
    return await acc.hessian('float32');
  } finally {
    acc.free();
    model.free();
  }
}

/** relError of the pruned tensor of (b, p) against its dense weight under H. */
async function relErrorUnder(result: LlamaPruneResult, b: number, p: LlamaProjection, H: Awaited<ReturnType<typeof hessianOn>>) {
  const name = llamaTensorName(b, p);
  const [rows, cols] = projectionShape(cfg, p);
  const W = la.fromArray(await source.read(name), rows, cols), What = la.fromArray(result.tensors.get(name)!, rows, cols);
  try {
    return await relativeError(la, W, What, H);
  } finally {
    W.free();
    What.free();
    H.free();
  }
}

describe('pruneLlama: sequential semantics', () => {
  // For every layer the model "as it stood" is: blocks before b pruned, the groups of block b
  // before this one pruned, the rest dense. Recomputing H on that model reproduces the reported
  // error (measured: exactly); H of the dense model does not (3–15% off; except block 0's q/k/v,
  // whose input is the embedding).
  it('each layer is calibrated on the outputs of the already-pruned earlier blocks and groups (target self)', async () => {
    const r = await selfRun();
    const all = names(cfg);
    const before = la.liveBytes();
    const mismatch: string[] = [];
    for (let b = 0; b < cfg.numLayers; b++) {
      for (let g = 0; g < GROUPS.length; g++) {
        const earlier = new Map([...r.tensors].filter(([n]) => {
          const i = all.indexOf(n), blk = Math.floor(i / 7), grp = GROUPS.findIndex((G) => G.includes(LLAMA_PROJECTIONS[i % 7]));
          return blk < b || (blk === b && grp < g);
        }));
        for (const p of GROUPS[g]) {
          const k = b * 7 + LLAMA_PROJECTIONS.indexOf(p);
          const reported = r.layers[k].relError;
          const sequential = await relErrorUnder(r, b, p, await hessianOn(earlier, b, p));
          const dense = await relErrorUnder(r, b, p, await hessianOn(new Map(), b, p));
          if (Math.abs(sequential - reported) > 1e-4 * reported) mismatch.push(`${r.layers[k].name}: reported ${reported}, recomputed on the pruned model ${sequential}`);
          if (b > 0 || g > 0) {
            // The dense model's H gives a clearly different error.
            expect(Math.abs(dense - reported), `${r.layers[k].name}: dense-model H gives ${dense}, reported ${reported}`).toBeGreaterThan(0.01 * reported);
          } else {
            expect(Math.abs(dense - reported)).toBeLessThanOrEqual(1e-4 * reported);
          }
        }
      }
    }
    expect(mismatch).toEqual([]);
    expect(la.liveBytes()).toBe(before);
  });
});

/** Σ X_pᵀX_p and Σ X_pᵀX_d (float64, on the host) of (b, p): X_p on the model `tensors` make, X_d on the dense model. */
async function pairOn(tensors: Map<string, Float32Array>, b: number, p: LlamaProjection) {
  const n = projectionShape(cfg, p)[1];
  const H = new Float64Array(n * n), C = new Float64Array(n * n);
  const capture = async (model: Awaited<ReturnType<typeof loadLlama>>, w: number[]) => {
    const X = await llamaEmbed(la, model, w);
    let got: Float64Array | null = null;
    try {
      for (let k = 0; k < b; k++) await llamaBlock(la, cfg, model.blocks[k], X);
      await llamaBlock(la, cfg, model.blocks[b], X, { stopAfter: p, onLinearInput: async (q, input) => { if (q === p) got = Float64Array.from(await la.read(input)); } });
    } finally {
      X.free();
    }
    return got!;
  };
  const pruned = await loadLlama(la, cfg, overlaySource(source, tensors)), dense = await loadLlama(la, cfg, source);
  try {
    for (const w of calib) {
      const xp = await capture(pruned, w), xd = await capture(dense, w), T = w.length;
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < n; i++) {
          const a = xp[t * n + i];
          if (a === 0) continue;
          for (let j = 0; j < n; j++) {
            H[i * n + j] += a * xp[t * n + j];
            C[i * n + j] += a * xd[t * n + j];
          }
        }
      }
    }
  } finally {
    pruned.free();
    dense.free();
  }
  return { H, C, n };
}

/** Σ_rows ‖X_d w − X_p ŵ‖² up to the constant Σ ‖X_d w‖²: ŵᵀHŵ − 2 ŵᵀC w, float64. */
function denseOutputError(W: ArrayLike<number>, What: ArrayLike<number>, rows: number, pair: { H: Float64Array; C: Float64Array; n: number }): number {
  const { H, C, n } = pair;
  let f = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) {
      const a = What[r * n + i];
      if (a === 0) continue;
      let hw = 0, cw = 0;
      for (let j = 0; j < n; j++) {
        hw += H[i * n + j] * What[r * n + j];
        cw += C[i * n + j] * W[r * n + j];
      }
      f += a * (hw - 2 * cw);
    }
  }
  return f;
}

describe("pruneLlama: target 'dense'", () => {
  // Block 0's q/k/v see the embedding in both models, so their target is W and they match 'self'.
  it("block 0's q/k/v are those of target 'self' to the bit; every later layer differs", async () => {
    const dense = await runs50.sparsegpt(), self = await selfRun();
    const all = names(cfg);
    for (let k = 0; k < all.length; k++) {
      const a = dense.tensors.get(all[k])!, b = self.tensors.get(all[k])!;
      if (k < 3) expect(a, all[k]).toEqual(b);
      else expect(a, all[k]).not.toEqual(b);
    }
  });

  // On the model the 'dense' run made upstream, its layer reproduces the dense model's outputs
  // better than pruning the same layer for its own weight (target 'self' on the same inputs) does.
  for (const [b, p] of [[0, 'o_proj'], [1, 'q_proj'], [1, 'down_proj']] as const) {
    it(`block ${b} ${p}: a lower dense-output error ‖X_d Wᵀ − X_p Ŵᵀ‖² than target 'self' on the same inputs`, async () => {
      const r = await runs50.sparsegpt();
      const all = names(cfg), here = all.indexOf(llamaTensorName(b, p));
      const upstream = new Map([...r.tensors].filter(([n]) => {
        const i = all.indexOf(n), grp = (k: number) => GROUPS.findIndex((G) => G.includes(LLAMA_PROJECTIONS[k % 7]));
        return Math.floor(i / 7) < b || (Math.floor(i / 7) === b && grp(i) < grp(here));
      }));
      const pair = await pairOn(upstream, b, p);
      const [rows, cols] = projectionShape(cfg, p);
      const name = llamaTensorName(b, p), w = await source.read(name);
      const W = la.fromArray(w, rows, cols);
      try {
        const Hm = la.fromArray(pair.H, cols, cols);
        const selfResult = await pruneLayer(la, W, Hm, { pruner: sparseGPT(), pattern: '0.5' });
        const mine = denseOutputError(w, r.tensors.get(name)!, rows, pair);
        const theirs = denseOutputError(w, await la.read(selfResult.weight), rows, pair);
        selfResult.weight.free();
        selfResult.mask.free();
        Hm.free();
        expect(mine, `dense ${mine}, self ${theirs}`).toBeLessThan(theirs); // the same constant left out of both
      } finally {
        W.free();
      }
    }, 60_000);
  }

  it("perplexity at 70%: SparseGPT with target 'dense' well below 'self'", async () => {
    const dense = await run('sparsegpt 0.7', () => ({ pruner: sparseGPT(), pattern: '0.7' }));
    const self = await run('sparsegpt 0.7 self', () => ({ pruner: sparseGPT(), pattern: '0.7', target: 'self' }));
    const pd = await perplexity(overlaySource(source, dense.tensors)), ps = await perplexity(overlaySource(source, self.tensors));
    expect(pd, `dense ${pd}, self ${ps}`).toBeLessThan(0.9 * ps);
  }, 120_000);

  it("magnitude prunes W itself: the same tensors under either target; a bad target is named", async () => {
    const a = await run('magnitude 0.5', () => ({ pruner: magnitude(), pattern: '0.5' }));
    const b = await run('magnitude 0.5 self', () => ({ pruner: magnitude(), pattern: '0.5', target: 'self' }));
    for (const [name, t] of a.tensors) expect(t, name).toEqual(b.tensors.get(name));
    await expect(pruneLlama(la, cfg, source, { pruner: sparseGPT(), pattern: '0.5', calibration: calib, target: 'outputs' as never })).rejects.toThrow(/pruneLlama: argument options\.target must be 'dense' or 'self'; got "outputs"/);
  });
});

/** Zeros of a tensor and, per row and group of m, how many. */
function zeros(W: Float32Array, rows: number, cols: number, m = cols) {
  let total = 0, leastPerGroup = m;
  const perRow: number[] = [];
  for (let r = 0; r < rows; r++) {
    let row = 0;
    for (let g = 0; g < cols; g += m) {
      let z = 0;
      for (let j = g; j < g + m; j++) if (W[r * cols + j] === 0) z++;
      leastPerGroup = Math.min(leastPerGroup, z);
      row += z;
    }
    perRow.push(row);
    total += row;
  }
  return { total, perRow, leastPerGroup };
}

describe('pruneLlama: patterns and which tensors are replaced', () => {
  it("50% unstructured: ⌊rows·cols/2⌋ zeros per layer (not per row); magnitude keeps each layer's largest weights unchanged", async () => {
    const m = await runs50.magnitude(), s = await runs50.sparsegpt();
    expect([...m.tensors.keys()].sort()).toEqual(names(cfg).sort());
    let unevenRows = 0;
    for (const name of names(cfg)) {
      const p = LLAMA_PROJECTIONS.find((q) => name.includes(`.${q}.`))!;
      const [rows, cols] = projectionShape(cfg, p);
      const dense = await source.read(name);
      for (const r of [m, s]) {
        const W = r.tensors.get(name)!;
        expect(W.length).toBe(rows * cols);
        const z = zeros(W, rows, cols);
        expect(z.total, name).toBe(Math.floor(rows * cols / 2));
        if (new Set(z.perRow).size > 1) unevenRows++;
        expect(r.layers.find((l) => name.includes(l.name))!.sparsity).toBe(0.5);
      }
      // Magnitude: every kept weight is the dense one, and no pruned weight is larger than a kept one.
      const W = m.tensors.get(name)!;
      let smallestKept = Infinity, largestPruned = 0;
      for (let i = 0; i < W.length; i++) {
        if (W[i] === 0) largestPruned = Math.max(largestPruned, Math.abs(dense[i]));
        else {
          expect(W[i]).toBe(dense[i]);
          smallestKept = Math.min(smallestKept, Math.abs(dense[i]));
        }
      }
      expect(largestPruned, name).toBeLessThanOrEqual(smallestKept);
    }
    // A layer-wide threshold: rows do not all lose the same count.
    expect(unevenRows).toBeGreaterThan(20);
  });

  it('2:4: at least two zeros in every group of four of every row, exactly half of each layer; magnitude drops the two smallest', async () => {
    const m = await runs24.magnitude(), s = await runs24.sparsegpt();
    for (const name of names(cfg)) {
      const p = LLAMA_PROJECTIONS.find((q) => name.includes(`.${q}.`))!;
      const [rows, cols] = projectionShape(cfg, p);
      for (const r of [m, s]) {
        const z = zeros(r.tensors.get(name)!, rows, cols, 4);
        expect(z.leastPerGroup, name).toBe(2);
        expect(z.total, name).toBe(rows * cols / 2);
        expect(r.layers.find((l) => name.includes(l.name))!.pattern).toBe('2:4');
      }
      const W = m.tensors.get(name)!, dense = await source.read(name);
      for (let g = 0; g < W.length; g += 4) {
        const kept = [0, 1, 2, 3].filter((j) => W[g + j] !== 0).map((j) => Math.abs(dense[g + j]));
        const dropped = [0, 1, 2, 3].filter((j) => W[g + j] === 0).map((j) => Math.abs(dense[g + j]));
        expect(Math.max(...dropped)).toBeLessThanOrEqual(Math.min(...kept));
      }
    }
  });

  it('the overlay of the result replaces the projections and nothing else (norms, embedding read from the checkpoint)', async () => {
    const r = await runs50.sparsegpt();
    const pruned = overlaySource(source, r.tensors);
    expect(pruned.names).toEqual(source.names);
    for (const name of source.names) {
      const a = await pruned.read(name), b = await source.read(name);
      if (r.tensors.has(name)) expect(a).not.toEqual(b);
      else expect(a).toEqual(b);
    }
    // This tied checkpoint stores its embedding once, as lm_head.weight.
    expect(source.names.filter((n) => !r.tensors.has(n)).sort()).toEqual([
      'lm_head.weight', 'model.layers.0.input_layernorm.weight', 'model.layers.0.post_attention_layernorm.weight',
      'model.layers.1.input_layernorm.weight', 'model.layers.1.post_attention_layernorm.weight', 'model.norm.weight',
    ]);
  });

  it('options.projections restricts what is pruned; reports and onLayer follow it', async () => {
    const seen: string[] = [];
    const before = la.liveBytes();
    const r = await pruneLlama(la, cfg, source, { pruner: magnitude(), pattern: '0.5', calibration: calib.slice(0, 2), projections: ['down_proj', 'q_proj'], onLayer: (l) => seen.push(l.name) });
    expect(la.liveBytes()).toBe(before);
    expect([...r.tensors.keys()]).toEqual(['model.layers.0.self_attn.q_proj.weight', 'model.layers.0.mlp.down_proj.weight', 'model.layers.1.self_attn.q_proj.weight', 'model.layers.1.mlp.down_proj.weight']);
    expect(r.layers.map((l) => l.name)).toEqual(['layers.0.self_attn.q_proj', 'layers.0.mlp.down_proj', 'layers.1.self_attn.q_proj', 'layers.1.mlp.down_proj']);
    expect(seen).toEqual(r.layers.map((l) => l.name));
    // The same layers as in the full magnitude run (magnitude does not depend on H).
    const full = await runs50.magnitude();
    for (const [name, W] of r.tensors) expect(W).toEqual(full.tensors.get(name));
  });

  it("an N:M pattern keeps layers whose inputs are not a multiple of M dense, saying why", async () => {
    const r = await pruneLlama(la, cfg, source, { pruner: magnitude(), pattern: '1:3', calibration: calib.slice(0, 2) });
    // Only down_proj has 384 inputs (a multiple of 3); the others have 128.
    expect([...r.tensors.keys()]).toEqual(['model.layers.0.mlp.down_proj.weight', 'model.layers.1.mlp.down_proj.weight']);
    const q = r.layers[0];
    expect(q).toMatchObject({ name: 'layers.0.self_attn.q_proj', pattern: null, sparsity: 0, dense: '128 inputs, not a multiple of M = 3 (1:3)' });
    expect(r.layers[6]).toMatchObject({ name: 'layers.0.mlp.down_proj', pattern: '1:3' });
    expect(r.layers[6].sparsity).toBeCloseTo(2 / 3, 12);
  });
});

describe('pruneLlama: I-OBS passes', () => {
  const two = (o: Parameters<typeof iobs>[0], pattern = '2:4') => run(`iobs passes 2 ${pattern} ${JSON.stringify(o)}`, () => ({ pruner: iobs(o), pattern, passes: 2, validation }));

  it('both passes are reported with finite validation losses; the pass kept has the least loss and its tensors are returned', async () => {
    const r = await two({ iterations: 1, exchange: false });
    expect(r.passes.map((p) => p.pass)).toEqual([1, 2]);
    for (const p of r.passes) {
      expect(Number.isFinite(p.validationLoss)).toBe(true);
      expect(p.layers.length).toBe(14);
      expect(p.layers.every((l) => l.pass === p.pass)).toBe(true);
    }
    const losses = r.passes.map((p) => p.validationLoss);
    expect(losses[0]).not.toBe(losses[1]);
    expect(r.chosenPass).toBe(losses.indexOf(Math.min(...losses)) + 1);
    expect(r.layers).toBe(r.passes[r.chosenPass - 1].layers);
    // The returned tensors score the chosen pass's validation loss exactly.
    const model = await loadLlama(la, cfg, overlaySource(source, r.tensors));
    try {
      const v = await llamaPerplexity(la, model, validation);
      expect(v.nll / v.count).toBe(r.passes[r.chosenPass - 1].validationLoss);
    } finally {
      model.free();
    }
  });

  // (These run the paper's iteration alone, exchange: false: with the exchange search every layer
  // converges to a fixed point of the search, and pass 2 repeats pass 1.)
  // Block 0's q/k/v see the embedding in both passes, so the same H. Pass 2 of iobs({ iterations: 1 })
  // starts from pass 1's result, so it is one I-OBS of two iterations on that H; a pass 2 restarted
  // from SparseGPT would repeat pass 1 exactly. (At 50% these layers converge in one iteration, the
  // reselected mask repeats, and both readings agree; at 2:4, q_proj's second iteration still gains
  // about 1.6e-4 relative.)
  it('pass 2 starts from pass 1: on block 0’s q/k/v (same H) pass 1 is I-OBS with 1 iteration, pass 2 with 2', async () => {
    const r = await two({ iterations: 1, exchange: false });
    const gained: string[] = [];
    for (const [i, p] of (['q_proj', 'k_proj', 'v_proj'] as const).entries()) {
      const H = await hessianOn(new Map(), 0, p);
      const [rows, cols] = projectionShape(cfg, p);
      const W = la.fromArray(await source.read(llamaTensorName(0, p)), rows, cols);
      try {
        const one = await pruneLayer(la, W, H, { pruner: iobs({ iterations: 1, exchange: false }), pattern: '2:4' });
        const two = await pruneLayer(la, W, H, { pruner: iobs({ iterations: 2, exchange: false }), pattern: '2:4' });
        for (const x of [one, two]) { x.weight.free(); x.mask.free(); }
        expect(r.passes[0].layers[i].relError, p).toBeCloseTo(one.relError, 9);
        expect(r.passes[1].layers[i].relError, p).toBeCloseTo(two.relError, 9);
        if (two.relError < one.relError * (1 - 1e-5)) gained.push(p);
      } finally {
        W.free();
        H.free();
      }
    }
    // Otherwise the check could not tell a continued pass from a restarted one.
    expect(gained.length).toBeGreaterThan(0);
  });

  // With no iteration and no re-solve, I-OBS returns its start: pass 2 returns pass 1's weights
  // for every layer, so every H, error and the validation loss repeat; the tie keeps pass 1.
  it('iterations: 0, resolveStart: false: pass 2 repeats pass 1 exactly and the tie keeps pass 1', async () => {
    const r = await two({ iterations: 0, resolveStart: false, exchange: false }, '0.5');
    const [p1, p2] = r.passes;
    expect(p2.layers.map((l) => l.relError)).toEqual(p1.layers.map((l) => l.relError));
    expect(p2.validationLoss).toBe(p1.validationLoss);
    expect(r.chosenPass).toBe(1);
    const once = await runs50.sparsegpt();
    // Such an I-OBS is its SparseGPT start.
    for (const [name, W] of r.tensors) expect(W, name).toEqual(once.tensors.get(name));
  });

  it('passes > 1 without iobs() or without validation are errors naming the option', async () => {
    await expect(pruneLlama(la, cfg, source, { pruner: sparseGPT(), pattern: '0.5', calibration: calib, passes: 2, validation })).rejects.toThrow(/pruneLlama: argument options\.passes must be 1 for sparsegpt/);
    await expect(pruneLlama(la, cfg, source, { pruner: iobs(), pattern: '0.5', calibration: calib, passes: 2 })).rejects.toThrow(/pruneLlama: argument options\.validation must be/);
  });
});

describe('pruneLlama: bad input and failures midway', () => {
  /** The checkpoint, with read() throwing on the n-th call. */
  function failing(n: number): TensorSource & { calls: number } {
    const s = { calls: 0, names: source.names, info: (name: string) => source.info(name), close: async () => {},
      read: async (name: string) => {
        if (++s.calls === n) throw new Error(`read ${n} failed (${name})`);
        return source.read(name);
      } };
    return s;
  }

  const ok = (): LlamaPruneOptions => ({ pruner: sparseGPT(), pattern: '0.5', calibration: calib.slice(0, 4) });
  const long = new Array(513).fill(5);
  const cases: [string, () => unknown, RegExp][] = [
    ['options', () => null, /argument options must be an object/],
    ['options.pruner', () => ({ ...ok(), pruner: { method: 'sparsegpt' } }), /argument options\.pruner must be a Pruner/],
    ['options.pattern', () => ({ ...ok(), pattern: 'half' }), /argument options\.pattern must be a pattern/],
    ['options.pattern.n', () => ({ ...ok(), pattern: { kind: 'nm', n: 5, m: 4 } }), /argument options\.pattern\.n must be an integer in \[1, 4\]/],
    ['options.calibration', () => ({ ...ok(), calibration: [] }), /argument options\.calibration must be a non-empty array/],
    ['options.calibration[3] too long', () => ({ ...ok(), calibration: [...calib.slice(0, 3), long] }), /argument options\.calibration\[3\] must be at most max_position_embeddings = 512; got "513 tokens"/],
    ['options.calibration[1] empty', () => ({ ...ok(), calibration: [calib[0], []] }), /argument options\.calibration\[1\] must be a non-empty array/],
    ['options.calibration[2][5] out of the vocabulary', () => ({ ...ok(), calibration: [calib[0], calib[1], [1, 2, 3, 4, 5, 2048]] }), /argument options\.calibration\[2\]\[5\] must be a token id in \[0, 2048\); got 2048/],
    ['options.calibration[0][1] not an integer', () => ({ ...ok(), calibration: [[1, 2.5, 3]] }), /argument options\.calibration\[0\]\[1\] must be a token id/],
    ['options.validation[1][0] negative', () => ({ ...ok(), validation: [[1, 2], [-1, 2]] }), /argument options\.validation\[1\]\[0\] must be a token id/],
    ['options.passes', () => ({ ...ok(), passes: 0 }), /argument options\.passes must be an integer in \[1, 100\]/],
    ['options.passes for sparseGPT', () => ({ ...ok(), passes: 2, validation }), /argument options\.passes must be 1 for sparsegpt/],
    ['options.validation', () => ({ ...ok(), pruner: iobs(), passes: 3 }), /argument options\.validation must be stories held apart/],
    ['options.projections unknown', () => ({ ...ok(), projections: ['q_proj', 'qkv_proj'] }), /argument options\.projections must be one of q_proj, .*; got "qkv_proj"/],
    ['options.projections not a list', () => ({ ...ok(), projections: 'q_proj' }), /argument options\.projections must be a non-empty array/],
    ['options.projections empty', () => ({ ...ok(), projections: [] }), /argument options\.projections must be a non-empty array/],
    ['options.onLayer', () => ({ ...ok(), onLayer: 'print' }), /argument options\.onLayer must be a function/],
    ['an unknown option', () => ({ ...ok(), pases: 2 }), /argument options\.pases must be a known option .*did you mean 'passes'/i],
    ['a pattern the pruner refuses', () => ({ ...ok(), pruner: sparseGPT({ blockSize: 6 }), pattern: '2:4' }), /sparseGPT: argument options\.blockSize must be a multiple of m = 4/],
  ];
  for (const [what, options, message] of cases) {
    it(`${what}: an error naming it, nothing allocated`, async () => {
      const before = la.liveBytes();
      const src = failing(0);
      await expect(pruneLlama(la, cfg, src, options() as LlamaPruneOptions)).rejects.toThrow(message);
      expect(la.liveBytes()).toBe(before);
      // Refused before any work: not a tensor read.
      expect(src.calls).toBe(0);
    });
  }

  // A pass reads the embedding and 2 x 9 block tensors while pruning, then to score block by block
  // the embedding, the 4 block norms, the final norm and the head (the embedding again: tied; the
  // pruned projections come from the pass's store): 26 a pass.
  for (const n of [1, 5, 12, 21, 24, 26, 30, 48, 52]) {
    it(`a source whose read throws on call ${n} of 52 (two passes): the error comes through and everything is freed`, async () => {
      const before = la.liveBytes();
      const src = failing(n);
      await expect(pruneLlama(la, cfg, src, { ...ok(), pruner: iobs({ iterations: 0 }), passes: 2, validation: validation.slice(0, 2) })).rejects.toThrow(`read ${n} failed`);
      expect(src.calls).toBe(n);
      expect(la.liveBytes()).toBe(before);
    });
  }

  it('an onLayer callback that throws on the 17th layer (block 0’s v_proj in pass 2): everything is freed', async () => {
    const before = la.liveBytes();
    let n = 0;
    const options = { ...ok(), pruner: iobs({ iterations: 0 }), passes: 2, validation: validation.slice(0, 2), onLayer: () => { if (++n === 17) throw new Error('callback failed'); } };
    await expect(pruneLlama(la, cfg, source, options)).rejects.toThrow('callback failed');
    expect(n).toBe(17);
    expect(la.liveBytes()).toBe(before);
  });

  it('a whole two-pass run reads 52 tensors and frees all it allocated', async () => {
    const before = la.liveBytes();
    const src = failing(0);
    const r = await pruneLlama(la, cfg, src, { ...ok(), pruner: iobs({ iterations: 0 }), passes: 2, validation: validation.slice(0, 2) });
    expect(src.calls).toBe(52);
    expect(la.liveBytes()).toBe(before);
    expect(r.peakBackendBytes).toBeGreaterThan(before);
  });
});

describe('pruneLlama: device neutrality', () => {
  // The strict backend refuses every synchronous host access; the only reads are each pruned
  // weight and mask (the sync points) and the small counts the layer checks read.
  it('runs on the strict backend, agreeing with the Wasm backend; no read is larger than a layer', async () => {
    const strict = new StrictBackend(new ReferenceBackend());
    const ls = new Linalg(strict);
    const options = { pruner: sparseGPT(), pattern: '2:4', calibration: calib.slice(0, 4) };
    strict.resetReads();
    const a = await pruneLlama(ls, cfg, source, options);
    const reads = strict.reads();
    expect(ls.liveBytes()).toBe(0);
    const b = await pruneLlama(la, cfg, source, options);
    // Measured within 4e-7 relative. (With fewer tokens than a layer's inputs, e.g. 2 x 24, H is
    // singular, the damping decides, and 2:4 choices flip with rounding: 20% apart on later layers.)
    for (let i = 0; i < 14; i++) expect(Math.abs(a.layers[i].relError / b.layers[i].relError - 1), a.layers[i].name).toBeLessThan(1e-5);
    expect(reads.largest).toBe(cfg.intermediateSize * cfg.hiddenSize);
    // A weight and a mask per layer, plus the layers' checks (counts, codes).
    expect(reads.sizes.filter((n) => n >= cfg.hiddenSize * cfg.hiddenSize / 2).length).toBe(28);
  });

  it('reports its peak backend memory within 10% below the most it held at once; a failing device read frees everything', async () => {
    // A reference backend that records the most bytes live after every allocation, and whose read
    // of a whole layer (weight or mask) can be made to fail.
    class Watched extends ReferenceBackend {
      most = 0;
      failAt = -1;
      layerReads = 0;
      override allocate(byteLength: number) {
        const s = super.allocate(byteLength);
        this.most = Math.max(this.most, this.liveBytes());
        return s;
      }
      override read(M: Parameters<ReferenceBackend['read']>[0]) {
        if (M.rows * M.cols >= cfg.hiddenSize * cfg.hiddenSize && ++this.layerReads === this.failAt) throw new Error('device lost');
        return super.read(M);
      }
    }
    const be = new Watched();
    const lw = new Linalg(be);
    const options = { pruner: sparseGPT(), pattern: '0.5', calibration: calib.slice(0, 2) };
    const r = await pruneLlama(lw, cfg, source, options);
    expect(lw.liveBytes()).toBe(0);
    // Sampled at every linear input and every progress report of the pruner: measured 96.5% of the
    // true peak (72% when sampled only between layers); the pruners' transient scratch is missed.
    expect(r.peakBackendBytes, `most held ${be.most}`).toBeLessThanOrEqual(be.most);
    expect(r.peakBackendBytes, `most held ${be.most}`).toBeGreaterThan(0.9 * be.most);
    // The 2nd layer-sized read is the first layer's mask, the 3rd the second layer's weight.
    for (const n of [1, 2, 3, 6]) {
      be.failAt = n;
      be.layerReads = 0;
      await expect(pruneLlama(lw, cfg, source, options)).rejects.toThrow('device lost');
      expect(lw.liveBytes(), `read ${n} failed`).toBe(0);
    }
  });
});
