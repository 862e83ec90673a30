// The Llama forward pass on the TinyStories checkpoint in shared/data: the per-block hook, host-free
// execution (the strict backend), errors, and the cross-check against an independent float64 numpy
// forward (test/llama_numpy.py) on real stories 500–509: per-window NLL sums within 1e-5 relative
// in float32 (1e-12 in float64) on every backend, and the perplexity within 1%.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../../src/init.js';
import { Linalg } from '../../../src/linalg/linalg.js';
import { ReferenceBackend } from '../../../src/backends/reference/backend.js';
import type { Matrix } from '../../../src/core/matrix.js';
import { parseLlamaConfig, type LlamaConfig } from '../../../src/models/llama/config.js';
import { llamaBlock, llamaEmbed, llamaNll } from '../../../src/models/llama/forward.js';
import { llamaPerplexity, splitStories } from '../../../src/models/llama/perplexity.js';
import { LlamaTokenizer } from '../../../src/models/llama/tokenizer.js';
import { freeLlamaBlock, loadLlama, loadLlamaBlock, type LlamaModel, type LlamaProjection } from '../../../src/models/llama/weights.js';
import type { TensorSource } from '../../../src/models/tensor-source.js';
import { StrictBackend } from '../../cases/strict-backend.js';
import { openSafetensorsFile } from '../../../src/io/safetensors-node.js';
import { NO_SHARED_DATA, SHARED_DATA, sharedData } from '../shared-data.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dist = new URL('../../../dist/', import.meta.url);
/** A Linalg on the named backend, the .wasm files from dist/ (built by scripts/build.mjs). */
const open = (backend = 'wasm-simd') => init({ backend, wasmPaths: dist });
const json = (path: string) => JSON.parse(readFileSync(sharedData(path), 'utf8'));

/** Stories 500–509 of the validation text, encoded from BOS without the Prepend normaliser. */
function windows(seqlen: number): number[][] {
  const tok = new LlamaTokenizer(json('tinystories-llama/tokenizer.json'), json('tinystories-llama/tokenizer_config.json'), { prepend: false });
  const stories = splitStories(readFileSync(sharedData('text/tinystories-valid.txt'), 'utf8'));
  return stories.slice(500, 510).map((s) => tok.encodeStory(s).slice(0, seqlen));
}

describe.skipIf(!SHARED_DATA)(`Llama forward pass on tinystories-llama${NO_SHARED_DATA}`, () => {
  let cfg: LlamaConfig;
  let source: TensorSource;
  beforeAll(async () => {
    cfg = parseLlamaConfig(json('tinystories-llama/config.json'));
    source = await openSafetensorsFile(sharedData('tinystories-llama/model.safetensors'));
  });
  afterAll(async () => {
    await source?.close();
  });

  it('llamaBlock calls onLinearInput before each of the seven projections with its input, and frees its temporaries', async () => {
    const la = await open();
    const w = await loadLlamaBlock(la, cfg, source, 1);
    const model = await loadLlama(la, cfg, source);
    const X0 = await llamaEmbed(la, model, [1, 80, 1030, 1063, 677, 1169, 237]);
    const seen: [LlamaProjection, number, number][] = [];
    const inputs: Partial<Record<LlamaProjection, Matrix>> = {};
    const before = la.liveBytes();
    await llamaBlock(la, cfg, w, X0, {
      onLinearInput: async (proj, M) => {
        seen.push([proj, M.rows, M.cols]);
        inputs[proj] = M;
        // The input is readable here; q/k/v share one matrix, gate/up another.
        expect((await la.read(M)).length).toBe(M.rows * M.cols);
      },
    });
    expect(la.liveBytes()).toBe(before);
    expect(seen).toEqual([
      ['q_proj', 7, 128], ['k_proj', 7, 128], ['v_proj', 7, 128], ['o_proj', 7, 128],
      ['gate_proj', 7, 128], ['up_proj', 7, 128], ['down_proj', 7, 384],
    ]);
    expect(inputs.k_proj).toBe(inputs.q_proj);
    expect(inputs.up_proj).toBe(inputs.gate_proj);
    X0.free();
    freeLlamaBlock(w);
    model.free();
    expect(la.liveBytes()).toBe(0);
  });

  it('llamaNll runs host-free (strict backend) and agrees with the Wasm backend; errors name the token', async () => {
    const strict = new StrictBackend(new ReferenceBackend());
    const ls = new Linalg(strict);
    const la = await open();
    const ids = windows(48)[0];
    const ms = await loadLlama(ls, cfg, source), mw = await loadLlama(la, cfg, source);
    strict.resetReads();
    const a = await llamaNll(ls, ms, ids);
    // No read() at all: the sum comes back from crossEntropy, a value-returning kernel (as gather's range check).
    expect(strict.reads().calls).toBe(0);
    const b = await llamaNll(la, mw, ids);
    expect(a.count).toBe(47);
    expect(Math.abs(a.nll - b.nll) / b.nll).toBeLessThan(1e-5);
    await expect(llamaNll(la, mw, [1, 5, 2048])).rejects.toThrow(/llamaNll: argument tokenIds\[2\] must be a token id in \[0, 2048\); got 2048/);
    await expect(llamaNll(la, mw, new Array(513).fill(1))).rejects.toThrow(/at most max_position_embeddings = 512 tokens/);
    expect(await llamaNll(la, mw, [1])).toEqual({ nll: 0, count: 0 });
    ms.free();
    mw.free();
    expect(ls.liveBytes()).toBe(0);
    expect(la.liveBytes()).toBe(0);
  });

  describe('against an independent float64 numpy forward', () => {
    const ws = SHARED_DATA ? windows(512) : [];
    let numpy: { nll: number[]; count: number[] } | null = null;
    let why = '';
    beforeAll(() => {
      const run = spawnSync('python3', [`${root}test/llama_numpy.py`, sharedData('tinystories-llama')], {
        input: JSON.stringify({ windows: ws }), encoding: 'utf8', maxBuffer: 1 << 24,
        // One BLAS thread: the machines running the tests are shared.
        env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
      });
      if (run.status === 0) numpy = JSON.parse(run.stdout);
      else why = run.error ? String(run.error) : run.stderr.split('\n').filter(Boolean).slice(-1)[0] ?? `exit ${run.status}`;
      if (numpy === null && (process.env.CI || !/No module named 'numpy'|ENOENT/.test(why))) throw new Error(`the numpy forward failed: ${why}`);
    }, 120_000);

    // Measured: float32 within 8e-8 of numpy per window, float64 within 8e-16.
    const runs = [['wasm-relaxed', 'float32', 1e-5], ['wasm-simd', 'float32', 1e-5], ['wasm-simd', 'float64', 1e-12], ['reference', 'float32', 1e-5]] as const;
    for (const [backend, dtype, tol] of runs) {
      it(`${backend} ${dtype}: per-window NLL sums within ${tol} relative, perplexity within 1%`, async (ctx) => {
        if (numpy === null) ctx.skip(`python3 with numpy is not available (${why})`);
        const np = numpy!;
        const la = await open(backend);
        expect(la.backendName).toBe(backend);
        const model: LlamaModel = await loadLlama(la, cfg, source, { dtype });
        try {
          const got: number[] = [];
          const r = await llamaPerplexity(la, model, ws, { onWindow: (_i, nll) => got.push(nll) });
          const rel = got.map((v, i) => Math.abs(v - np.nll[i]) / np.nll[i]);
          expect(Math.max(...rel), `relative errors ${rel.map((e) => e.toExponential(2)).join(', ')}`).toBeLessThan(tol);
          expect(r.count).toBe(np.count.reduce((a, b) => a + b, 0));
          const want = Math.exp(np.nll.reduce((a, b) => a + b, 0) / r.count);
          expect(Math.abs(r.perplexity - want) / want).toBeLessThan(0.01);
        } finally {
          model.free();
        }
        expect(la.liveBytes()).toBe(0);
      });
    }
  });
});
