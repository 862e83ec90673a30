// The device-neutral cases on the webgpu backend (Dawn through the `webgpu` package). With no GPU
// here it runs on SwiftShader: scripts/test.mjs points VK_ICD_FILENAMES at Debian chromium's
// SwiftShader ICD when it is installed and the variable is unset. With IOBS_REQUIRE_WEBGPU=1 (CI)
// a missing adapter fails the suite; otherwise the cases are skipped with the reason.
// IOBS_CASES=kernels (or algorithms) runs only that part of the list.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { iobs, lastJson } from './helpers/cli.js';
import { NO_SHARED_DATA, SHARED_DATA, sharedData } from './shared-data.js';
import * as lib from '../../dist/index.js';
import { algorithmCases, allCases, casesFor, float64MatrixCases, kernelCases, runCase } from '../cases/index.js';

const pick = process.env.IOBS_CASES ?? 'all';
const cases = casesFor(pick === 'kernels' ? kernelCases() : pick === 'algorithms' ? algorithmCases() : allCases(), 'strict');
const required = process.env.IOBS_REQUIRE_WEBGPU === '1';

let backend: lib.KernelBackend | null = null;
let why = '';
try {
  backend = (await lib.defaultRegistry().resolve(['webgpu'], () => {}, { fallback: false })).backend;
} catch (err) {
  why = err instanceof Error ? err.message : String(err);
}

afterAll(() => backend?.dispose());

describe('webgpu backend', () => {
  if (required || backend !== null) {
    it('has an adapter', () => {
      expect(why, 'IOBS_REQUIRE_WEBGPU=1 and the webgpu backend did not start').toBe('');
      expect(backend!.name).toBe('webgpu');
    });
  } else it.skip(`no WebGPU adapter (${why})`, () => {});
});

if (backend) {
  const la = new lib.Linalg(backend);
  const ref = await lib.init({ backend: 'reference' });
  describe('webgpu', () => {
    const ctx = { lib: lib as never, la: la as never, ref: ref as never, strict: null };
    for (const c of cases) it(c.name, () => runCase(c, ctx));
    it('iobs prune-layer --backend webgpu reproduces the Wasm backend (relative error within 1%, masks 99.9% equal)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'iobs-webgpu-'));
      try {
        // A 40 x 96 layer with correlated inputs (600 samples), pruned from its inputs.
        let seed = 12345;
        const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
        const R = 40, C = 96, N = 600;
        const W = Float32Array.from({ length: R * C }, next);
        const Z = Float32Array.from({ length: N * C }, next);
        const X = new Float32Array(N * C);
        for (let n = 0; n < N; n++) for (let j = 0; j < C; j++) X[n * C + j] = Z[n * C + j] + 0.7 * Z[n * C + (j + 1) % C];
        writeFileSync(join(dir, 'W.npy'), lib.formatNpy(W, [R, C]));
        writeFileSync(join(dir, 'X.npy'), lib.formatNpy(X, [N, C]));
        for (const method of ['sparsegpt', 'iobs']) {
          const got: Record<string, { relError: number; w: Float32Array }> = {};
          for (const b of ['wasm-simd', 'webgpu']) {
            const out = join(dir, `${method}-${b}.npy`);
            const r = iobs(dir, ['prune-layer', '--weight', 'W.npy', '--inputs', 'X.npy', '--method', method, '--sparsity', '0.5', '--out', out, '--json', '--backend', b]);
            expect(r.code, r.stderr).toBe(0);
            expect(r.stderr).toContain(`backend ${b}`);
            got[b] = { relError: lastJson<{ relError: number }>(r.stdout).relError, w: lib.parseNpy(new Uint8Array(readFileSync(out))).data as Float32Array };
          }
          const a = got['wasm-simd'], g = got.webgpu;
          expect(Math.abs(g.relError - a.relError) / a.relError, method).toBeLessThanOrEqual(0.01);
          let same = 0;
          for (let k = 0; k < a.w.length; k++) if ((a.w[k] === 0) === (g.w[k] === 0)) same++;
          expect(same / a.w.length, method).toBeGreaterThanOrEqual(0.999);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    it.skipIf(!SHARED_DATA)(`iobs prune --backend webgpu reproduces the Wasm backend on tinystories-llama (every layer's relative error within 1%, masks 99.9% equal, perplexity within 0.1%)${NO_SHARED_DATA}`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'iobs-webgpu-llama-'));
      try {
        // A small calibration and a short evaluation text, so that the emulated GPU (SwiftShader:
        // under 1 GFLOP/s) gets through the model in minutes. 8 windows of 128 tokens: more tokens
        // than any layer has inputs (384), so every H has full rank. With fewer (4 x 64 = 256 <
        // 384) down_proj's H is singular up to the damping, and its relative error moves by 1%
        // between any two float32 implementations (Wasm against the reference backend as well).
        const text = readFileSync(sharedData('text/tinystories-valid.txt'), 'utf8');
        writeFileSync(join(dir, 'calib.txt'), text.slice(0, 16000));
        writeFileSync(join(dir, 'eval.txt'), text.slice(-3000));
        const got: Record<string, { summary: { layers: { name: string; relError: number }[]; metric: { value: number } }; weights: Map<string, Float32Array> }> = {};
        for (const b of ['wasm-simd', 'webgpu']) {
          const out = join(dir, b);
          const r = iobs(dir, ['prune', sharedData('tinystories-llama'), '--out', out, '--method', 'sparsegpt', '--sparsity', '0.5', '--calib', 'calib.txt',
            '--samples', '8', '--seqlen', '128', '--no-prefix-space', '--eval', 'eval.txt', '--json', '--backend', b], 600_000);
          expect(r.code, r.stderr).toBe(0);
          expect(r.stderr).toContain(`backend ${b}`);
          got[b] = { summary: lastJson(r.stdout), weights: safetensorsMatrices(readFileSync(join(out, 'model.safetensors'))) };
        }
        const a = got['wasm-simd'], g = got.webgpu;
        expect(g.summary.layers.map((l) => l.name)).toEqual(a.summary.layers.map((l) => l.name));
        a.summary.layers.forEach((l, i) => expect(Math.abs(g.summary.layers[i].relError - l.relError) / l.relError, l.name).toBeLessThanOrEqual(0.01));
        expect(Math.abs(g.summary.metric.value - a.summary.metric.value) / a.summary.metric.value).toBeLessThanOrEqual(0.001);
        expect([...a.weights.keys()].filter((k) => k.includes('proj')).length).toBe(14);
        for (const [name, wa] of a.weights) {
          const wg = g.weights.get(name)!;
          let same = 0;
          for (let k = 0; k < wa.length; k++) if ((wa[k] === 0) === (wg[k] === 0)) same++;
          expect(same / wa.length, name).toBeGreaterThanOrEqual(0.999);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 1_200_000);
    it('a device lost midway through pruneLlama: the run goes on with the host Wasm backend, every layer pruned before kept', async () => {
      // A backend of its own (destroyed here); the demo checkpoint on 2 windows of 32 tokens. The
      // device is destroyed after the first layer (destroy() outside dispose() is a loss to it).
      const own = (await lib.defaultRegistry().resolve(['webgpu'], () => {}, { fallback: false })).backend as lib.KernelBackend & { device: GPUDevice };
      const demo = (p: string) => new URL(`../../demo/${p}`, import.meta.url);
      const json = (p: string) => JSON.parse(readFileSync(demo(p), 'utf8'));
      const cfg = lib.parseLlamaConfig(json('models/tinystories-llama/config.json'));
      const tok = new lib.LlamaTokenizer(json('models/tinystories-llama/tokenizer.json'), json('models/tinystories-llama/tokenizer_config.json'), { prepend: false });
      const stories = lib.splitStories(readFileSync(demo('data/tinystories-calib.txt'), 'utf8')).map((t) => tok.encodeStory(t));
      const windows = lib.calibrationWindows(stories, 2, 32).windows;
      const source = await lib.openSafetensors(lib.bytesSource(new Uint8Array(readFileSync(demo('models/tinystories-llama/model.safetensors')))), 'model.safetensors');
      const gpu = new lib.Linalg(own);
      const warnings: string[] = [];
      const given: string[] = [];
      let first: Float32Array | null = null;
      try {
        const r = await lib.pruneLlama(gpu, cfg, source, {
          pruner: lib.sparseGPT(), pattern: '0.5', calibration: windows, warn: (m) => warnings.push(m),
          onTensor: (name, values) => { given.push(name); first ??= values.slice(); },
          onLayer: () => { if (given.length === 1) own.device.destroy(); },
        });
        expect(warnings.length, warnings.join('\n')).toBe(1);
        expect(warnings[0], warnings[0]).toMatch(/^iobs: the GPU device was lost \(destroyed: .*\); going on with wasm-(relaxed|simd): pass 1 is run again there, reusing the 1 layer already pruned$/);
        expect(r.backend).toMatch(/^wasm-/);
        expect(given.length).toBe(14);
        expect(new Set(given).size).toBe(14);
        expect(r.layers.length).toBe(14);
        // The first layer is the one the GPU pruned: half of each row's weights are zero.
        let zeros = 0;
        for (const v of first!) if (v === 0) zeros++;
        expect(zeros / first!.length).toBeCloseTo(0.5, 2);
        expect((await gpu.recover())!.la.liveBytes()).toBe(0);
      } finally {
        await source.close();
        gpu.dispose();
      }
    }, 600_000);
    it('ran every kernel that has WGSL on the GPU (float32)', () => {
      if (pick !== 'all') return; // each part alone leaves some kernels uncalled
      const be = backend as unknown as { calls(): { gpu: Record<string, number> }; gpuKernels: readonly string[] };
      expect(be.gpuKernels).toContain('sparsegptBlock');
      for (const k of be.gpuKernels) expect(be.calls().gpu[k] ?? 0, k).toBeGreaterThan(0);
    });
  });
}

// The float64 matrix kernels in WGSL (emulated float64): a software adapter keeps them on the host
// by default, so they run here once more on a backend told to take them on the GPU.
const F64_KERNELS = ['gemm', 'syrk', 'potrf', 'potri', 'invchol', 'trsm', 'trsv', 'objective'];
if (backend && pick !== 'algorithms') {
  const f64 = (await lib.defaultRegistry({ float64MatrixKernels: 'gpu' }).resolve(['webgpu'], () => {}, { fallback: false })).backend;
  const la = new lib.Linalg(f64);
  const ref = await lib.init({ backend: 'reference' });
  afterAll(() => f64.dispose());
  describe('webgpu, float64 matrix kernels on the GPU', () => {
    const ctx = { lib: lib as never, la: la as never, ref: ref as never, strict: null };
    for (const c of float64MatrixCases(kernelCases(), 'medium')) it(c.name, () => runCase(c, ctx));
    it('ran them on the GPU, and the default backend (software adapter) ran them on the host', () => {
      const calls = (f64 as unknown as { calls(): { gpu: Record<string, number>; host: Record<string, number> } }).calls();
      for (const k of F64_KERNELS) expect(calls.gpu[k] ?? 0, k).toBeGreaterThan(0);
      for (const k of F64_KERNELS) expect(calls.host[k] ?? 0, k).toBe(0);
      const dflt = (backend as unknown as { calls(): { host: Record<string, number> } }).calls();
      if (pick === 'all') for (const k of F64_KERNELS) expect(dflt.host[k] ?? 0, k).toBeGreaterThan(0);
    });
  });
}

// gemm and syrk on matrices larger than one binding: a backend told that a binding spans at most
// 16 KiB splits every operand above that into tiles of windows (gemmSplit, mirrorSplit), so the
// cases of 17 and up take the split path, in float32 and (on the GPU) float64.
const SPLIT = /^(s|d)(gemm|syrk) /;
const SPLIT_SKIP = /100000|1030/;
if (backend && pick !== 'algorithms') {
  const small = (await lib.defaultRegistry({ float64MatrixKernels: 'gpu', maxBindingBytes: 16384 }).resolve(['webgpu'], () => {}, { fallback: false })).backend;
  const la = new lib.Linalg(small);
  const ref = await lib.init({ backend: 'reference' });
  afterAll(() => small.dispose());
  describe('webgpu, gemm and syrk split into bindings of 16 KiB', () => {
    const ctx = { lib: lib as never, la: la as never, ref: ref as never, strict: null };
    for (const c of kernelCases().filter((c) => c.deviceNeutral === true && SPLIT.test(c.name) && !SPLIT_SKIP.test(c.name))) it(c.name, () => runCase(c, ctx));
    it('took the split path on the GPU, and the host never', () => {
      const calls = (small as unknown as { calls(): { gpu: Record<string, number>; host: Record<string, number> } }).calls();
      for (const k of ['gemm', 'syrk']) {
        expect(calls.gpu[`${k} (split)`] ?? 0, k).toBeGreaterThan(0);
        expect(calls.host[k] ?? 0, k).toBe(0);
      }
    });
  });
}

/** The float32 matrices of a safetensors file by name (the test's own reader: header, then raw little-endian data). */
function safetensorsMatrices(bytes: Buffer): Map<string, Float32Array> {
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out = new Map<string, Float32Array>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__' || t.dtype !== 'F32' || t.shape.length !== 2) continue;
    const [s, e] = t.data_offsets;
    out.set(name, new Float32Array(bytes.buffer.slice(bytes.byteOffset + 8 + n + s, bytes.byteOffset + 8 + n + e)));
  }
  return out;
}
